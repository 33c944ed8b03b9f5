/* test-util.c — helpers shared by the tests. */
#include "test-util.h"

#include <math.h>

VkaContext *
test_vulkan_context (void)
{
  g_autoptr (GError) error = NULL;
  VkaContextConfig config = { .device = NULL, .validation = TRUE, .guards = TRUE };
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

static void
add_conv (VkaWeights *weights, GRand *rand, int index, int cout, int cin, int k,
          double bias_centre)
{
  g_autoptr (GError) error = NULL;
  char name[32];
  gint64 wshape[4] = { cout, cin, k, k };
  gsize wn = (gsize) cout * cin * k * k;
  float *w = g_new (float, wn);
  /* He-style scale keeps activations in range through the layers */
  float scale = (float) sqrt (6.0 / (cin * k * k));
  test_fill_random (rand, w, wn, -scale, scale);
  g_snprintf (name, sizeof name, "%d.weight", index);
  vka_weights_insert (weights, name, 4, wshape, w, &error);
  g_assert_no_error (error);
  gint64 bshape[1] = { cout };
  float *b = g_new (float, cout);
  test_fill_random (rand, b, cout, (float) bias_centre - 0.1f, (float) bias_centre + 0.1f);
  g_snprintf (name, sizeof name, "%d.bias", index);
  vka_weights_insert (weights, name, 1, bshape, b, &error);
  g_assert_no_error (error);
}

VkaWeights *
test_encoder_weights (GRand *rand, const int widths[4])
{
  VkaWeights *w = vka_weights_new ();
  const int w1 = widths[0], w2 = widths[1], w3 = widths[2], w4 = widths[3];
  add_conv (w, rand, 0, 3, 3, 1, 0.0);
  add_conv (w, rand, 2, w1, 3, 3, 0.0);
  add_conv (w, rand, 5, w1, w1, 3, 0.0);
  add_conv (w, rand, 9, w2, w1, 3, 0.0);
  add_conv (w, rand, 12, w2, w2, 3, 0.0);
  add_conv (w, rand, 16, w3, w2, 3, 0.0);
  add_conv (w, rand, 19, w3, w3, 3, 0.0);
  add_conv (w, rand, 22, w3, w3, 3, 0.0);
  add_conv (w, rand, 25, w3, w3, 3, 0.0);
  add_conv (w, rand, 29, w4, w3, 3, 0.0);
  return w;
}

VkaWeights *
test_decoder_weights (GRand *rand, const int widths[4])
{
  VkaWeights *w = vka_weights_new ();
  const int w1 = widths[0], w2 = widths[1], w3 = widths[2], w4 = widths[3];
  add_conv (w, rand, 1, w3, w4, 3, 0.0);
  add_conv (w, rand, 5, w3, w3, 3, 0.0);
  add_conv (w, rand, 8, w3, w3, 3, 0.0);
  add_conv (w, rand, 11, w3, w3, 3, 0.0);
  add_conv (w, rand, 14, w2, w3, 3, 0.0);
  add_conv (w, rand, 18, w2, w2, 3, 0.0);
  add_conv (w, rand, 21, w1, w2, 3, 0.0);
  add_conv (w, rand, 25, w1, w1, 3, 0.0);
  add_conv (w, rand, 28, 3, w1, 3, 0.5);
  return w;
}
