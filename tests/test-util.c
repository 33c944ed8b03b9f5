/* test-util.c — helpers shared by the tests. */
#include "test-util.h"
#include "net/network.h"
#include "vulkan/vulkan-backend.h"

#include <stdlib.h>
#include <string.h>

#include <math.h>

TestBackend test_backend = TEST_BACKEND_VULKAN;

void
test_init (int *argc, char ***argv)
{
  int kept = 1;
  for (int i = 1; i < *argc; i++)
    {
      const char *arg = (*argv)[i];
      const char *value = NULL;
      if (g_str_has_prefix (arg, "--backend="))
        value = arg + strlen ("--backend=");
      else if (g_str_equal (arg, "--backend") && i + 1 < *argc)
        value = (*argv)[++i];
      else
        {
          (*argv)[kept++] = (*argv)[i];
          continue;
        }
      if (g_str_equal (value, "cpu"))
        test_backend = TEST_BACKEND_CPU;
      else if (g_str_equal (value, "vulkan"))
        test_backend = TEST_BACKEND_VULKAN;
      else
        g_error ("--backend %s: expected vulkan or cpu", value);
    }
  (*argv)[kept] = NULL;
  *argc = kept;
  g_test_init (argc, argv, NULL);
}

const char *
test_backend_name (void)
{
  return test_backend == TEST_BACKEND_CPU ? "cpu" : "vulkan";
}

VkaContextConfig
test_device_config (void)
{
  VkaContextConfig config = { .validation = TRUE, .guards = TRUE };
  if (test_backend == TEST_BACKEND_CPU)
    config.device = "cpu";
  else
    config.vulkan_only = TRUE;
  return config;
}

gboolean
test_coopmat_missing (const GError *error)
{
  return g_strcmp0 (g_getenv ("VKA_CONV3X3"), "coopmat") == 0
         && g_error_matches (error, VKA_ERROR, VKA_ERROR_NO_DEVICE)
         && g_strcmp0 (g_getenv ("VKA_TEST_REQUIRE_COOPMAT"), "1") != 0;
}

VkaContext *
test_device_context (void)
{
  g_autoptr (GError) error = NULL;
  VkaContextConfig config = test_device_config ();
  VkaContext *context = vka_context_new_full (&config, &error);
  if (!context && test_coopmat_missing (error))
    {
      /* TAP: a plan of no cases, skipped */
      g_print ("1..0 # SKIP %s\n", error->message);
      exit (0);
    }
  g_assert_no_error (error);
  g_assert_nonnull (context);
  return context;
}

VkaContext *
test_vulkan_context (void)
{
  g_autoptr (GError) error = NULL;
  VkaContextConfig config = { .validation = TRUE, .guards = TRUE, .vulkan_only = TRUE };
  VkaContext *context = vka_context_new_full (&config, &error);
  g_assert_no_error (error);
  g_assert_nonnull (context);
  return context;
}

void
test_context_finish (VkaContext *context)
{
  guint messages = vka_context_validation_messages (context);
  vka_context_free (context);
  g_assert_cmpuint (messages, ==, 0);
}

gboolean
test_conv3x3_fp16 (VkaBackend *backend)
{
  return g_str_equal (backend->ops->name, "vulkan") && vka_vk_backend_conv3x3_fp16 (backend);
}

void
test_check_guards (VkaTensor *tensor)
{
  if (!g_str_equal (tensor->backend->ops->name, "vulkan"))
    return;
  g_autoptr (GError) error = NULL;
  vka_vk_tensor_check_guards (tensor, &error);
  g_assert_no_error (error);
}

void
test_fill_random (GRand *rand, float *data, gsize n, float lo, float hi)
{
  for (gsize i = 0; i < n; i++)
    data[i] = (float) g_rand_double_range (rand, lo, hi);
}

double
test_nmse (const float *expected, const float *actual, gsize n)
{
  double num = 0, den = 0;
  for (gsize i = 0; i < n; i++)
    {
      double d = (double) expected[i] - actual[i];
      if (isnan (actual[i]) != isnan (expected[i]))
        return INFINITY;
      num += d * d;
      den += (double) expected[i] * expected[i];
    }
  return den > 0 ? num / den : num;
}

double
test_image_psnr (const VkaImage *a, const VkaImage *b)
{
  gsize n = (gsize) a->width * a->height * a->channels;
  double se = 0;
  for (gsize i = 0; i < n; i++)
    se += ((double) a->pixels[i] - b->pixels[i]) * ((double) a->pixels[i] - b->pixels[i]);
  return se == 0 ? INFINITY : 10 * log10 (n / se);
}

VkaTensor *
test_tensor (VkaBackend *backend, int n, int c, int h, int w, const float *data)
{
  g_autoptr (GError) error = NULL;
  VkaTensor *t = vka_tensor_new (backend, n, c, h, w, &error);
  g_assert_no_error (error);
  if (data)
    {
      backend->ops->tensor_write (t, data, &error);
      g_assert_no_error (error);
    }
  return t;
}

float *
test_read (VkaTensor *tensor)
{
  g_autoptr (GError) error = NULL;
  float *data = g_new (float, vka_tensor_numel (tensor));
  tensor->backend->ops->tensor_read (tensor, data, &error);
  g_assert_no_error (error);
  return data;
}

VkaWeights *
test_encoder_weights (GRand *rand, const int widths[4])
{
  return vka_network_random_weights (VKA_NETWORK_ENCODER, widths, rand);
}

VkaWeights *
test_decoder_weights (GRand *rand, const int widths[4])
{
  return vka_network_random_weights (VKA_NETWORK_DECODER, widths, rand);
}
