/* test-network.c — the whole forward pass (small widths, random weights) on
 * the backend under test (--backend vulkan|cpu) against the plain-C
 * reference, tiled against untiled, and model errors, with the reference's
 * nearest upsamplings and with bilinear ones; the same limits for every
 * backend. */
#include "test-network.h"
#include "net/model-private.h"
#include "net/stylize-private.h"
#include "net/tiling.h"
#include "vulkan/vulkan-backend.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

VkaContext *device_context;
VkaContext *reference_context;
const int test_network_widths[4] = { 4, 8, 8, 16 };

Models
make_models (guint32 seed)
{
  return make_models_upsampling (seed, FALSE);
}

Models
make_models_upsampling (guint32 seed, gboolean bilinear)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr (VkaWeights) enc = test_encoder_weights (rand, test_network_widths);
  g_autoptr (VkaWeights) dec = test_decoder_weights (rand, test_network_widths);
  g_autoptr (GError) error = NULL;
  if (bilinear)
    {
      g_assert_true (vka_decoder_mark_bilinear (dec, &error));
      g_assert_no_error (error);
    }
  Models m;
  m.device = vka_model_new (device_context, enc, dec, &error);
  g_assert_no_error (error);
  m.reference = vka_model_new (reference_context, enc, dec, &error);
  g_assert_no_error (error);
  return m;
}

void
free_models (Models *m)
{
  vka_model_free (m->device);
  vka_model_free (m->reference);
}

VkaImage *
random_image (GRand *rand, int w, int h, int channels)
{
  VkaImage *image = vka_image_new (w, h, channels, NULL);
  test_fill_random (rand, image->pixels, (gsize) w * h * channels, 0, 1);
  /* smooth structure so the features are not pure noise */
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      image->pixels[(y * w + x) * channels] = 0.5f + 0.4f * sinf (x * 0.3f + y * 0.17f);
  return image;
}

static void
assert_styles_within (const VkaStyle *a, const VkaStyle *b, double max_nmse)
{
  int c = vka_style_channels (a);
  g_assert_cmpint (vka_style_channels (b), ==, c);
  double mean_nmse = test_nmse (vka_style_mean (a), vka_style_mean (b), c);
  double std_nmse = test_nmse (vka_style_std (a), vka_style_std (b), c);
  g_test_message ("style statistics: NMSE %.3g (means), %.3g (deviations)", mean_nmse,
                  std_nmse);
  g_assert_cmpfloat (mean_nmse, <, max_nmse);
  g_assert_cmpfloat (std_nmse, <, max_nmse);
}

static void
assert_styles_close (const VkaStyle *a, const VkaStyle *b)
{
  assert_styles_within (a, b, 1e-9);
}

/* With fp16 3×3 convolutions every layer's weights and scratch are rounded
 * to 11 significant bits (float32 sums), and the errors compound over the
 * encoder's and the decoder's layers: on lavapipe the style statistics came
 * within an NMSE of 4e-6 and the pixels within 0.0046 (of 0..1; 1.2 of 255)
 * of the reference, with Winograd and GEMM alike. The limits leave about
 * 8× and 4× of room; a kernel error moves pixels by a sizeable part of the
 * output's spread (0.04-0.18 here). */
#define FP16_STYLE_MAX_NMSE 3e-5
#define FP16_MAX_PIXEL_DIFF 2e-2

typedef struct
{
  int    width, height, channels, out_channels;
  int    n_styles;
  double alpha;
  gboolean bilinear;   /* a decoder with bilinear upsamplings */
} ForwardCase;

static void
test_forward (gconstpointer data)
{
  const ForwardCase *fc = data;
  guint before = vka_context_validation_messages (device_context);
  gboolean fp16 = test_conv3x3_fp16 (vka_context_backend (device_context));
  Models m = make_models_upsampling (1234, fc->bilinear);
  g_autoptr (GRand) rand = g_rand_new_with_seed (99);
  g_autoptr (GError) error = NULL;

  g_autoptr (VkaImage) content = random_image (rand, fc->width, fc->height, fc->channels);
  VkaStyle *dev_styles[2] = { 0 }, *ref_styles[2] = { 0 };
  for (int i = 0; i < fc->n_styles; i++)
    {
      g_autoptr (VkaImage) style = random_image (rand, 23 + 10 * i, 41 - 7 * i, 3);
      dev_styles[i] = vka_style_from_image (m.device, style, NULL, &error);
      g_assert_no_error (error);
      ref_styles[i] = vka_style_from_image (m.reference, style, NULL, &error);
      g_assert_no_error (error);
      assert_styles_within (ref_styles[i], dev_styles[i], fp16 ? FP16_STYLE_MAX_NMSE : 1e-9);
    }
  double weights[2] = { 1.0, 3.0 };
  VkaStylizeOptions options = { .alpha = fc->alpha };
  g_autoptr (VkaImage) dev_out = vka_image_new (fc->width, fc->height, fc->out_channels, NULL);
  g_autoptr (VkaImage) ref_out = vka_image_new (fc->width, fc->height, fc->out_channels, NULL);
  vka_stylize (m.device, content, (const VkaStyle *const *) dev_styles, weights,
               fc->n_styles, &options, dev_out, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  vka_stylize (m.reference, content, (const VkaStyle *const *) ref_styles, weights,
               fc->n_styles, &options, ref_out, NULL, NULL, NULL, &error);
  g_assert_no_error (error);

  gsize n = (gsize) fc->width * fc->height * fc->out_channels;
  double max_diff = 0, sum = 0, sum2 = 0;
  for (gsize i = 0; i < n; i++)
    {
      max_diff = MAX (max_diff, fabs (dev_out->pixels[i] - ref_out->pixels[i]));
      sum += ref_out->pixels[i];
      sum2 += (double) ref_out->pixels[i] * ref_out->pixels[i];
    }
  double spread = sqrt (MAX (0, sum2 / n - (sum / n) * (sum / n)));
  g_test_message ("max |device - reference| = %.3g, output spread %.3g", max_diff, spread);
  g_assert_cmpfloat (max_diff, <, fp16 ? FP16_MAX_PIXEL_DIFF : 1e-4);
  /* the comparison means nothing if the output is flat (e.g. all clamped) */
  g_assert_cmpfloat (spread, >, 0.01);

  if (fc->out_channels == 4)
    for (gsize i = 0; i < (gsize) fc->width * fc->height; i++)
      {
        float expected = fc->channels % 2 == 0
                       ? content->pixels[i * fc->channels + fc->channels - 1] : 1.0f;
        g_assert_cmpfloat (dev_out->pixels[i * 4 + 3], ==, expected);
      }

  for (int i = 0; i < fc->n_styles; i++)
    {
      vka_style_free (dev_styles[i]);
      vka_style_free (ref_styles[i]);
    }
  free_models (&m);
  g_assert_cmpuint (vka_context_validation_messages (device_context), ==, before);
}

/* The stylising encoder takes its first 1×1 convolution into the next
 * one: its relu4_1 features equal those of the layers as the file has them
 * (the network the trainer runs), on the backend under test. */
static void
test_folded_input_conv (void)
{
  static const int widths[4] = { 16, 32, 64, 128 };
  VkaBackend *b = vka_context_backend (device_context);
  guint before = vka_context_validation_messages (device_context);
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);
  g_autoptr (GError) error = NULL;
  g_autoptr (VkaWeights) enc = test_encoder_weights (rand, widths);
  /* a first layer far from the identity, as vgg_normalised's is */
  const VkaTensorData *first = vka_weights_get (enc, "0.weight");
  g_assert_nonnull (first);
  for (int i = 0; i < 9; i++)
    first->data[i] = (float) g_rand_double_range (rand, -60, 60);
  int w = 37, h = 29;
  g_autofree float *pixels = g_new (float, 3 * w * h);
  test_fill_random (rand, pixels, 3 * w * h, 0, 1);
  VkaTensor *out[2];
  for (int folded = 0; folded < 2; folded++)
    {
      g_autoptr (VkaTensor) in = test_tensor (b, 1, 3, h, w, pixels);
      VkaNetwork *net = folded ? vka_network_new_encoder_for_inference (b, enc, "encoder",
                                                                        &error)
                               : vka_network_new (b, VKA_NETWORK_ENCODER, enc, 3, "encoder",
                                                  &error);
      g_assert_no_error (error);
      out[folded] = vka_network_forward (net, in, NULL, NULL, &error);
      g_assert_no_error (error);
      vka_network_free (net);
    }
  gsize n = vka_tensor_numel (out[0]);
  g_autofree float *a = g_new (float, n), *c = g_new (float, n);
  g_assert_true (b->ops->tensor_read (out[0], a, &error));
  g_assert_true (b->ops->tensor_read (out[1], c, &error));
  g_assert_no_error (error);
  double nmse = test_nmse (a, c, n);
  g_test_message ("folded against unfolded relu4_1: NMSE %.3g", nmse);
  g_assert_cmpfloat (nmse, <, test_conv3x3_fp16 (b) ? 1e-4 : 1e-9);
  vka_tensor_free (out[0]);
  vka_tensor_free (out[1]);
  g_assert_cmpuint (vka_context_validation_messages (device_context), ==, before);
}

/* The pool hands a dropped activation to the next layer within the same
 * pass, so a stylisation's device memory is about its live tensors, not the
 * sum of every layer's output (what it was when buffers waited for the
 * flush: $VKA_BUFFER_POOL=0). Same pixels both ways, with guard words on. */
static guint64
stylize_peak (VkaModel *model, const VkaImage *content, const VkaStyle *style,
              VkaImage *out)
{
  VkaBackend *b = vka_context_backend (device_context);
  g_autoptr (GError) error = NULL;
  guint64 base = vka_vk_backend_reset_peak (b);
  const VkaStyle *styles[1] = { style };
  vka_stylize (model, content, styles, NULL, 1, NULL, out, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  return vka_vk_backend_peak_bytes (b) - base;
}

static void
test_memory_reuse (void)
{
  /* VGG's proportions (each block as many bytes per activation as half the
   * one before), wide enough that activations, not RGB planes, set the peak */
  static const int wide[4] = { 16, 32, 64, 128 };
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);
  g_autoptr (GError) error = NULL;
  g_autoptr (VkaWeights) enc = test_encoder_weights (rand, wide);
  g_autoptr (VkaWeights) dec = test_decoder_weights (rand, wide);
  g_autoptr (VkaModel) model = vka_model_new (device_context, enc, dec, &error);
  g_assert_no_error (error);
  g_autoptr (VkaImage) content = random_image (rand, 160, 128, 3);
  g_autoptr (VkaImage) style_image = random_image (rand, 40, 40, 3);
  g_autoptr (VkaStyle) style = vka_style_from_image (model, style_image, NULL, &error);
  g_assert_no_error (error);
  g_autoptr (VkaImage) pooled = vka_image_new (160, 128, 3, NULL);
  g_autoptr (VkaImage) unpooled = vka_image_new (160, 128, 3, NULL);

  /* a first run packs the weights and makes the Winograd scratch, which
   * then count as the base of both measured runs */
  stylize_peak (model, content, style, pooled);
  guint64 with_pool = stylize_peak (model, content, style, pooled);
  g_setenv ("VKA_BUFFER_POOL", "0", TRUE);
  guint64 without = stylize_peak (model, content, style, unpooled);
  g_unsetenv ("VKA_BUFFER_POOL");
  g_test_message ("peak of one stylisation: %.2f MiB reusing buffers, %.2f MiB without",
                  with_pool / 1048576.0, without / 1048576.0);
  g_assert_cmpuint (with_pool, <, without * 8 / 10);
  g_assert_cmpmem (pooled->pixels, 160 * 128 * 3 * sizeof (float),
                   unpooled->pixels, 160 * 128 * 3 * sizeof (float));
}

/* alpha 0 gives back decoder(encoder(content)) whatever the style */
static void
test_alpha_zero_ignores_style (void)
{
  Models m = make_models (7);
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);
  g_autoptr (GError) error = NULL;
  g_autoptr (VkaImage) content = random_image (rand, 20, 16, 3);
  g_autoptr (VkaImage) s1 = random_image (rand, 16, 16, 3);
  g_autoptr (VkaImage) s2 = random_image (rand, 30, 12, 3);
  g_autoptr (VkaStyle) a = vka_style_from_image (m.device, s1, NULL, &error);
  g_autoptr (VkaStyle) b = vka_style_from_image (m.device, s2, NULL, &error);
  g_assert_no_error (error);
  VkaStylizeOptions options = { .alpha = 0.0 };
  g_autoptr (VkaImage) out_a = vka_image_new (20, 16, 3, NULL);
  g_autoptr (VkaImage) out_b = vka_image_new (20, 16, 3, NULL);
  const VkaStyle *sa[1] = { a }, *sb[1] = { b };
  vka_stylize (m.device, content, sa, NULL, 1, &options, out_a, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  vka_stylize (m.device, content, sb, NULL, 1, &options, out_b, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (out_a->pixels, 20 * 16 * 3 * 4, out_b->pixels, 20 * 16 * 3 * 4);
  free_models (&m);
}

static void
test_model_errors (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (3);
  g_autoptr (GError) error = NULL;
  g_autoptr (VkaWeights) enc = test_encoder_weights (rand, test_network_widths);
  const int wide[4] = { 4, 8, 8, 32 };
  g_autoptr (VkaWeights) dec_wide = test_decoder_weights (rand, wide);
  VkaModel *model = vka_model_new (device_context, enc, dec_wide, &error);
  g_assert_null (model);
  g_assert_error (error, VKA_ERROR, VKA_ERROR_MODEL);
  g_assert_cmpstr (error->message, ==,
                   "decoder: layer 1 takes 32 channels, the encoder gives 16");
  g_clear_error (&error);

  g_autoptr (VkaWeights) partial = vka_weights_new ();
  model = vka_model_new (device_context, partial, dec_wide, &error);
  g_assert_null (model);
  g_assert_error (error, VKA_ERROR, VKA_ERROR_MODEL);
  g_assert_cmpstr (error->message, ==, "encoder: tensor 0.weight is missing");
  g_clear_error (&error);

  /* a 3×3 kernel where the 1×1 conv0 belongs */
  g_autoptr (VkaWeights) bad = test_encoder_weights (rand, test_network_widths);
  gint64 shape[4] = { 3, 3, 3, 3 };
  vka_weights_insert (bad, "0.weight", 4, shape, g_new0 (float, 81), &error);
  g_assert_no_error (error);
  model = vka_model_new (device_context, bad, dec_wide, &error);
  g_assert_null (model);
  g_assert_error (error, VKA_ERROR, VKA_ERROR_MODEL);
  g_assert_nonnull (strstr (error->message, "0.weight should be a 1×1 convolution"));
  g_clear_error (&error);

  /* the bilinear marker must be one value 1 */
  g_autoptr (VkaWeights) good_enc = test_encoder_weights (rand, test_network_widths);
  g_autoptr (VkaWeights) marked = test_decoder_weights (rand, test_network_widths);
  gint64 two[1] = { 2 };
  vka_weights_insert (marked, VKA_DECODER_BILINEAR_KEY, 1, two, g_new0 (float, 2), &error);
  g_assert_no_error (error);
  model = vka_model_new (device_context, good_enc, marked, &error);
  g_assert_null (model);
  g_assert_error (error, VKA_ERROR, VKA_ERROR_MODEL);
  g_assert_cmpstr (error->message, ==,
                   "decoder: upsample.bilinear should be one value 1 (it marks a decoder "
                   "with bilinear upsampling)");
  g_clear_error (&error);

  /* the noise key must be one value in [0, 1] */
  g_autoptr (VkaWeights) enc3 = test_encoder_weights (rand, test_network_widths);
  g_autoptr (VkaWeights) loud = test_decoder_weights (rand, test_network_widths);
  float *too_much = g_new (float, 1);
  *too_much = 1.5f;
  gint64 one[1] = { 1 };
  vka_weights_insert (loud, VKA_DECODER_NOISE_KEY, 1, one, too_much, &error);
  g_assert_no_error (error);
  model = vka_model_new (device_context, enc3, loud, &error);
  g_assert_null (model);
  g_assert_error (error, VKA_ERROR, VKA_ERROR_MODEL);
  g_assert_cmpstr (error->message, ==,
                   "decoder: input.noise should be one value in [0, 1] (the standard "
                   "deviation of the noise the decoder wants on its content)");
  g_clear_error (&error);
  g_assert_false (vka_decoder_set_content_noise (loud, -0.1f, &error));
  g_assert_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT);
}

static void
test_stylize_errors (void)
{
  Models m = make_models (11);
  g_autoptr (GError) error = NULL;
  g_autoptr (VkaImage) content = vka_image_new (8, 8, 3, NULL);
  g_autoptr (VkaImage) out = vka_image_new (9, 8, 3, NULL);
  float mean[16] = { 0 }, std[16] = { 0 };
  g_autoptr (VkaStyle) style = vka_style_new (16, mean, std);
  g_autoptr (VkaStyle) narrow = vka_style_new (8, mean, std);
  const VkaStyle *styles[1] = { style };
  g_assert_false (vka_stylize (m.device, content, styles, NULL, 1, NULL, out, NULL, NULL,
                               NULL, &error));
  g_assert_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_autoptr (VkaImage) out8 = vka_image_new (8, 8, 3, NULL);
  const VkaStyle *narrow_styles[1] = { narrow };
  g_assert_false (vka_stylize (m.device, content, narrow_styles, NULL, 1, NULL, out8, NULL,
                               NULL, NULL, &error));
  g_assert_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  double negative[1] = { -1 };
  g_assert_false (vka_stylize (m.device, content, styles, negative, 1, NULL, out8, NULL,
                               NULL, NULL, &error));
  g_assert_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  g_cancellable_cancel (cancel);
  g_assert_false (vka_stylize (m.device, content, styles, NULL, 1, NULL, out8, NULL, NULL,
                               cancel, &error));
  g_assert_error (error, VKA_ERROR, VKA_ERROR_CANCELLED);
  free_models (&m);
}

static VkaImage *
stylize_with (VkaModel *model, const VkaImage *content, const VkaStyle *const *styles,
              int n_styles, const VkaStylizeOptions *options)
{
  g_autoptr (GError) error = NULL;
  VkaImage *out = vka_image_new (content->width, content->height, 3, NULL);
  vka_stylize (model, content, styles, NULL, n_styles, options, out, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  return out;
}

/* Tiles with a halo and whole-image statistics give the untiled result. */
static void
test_tiled_equals_untiled (gconstpointer bilinear)
{
  guint before = vka_context_validation_messages (device_context);
  Models m = make_models_upsampling (21, GPOINTER_TO_INT (bilinear));
  g_autoptr (GRand) rand = g_rand_new_with_seed (8);
  g_autoptr (GError) error = NULL;
  g_autoptr (VkaImage) content = random_image (rand, 403, 301, 3);
  g_autoptr (VkaImage) style_image = random_image (rand, 333, 290, 3);

  g_autoptr (VkaStyle) whole = vka_style_from_image_tiled (m.device, style_image, 0, NULL, &error);
  g_assert_no_error (error);
  g_autoptr (VkaStyle) tiled = vka_style_from_image_tiled (m.device, style_image, 64, NULL, &error);
  g_assert_no_error (error);
  assert_styles_close (whole, tiled);

  const VkaStyle *styles[1] = { whole };
  VkaStylizeOptions untiled_opts = { .alpha = 1.0 };
  VkaStylizeOptions tiled_opts = { .alpha = 1.0, .tile = 64 };
  g_autoptr (VkaImage) a = stylize_with (m.device, content, styles, 1, &untiled_opts);
  g_autoptr (VkaImage) b = stylize_with (m.device, content, styles, 1, &tiled_opts);
  double db = test_image_psnr (a, b);
  g_test_message ("tiled (64 px) vs untiled: %.1f dB", db);
  g_assert_cmpfloat (db, >=, 60);
  free_models (&m);
  g_assert_cmpuint (vka_context_validation_messages (device_context), ==, before);
}

/* The marker is obeyed: the same weights with bilinear upsamplings give
 * another picture, on the device and on the reference alike (the forward
 * cases above compare the two; this one shows what they compare differs
 * from the nearest decoder's). */
static void
test_bilinear_differs (void)
{
  Models nearest = make_models_upsampling (5, FALSE), bilinear = make_models_upsampling (5, TRUE);
  g_autoptr (GRand) rand = g_rand_new_with_seed (6);
  g_autoptr (GError) error = NULL;
  g_autoptr (VkaImage) content = random_image (rand, 45, 38, 3);
  g_autoptr (VkaImage) style_image = random_image (rand, 40, 40, 3);
  g_autoptr (VkaStyle) style = vka_style_from_image (nearest.device, style_image, NULL, &error);
  g_assert_no_error (error);
  const VkaStyle *styles[1] = { style };
  VkaStylizeOptions options = { .alpha = 1.0 };
  g_autoptr (VkaImage) a = stylize_with (nearest.device, content, styles, 1, &options);
  g_autoptr (VkaImage) b = stylize_with (bilinear.device, content, styles, 1, &options);
  double max_diff = 0;
  for (gsize i = 0; i < (gsize) content->width * content->height * 3; i++)
    max_diff = MAX (max_diff, fabs (a->pixels[i] - b->pixels[i]));
  g_test_message ("nearest vs bilinear decoder: max pixel difference %.3g", max_diff);
  g_assert_cmpfloat (max_diff, >, 0.01);
  free_models (&nearest);
  free_models (&bilinear);
}

/* A decoder carrying VKA_DECODER_NOISE_KEY: its stylisation is the plain
 * decoder's of the content with vka_content_noise_add's noise (seed 0,
 * placed by pixel), which differs from the clean one's; tiles agree with
 * the whole; a style picture gets no noise; vka_model_set_content_noise 0
 * turns it off. */
static void
test_content_noise (void)
{
  guint before = vka_context_validation_messages (device_context);
  const float sigma = 0.05f;
  g_autoptr (GRand) r1 = g_rand_new_with_seed (31), r2 = g_rand_new_with_seed (31);
  g_autoptr (VkaWeights) enc = test_encoder_weights (r1, test_network_widths);
  g_autoptr (VkaWeights) dec = test_decoder_weights (r1, test_network_widths);
  g_autoptr (VkaWeights) enc2 = test_encoder_weights (r2, test_network_widths);
  g_autoptr (VkaWeights) noisy_dec = test_decoder_weights (r2, test_network_widths);
  g_autoptr (GError) error = NULL;
  g_assert_true (vka_decoder_set_content_noise (noisy_dec, sigma, &error));
  g_assert_no_error (error);
  g_autoptr (VkaModel) plain = vka_model_new (device_context, enc, dec, &error);
  g_assert_no_error (error);
  g_autoptr (VkaModel) noisy = vka_model_new (device_context, enc2, noisy_dec, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (vka_model_content_noise (plain), ==, 0.0f);
  g_assert_cmpfloat (vka_model_content_noise (noisy), ==, sigma);

  g_autoptr (GRand) rand = g_rand_new_with_seed (32);
  g_autoptr (VkaImage) content = random_image (rand, 203, 151, 3);
  g_autoptr (VkaImage) style_image = random_image (rand, 60, 50, 3);
  g_autoptr (VkaStyle) style = vka_style_from_image (plain, style_image, NULL, &error);
  g_assert_no_error (error);
  g_autoptr (VkaStyle) noisy_style = vka_style_from_image (noisy, style_image, NULL, &error);
  g_assert_no_error (error);
  assert_styles_close (style, noisy_style);

  const VkaStyle *styles[1] = { style };
  VkaStylizeOptions whole = { .alpha = 1.0 }, tiled = { .alpha = 1.0, .tile = 64 };
  g_autoptr (VkaImage) a = stylize_with (noisy, content, styles, 1, &whole);
  g_autoptr (VkaImage) pre = vka_image_new (content->width, content->height, 3, NULL);
  memcpy (pre->pixels, content->pixels, sizeof (float) * content->width * content->height * 3);
  vka_content_noise_add (pre->pixels, 0, 0, pre->width, pre->height, 3, sigma, 0);
  g_autoptr (VkaImage) b = stylize_with (plain, pre, styles, 1, &whole);
  double db = test_image_psnr (a, b);
  g_test_message ("noisy decoder vs plain decoder on the noised content: %.1f dB", db);
  g_assert_cmpfloat (db, >=, 60);

  g_autoptr (VkaImage) clean = stylize_with (plain, content, styles, 1, &whole);
  double max_diff = 0;
  for (gsize i = 0; i < (gsize) content->width * content->height * 3; i++)
    max_diff = MAX (max_diff, fabs (a->pixels[i] - clean->pixels[i]));
  g_test_message ("with noise vs without: max pixel difference %.3g", max_diff);
  g_assert_cmpfloat (max_diff, >, 0.01);

  g_autoptr (VkaImage) t = stylize_with (noisy, content, styles, 1, &tiled);
  db = test_image_psnr (a, t);
  g_test_message ("with noise, tiled (64 px) vs untiled: %.1f dB", db);
  g_assert_cmpfloat (db, >=, 60);

  vka_model_set_content_noise (noisy, 0);
  g_autoptr (VkaImage) off = stylize_with (noisy, content, styles, 1, &whole);
  g_assert_cmpfloat (test_image_psnr (off, clean), >=, 60);
  g_assert_cmpuint (vka_context_validation_messages (device_context), ==, before);
}

/* The noise itself: a function of the place (a window gets what the whole
 * picture has there), the seed and nothing else; the colour channels only,
 * alpha kept; the standard deviation asked for; values kept in [0, 1]. */
static void
test_content_noise_values (void)
{
  enum { W = 64, H = 48 };
  const float sigma = 0.1f;
  g_autofree float *whole = g_new (float, W * H * 4);
  for (int i = 0; i < W * H * 4; i++)
    whole[i] = i % 4 == 3 ? 0.25f : (i % 4) * 0.45f;   /* R 0, G 0.45, B 0.9, alpha */
  g_autofree float *window = g_new (float, 10 * 7 * 4);
  for (int y = 0; y < 7; y++)
    memcpy (window + y * 10 * 4, whole + ((y + 5) * W + 9) * 4, 10 * 4 * sizeof (float));
  vka_content_noise_add (whole, 0, 0, W, H, 4, sigma, 3);
  vka_content_noise_add (window, 9, 5, 10, 7, 4, sigma, 3);
  for (int y = 0; y < 7; y++)
    g_assert_cmpmem (window + y * 10 * 4, 10 * 4 * sizeof (float),
                     whole + ((y + 5) * W + 9) * 4, 10 * 4 * sizeof (float));
  double sum = 0, sq = 0;
  for (int i = 0; i < W * H; i++)
    {
      const float *p = whole + i * 4;
      g_assert_cmpfloat (p[0], >=, 0.0f);
      g_assert_cmpfloat (p[2], <=, 1.0f);
      g_assert_cmpfloat (p[3], ==, 0.25f);
      sum += p[1] - 0.45, sq += (p[1] - 0.45) * (p[1] - 0.45);
    }
  double sd = sqrt (sq / (W * H) - (sum / (W * H)) * (sum / (W * H)));
  g_test_message ("green: mean %.4f, standard deviation %.4f", sum / (W * H), sd);
  g_assert_cmpfloat (fabs (sum / (W * H)), <=, 4 * sigma / sqrt (W * H));
  g_assert_cmpfloat (fabs (sd - sigma), <=, 0.05 * sigma);
  /* another seed, other noise; sigma 0, none */
  g_autofree float *other = g_new (float, W * H * 4);
  for (int i = 0; i < W * H * 4; i++)
    other[i] = i % 4 == 3 ? 0.25f : (i % 4) * 0.45f;
  vka_content_noise_add (other, 0, 0, W, H, 4, sigma, 4);
  g_assert_cmpfloat (other[1], !=, whole[1]);
  float gray[2] = { 0.5f, 0.7f };
  vka_content_noise_add (gray, 0, 0, 1, 1, 2, 0, 3);
  g_assert_cmpfloat (gray[0], ==, 0.5f);
  vka_content_noise_add (gray, 0, 0, 1, 1, 2, sigma, 3);
  g_assert_cmpfloat (gray[0], !=, 0.5f);
  g_assert_cmpfloat (gray[1], ==, 0.7f);
}

static VkaImage *
half_mask (int w, int h, float left)
{
  VkaImage *mask = vka_image_new (w, h, 1, NULL);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      mask->pixels[y * w + x] = x < w / 2 ? left : 1.0f - left;
  return mask;
}

/* The style of a random w × h picture. */
static VkaStyle *
random_style (VkaModel *model, GRand *rand, int w, int h)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VkaImage) image = random_image (rand, w, h, 3);
  VkaStyle *style = vka_style_from_image (model, image, NULL, &error);
  g_assert_no_error (error);
  return style;
}

/* One tiled stylisation's output and how many tiles the encoder ran on. */
static VkaImage *
stylize_counting (VkaModel *model, const VkaImage *content, const VkaStyle *const *styles,
                  int n_styles, const VkaStylizeOptions *options, guint *encoded)
{
  guint before = vka_model_encoder_runs (model);
  VkaImage *out = stylize_with (model, content, styles, n_styles, options);
  *encoded = vka_model_encoder_runs (model) - before;
  return out;
}

static void
assert_same_pixels (const VkaImage *a, const VkaImage *b)
{
  gsize n = (gsize) a->width * a->height * a->channels;
  g_assert_cmpint (memcmp (a->pixels, b->pixels, n * sizeof (float)), ==, 0);
}

/* Pass 2 of a tiled stylisation reuses pass 1's features, kept on the device
 * or in host memory as the budgets allow, and gives the very pixels that
 * encoding every tile again gives. */
static void
test_tiled_keeps_features (void)
{
  guint before = vka_context_validation_messages (device_context);
  Models m = make_models (23);
  g_autoptr (GRand) rand = g_rand_new_with_seed (9);
  g_autoptr (VkaImage) content = random_image (rand, 200, 150, 3);
  g_autoptr (VkaStyle) s1 = random_style (m.device, rand, 40, 40);
  g_autoptr (VkaStyle) s2 = random_style (m.device, rand, 30, 50);
  const VkaStyle *styles[2] = { s1, s2 };
  g_autoptr (VkaImage) mask = half_mask (200, 150, 1.0f);
  const guint n_tiles = 4 * 3;   /* 64-pixel tiles */
  /* tiles are kept in order while they fit: room for exactly the first two
   * windows' relu4_1 maps (16 floats deep) on the device and the next two in
   * host memory leaves none for a fifth */
  g_autoptr (GArray) plan = vka_tile_plan (200, 150, 64, 64);
  g_assert_cmpuint (plan->len, ==, n_tiles);
  guint64 map[4];
  for (int i = 0; i < 4; i++)
    {
      const VkaTile *t = &g_array_index (plan, VkaTile, i);
      map[i] = (guint64) 16 * ((t->ww + 7) / 8) * ((t->wh + 7) / 8) * sizeof (float);
    }
  const struct { guint64 device, host; guint encoded; } budgets[] = {
    { 0, 0, 2 * n_tiles },                        /* encode every tile twice */
    { G_MAXUINT64, 0, n_tiles },                  /* all kept on the device */
    { 0, G_MAXUINT64, n_tiles },                  /* all kept in host memory */
    { map[0] + map[1], map[2] + map[3], 2 * n_tiles - 4 },   /* two of each */
  };
  /* the default budgets (a quarter of each memory) keep every tile */
  VkaStylizeOptions plain = { .alpha = 0.8, .tile = 64 };
  guint encoded = 0;
  g_autoptr (VkaImage) by_default = stylize_counting (m.device, content, styles, 1, &plain,
                                                      &encoded);
  g_assert_cmpuint (encoded, ==, n_tiles);
  for (int masked = 0; masked < 2; masked++)
    {
      VkaStylizeOptions options = { .alpha = 0.8, .tile = 64, .mask = masked ? mask : NULL };
      int n_styles = masked ? 2 : 1;
      g_autoptr (VkaImage) encoded_twice = NULL;
      for (guint i = 0; i < G_N_ELEMENTS (budgets); i++)
        {
          vka_model_set_keep_budget (m.device, budgets[i].device, budgets[i].host);
          g_autoptr (VkaImage) out = stylize_counting (m.device, content, styles, n_styles,
                                                       &options, &encoded);
          g_assert_cmpuint (encoded, ==, budgets[i].encoded);
          if (i == 0)
            encoded_twice = g_steal_pointer (&out);
          else
            assert_same_pixels (encoded_twice, out);
        }
      if (!masked)
        assert_same_pixels (encoded_twice, by_default);
    }
  free_models (&m);
  g_assert_cmpuint (vka_context_validation_messages (device_context), ==, before);
}

/* The tiling's estimate of what one tile's stylisation holds bounds what
 * the backend really held, and not so loosely that budgets go unused. */
static void
test_memory_estimate (void)
{
  static const int narrow[4] = { 16, 32, 64, 128 };
  static const struct { int w, h; } sizes[] = { { 40, 33 }, { 97, 131 }, { 256, 200 },
                                                { 400, 300 }, { 720, 512 } };
  VkaBackend *b = vka_context_backend (device_context);
  g_assert_nonnull (b->ops->peak_bytes);
  g_autoptr (GRand) rand = g_rand_new_with_seed (77);
  g_autoptr (GError) error = NULL;
  g_autoptr (VkaWeights) enc = test_encoder_weights (rand, narrow);
  g_autoptr (VkaWeights) dec = test_decoder_weights (rand, narrow);
  g_autoptr (VkaModel) model = vka_model_new (device_context, enc, dec, &error);
  g_assert_no_error (error);
  g_autoptr (VkaImage) style_image = random_image (rand, 40, 40, 3);
  g_autoptr (VkaStyle) style = vka_style_from_image (model, style_image, NULL, &error);
  g_assert_no_error (error);
  const VkaStyle *styles[1] = { style };
  VkaStylizeOptions whole = { .alpha = 1.0, .memory_limit = G_MAXUINT64 };
  for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      int w = sizes[i].w, h = sizes[i].h;
      g_autoptr (VkaImage) content = random_image (rand, w, h, 3);
      g_autoptr (VkaImage) out = vka_image_new (w, h, 3, NULL);
      /* the first run makes the kernels' plans and packs the weights */
      for (int run = 0; run < 2; run++)
        {
          guint64 base = b->ops->reset_peak (b);
          g_assert_true (vka_stylize (model, content, styles, NULL, 1, &whole, out, NULL,
                                      NULL, NULL, &error));
          g_assert_no_error (error);
          guint64 held = b->ops->peak_bytes (b) - base;
          if (run == 0)
            {
              g_test_message ("%d×%d: held %.2f MiB on the first run", w, h, held / 1048576.0);
              continue;
            }
          guint64 estimate = vka_model_tile_working_bytes (model, 3, w, h, w, h);
          g_test_message ("%d×%d: held %.2f MiB, estimated %.2f MiB (%.2f×)", w, h,
                          held / 1048576.0, estimate / 1048576.0, (double) estimate / held);
          g_assert_cmpuint (held, <=, estimate);
          /* a few MiB of kernel scratch are counted whatever the size */
          g_assert_cmpuint (estimate, <=, 3 * held + ((guint64) 12 << 20));
        }
    }
}

/* What vka_tile_choose minimises for a plan: the pixels of every window,
 * halos included, through encoder and decoder, and through the encoder again
 * for the tiles whose relu4_1 maps do not fit what the budget leaves (the
 * largest window's map counted for each). G_MAXDOUBLE when the plan's
 * largest tile does not fit the budget. */
static double
plan_cost (VkaModel *model, int width, int height, int interior_w, int interior_h,
           guint64 budget)
{
  g_autoptr (GArray) plan = vka_tile_plan (width, height, interior_w, interior_h);
  double pixels = 0;
  int lw = 0, lh = 0;
  for (guint i = 0; i < plan->len; i++)
    {
      const VkaTile *t = &g_array_index (plan, VkaTile, i);
      pixels += (double) t->ww * t->wh;
      lw = MAX (lw, t->ww);
      lh = MAX (lh, t->wh);
    }
  guint64 working = vka_model_tile_working_bytes (model, 3, lw, lh, MIN (interior_w, width),
                                                  MIN (interior_h, height));
  if (working > budget)
    return G_MAXDOUBLE;
  double n = plan->len;
  guint64 map = vka_tile_feature_bytes (model->backend, model->encoder, lw, lh);
  double kept = MIN (n, (double) ((budget - working) / MAX (map, 1)));
  return pixels * (2 + (n - kept) / n);
}

/* The tile plan stays within the budget and costs no more than any square
 * plan that fits it (oblong tiles may cost less: a 4:3 picture in 2×2). */
static void
test_tile_choice (void)
{
  Models m = make_models (31);
  VkaModel *model = m.device;
  static const struct { int w, h; guint64 budget_mib; } cases[] = {
    { 4000, 3000, 256 }, { 6000, 4000, 512 }, { 1000, 7000, 128 }, { 3001, 2999, 96 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      int w = cases[i].w, h = cases[i].h;
      guint64 budget = cases[i].budget_mib << 20;
      VkaTileChoice choice;
      g_autoptr (GError) error = NULL;
      g_assert_true (vka_tile_choose (model->backend, model->encoder, model->decoder, 3, w, h,
                                      0, budget, &choice, &error));
      g_assert_no_error (error);
      g_assert_cmpint (choice.interior_w, >, 0);
      g_assert_cmpint (choice.interior_w % 8, ==, 0);
      g_assert_cmpint (choice.interior_h % 8, ==, 0);
      double chosen = plan_cost (model, w, h, choice.interior_w, choice.interior_h, budget);
      g_assert_cmpfloat (chosen, <, G_MAXDOUBLE);
      double best_square = G_MAXDOUBLE;
      for (int side = 64; side <= MAX (w, h); side += 8)
        best_square = MIN (best_square, plan_cost (model, w, h, side, side, budget));
      g_test_message ("%d×%d under %" G_GUINT64_FORMAT " MiB: %d×%d tiles, cost %.0f; best "
                      "square plan %.0f", w, h, cases[i].budget_mib, choice.interior_w,
                      choice.interior_h, chosen, best_square);
      g_assert_cmpfloat (best_square, <, G_MAXDOUBLE);
      g_assert_cmpfloat (chosen, <=, best_square * (1 + 1e-9));
    }
  vka_model_free (m.device);
  vka_model_free (m.reference);
}

/* An out-of-memory error makes vka_stylize retry with smaller tiles. */
static void
test_out_of_memory_retries (void)
{
  g_autoptr (GError) error = NULL;
  /* 3.5 MB: a 406-pixel window of 4-channel activations fits, 556 does not */
  g_setenv ("VKA_TEST_ALLOC_LIMIT", "3500000", TRUE);
  VkaContextConfig config = test_device_config ();
  config.guards = FALSE;
  g_autoptr (VkaContext) limited = vka_context_new_full (&config, &error);
  g_unsetenv ("VKA_TEST_ALLOC_LIMIT");
  g_assert_no_error (error);

  g_autoptr (GRand) rand = g_rand_new_with_seed (31);
  g_autoptr (VkaWeights) enc = test_encoder_weights (rand, test_network_widths);
  g_autoptr (VkaWeights) dec = test_decoder_weights (rand, test_network_widths);
  g_autoptr (VkaModel) small = vka_model_new (limited, enc, dec, &error);
  g_assert_no_error (error);
  g_autoptr (VkaModel) normal = vka_model_new (device_context, enc, dec, &error);
  g_assert_no_error (error);
  g_autoptr (VkaImage) content = random_image (rand, 600, 600, 3);
  g_autoptr (VkaImage) style_image = random_image (rand, 64, 64, 3);
  g_autoptr (VkaStyle) style = vka_style_from_image (normal, style_image, NULL, &error);
  g_assert_no_error (error);
  const VkaStyle *styles[1] = { style };

  /* the untiled run cannot allocate its first layer on the limited device */
  VkaStylizeOptions options = VKA_STYLIZE_OPTIONS_DEFAULT;
  g_autoptr (VkaImage) retried = stylize_with (small, content, styles, 1, &options);
  g_autoptr (VkaImage) reference = stylize_with (normal, content, styles, 1, &options);
  double db = test_image_psnr (reference, retried);
  g_test_message ("after out-of-memory retries vs untiled: %.1f dB", db);
  g_assert_cmpfloat (db, >=, 60);
  g_assert_cmpuint (vka_context_validation_messages (limited), ==, 0);
}

/* Spatial control against the reference, tiled and not, and the two
 * degenerate masks against plain single-style runs. */
static void
test_mask (void)
{
  guint before = vka_context_validation_messages (device_context);
  Models m = make_models (41);
  g_autoptr (GRand) rand = g_rand_new_with_seed (12);
  g_autoptr (GError) error = NULL;
  g_autoptr (VkaImage) content = random_image (rand, 45, 38, 3);
  g_autoptr (VkaImage) s1 = random_image (rand, 30, 30, 3);
  g_autoptr (VkaImage) s2 = random_image (rand, 25, 41, 3);
  g_autoptr (VkaStyle) d1 = vka_style_from_image (m.device, s1, NULL, &error);
  g_autoptr (VkaStyle) d2 = vka_style_from_image (m.device, s2, NULL, &error);
  g_autoptr (VkaStyle) r1 = vka_style_from_image (m.reference, s1, NULL, &error);
  g_autoptr (VkaStyle) r2 = vka_style_from_image (m.reference, s2, NULL, &error);
  g_assert_no_error (error);
  const VkaStyle *dev[2] = { d1, d2 }, *ref[2] = { r1, r2 };

  g_autoptr (VkaImage) mask = half_mask (45, 38, 1.0f);
  VkaStylizeOptions options = { .alpha = 0.9, .mask = mask };
  g_autoptr (VkaImage) a = stylize_with (m.device, content, dev, 2, &options);
  g_autoptr (VkaImage) b = stylize_with (m.reference, content, ref, 2, &options);
  g_test_message ("mask, device vs reference: %.1f dB", test_image_psnr (a, b));
  g_assert_cmpfloat (test_image_psnr (a, b), >=, 80);

  /* the two halves really differ from a plain run with either style */
  VkaStylizeOptions plain = { .alpha = 0.9 };
  g_autoptr (VkaImage) only1 = stylize_with (m.device, content, dev, 1, &plain);
  g_assert_cmpfloat (test_image_psnr (a, only1), <, 60);

  /* all ones: the first style alone; all zeros: the second alone */
  g_autoptr (VkaImage) ones = half_mask (45, 38, 1.0f);
  g_autoptr (VkaImage) zeros = half_mask (45, 38, 0.0f);
  for (int i = 0; i < 45 * 38; i++)
    ones->pixels[i] = 1.0f, zeros->pixels[i] = 0.0f;
  VkaStylizeOptions all1 = { .alpha = 0.9, .mask = ones }, all0 = { .alpha = 0.9, .mask = zeros };
  g_autoptr (VkaImage) m1 = stylize_with (m.device, content, dev, 2, &all1);
  g_autoptr (VkaImage) m0 = stylize_with (m.device, content, dev, 2, &all0);
  const VkaStyle *just2[1] = { d2 };
  g_autoptr (VkaImage) only2 = stylize_with (m.device, content, just2, 1, &plain);
  g_assert_cmpfloat (test_image_psnr (m1, only1), >=, 80);
  g_assert_cmpfloat (test_image_psnr (m0, only2), >=, 80);

  /* tiled masks (regions cut by tile borders) */
  g_autoptr (VkaImage) big = random_image (rand, 300, 280, 3);
  g_autoptr (VkaImage) big_mask = half_mask (300, 280, 1.0f);
  VkaStylizeOptions whole = { .alpha = 1.0, .mask = big_mask };
  VkaStylizeOptions tiled = { .alpha = 1.0, .mask = big_mask, .tile = 64 };
  g_autoptr (VkaImage) w = stylize_with (m.device, big, dev, 2, &whole);
  g_autoptr (VkaImage) t = stylize_with (m.device, big, dev, 2, &tiled);
  g_test_message ("mask, tiled vs untiled: %.1f dB", test_image_psnr (w, t));
  g_assert_cmpfloat (test_image_psnr (w, t), >=, 60);

  /* a mask needs two styles and the content's size */
  g_autoptr (VkaImage) out = vka_image_new (45, 38, 3, NULL);
  g_assert_false (vka_stylize (m.device, content, dev, NULL, 1, &options, out, NULL, NULL,
                               NULL, &error));
  g_assert_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  VkaStylizeOptions wrong = { .alpha = 1.0, .mask = big_mask };
  g_assert_false (vka_stylize (m.device, content, dev, NULL, 2, &wrong, out, NULL, NULL,
                               NULL, &error));
  g_assert_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT);
  free_models (&m);
  g_assert_cmpuint (vka_context_validation_messages (device_context), ==, before);
}

typedef struct
{
  GCancellable *cancellable;
  GArray       *fractions;
} ProgressLog;

static void
on_progress (double fraction, gpointer data)
{
  ProgressLog *log = data;
  g_array_append_val (log->fractions, fraction);
  if (log->cancellable && log->fractions->len == 3)
    g_cancellable_cancel (log->cancellable);
}

/* Progress rises to 1 over the tiles; a cancel between tiles stops the run. */
static void
test_progress_and_cancel (void)
{
  Models m = make_models (51);
  g_autoptr (GRand) rand = g_rand_new_with_seed (2);
  g_autoptr (GError) error = NULL;
  g_autoptr (VkaImage) content = random_image (rand, 200, 150, 3);
  g_autoptr (VkaImage) s = random_image (rand, 32, 32, 3);
  g_autoptr (VkaStyle) style = vka_style_from_image (m.device, s, NULL, &error);
  g_assert_no_error (error);
  const VkaStyle *styles[1] = { style };
  VkaStylizeOptions options = { .alpha = 1.0, .tile = 64 };
  g_autoptr (VkaImage) out = vka_image_new (200, 150, 3, NULL);

  ProgressLog log = { NULL, g_array_new (FALSE, FALSE, sizeof (double)) };
  g_assert_true (vka_stylize (m.device, content, styles, NULL, 1, &options, out,
                              on_progress, &log, NULL, &error));
  g_assert_no_error (error);
  /* 4×3 tiles, two passes */
  g_assert_cmpuint (log.fractions->len, ==, 24);
  for (guint i = 1; i < log.fractions->len; i++)
    g_assert_cmpfloat (g_array_index (log.fractions, double, i), >=,
                       g_array_index (log.fractions, double, i - 1));
  g_assert_cmpfloat (g_array_index (log.fractions, double, log.fractions->len - 1), ==, 1.0);

  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  g_array_set_size (log.fractions, 0);
  log.cancellable = cancel;
  g_assert_false (vka_stylize (m.device, content, styles, NULL, 1, &options, out,
                               on_progress, &log, cancel, &error));
  g_assert_error (error, VKA_ERROR, VKA_ERROR_CANCELLED);
  g_assert_cmpuint (log.fractions->len, ==, 3);
  g_array_unref (log.fractions);
  free_models (&m);
}

static const ForwardCase forward_cases[] = {
  { 37, 29, 3, 3, 1, 1.0, FALSE },   /* odd sizes: ceil-mode pools, crop */
  { 64, 48, 3, 3, 2, 0.6, FALSE },   /* two-style mix with strength */
  { 21, 30, 4, 4, 1, 1.0, FALSE },   /* RGBA keeps alpha */
  { 19, 17, 1, 3, 1, 0.8, FALSE },   /* grayscale in */
  { 16, 12, 2, 4, 2, 1.0, FALSE },   /* gray + alpha */
  { 5, 3, 3, 3, 1, 1.0, FALSE },     /* relu4_1 is 1×1 */
  { 37, 29, 3, 3, 1, 1.0, TRUE },    /* bilinear upsamplings, odd sizes */
  { 2, 9, 3, 3, 1, 1.0, TRUE },      /* width 2: relu4_1 is 1 wide */
  { 5, 3, 4, 4, 2, 0.7, TRUE },      /* relu4_1 is 1×1 */
};

int
main (int argc, char **argv)
{
  test_init (&argc, &argv);
  device_context = test_device_context ();
  reference_context = vka_context_new_reference ();
  for (guint i = 0; i < G_N_ELEMENTS (forward_cases); i++)
    {
      const ForwardCase *fc = &forward_cases[i];
      g_autofree char *path = g_strdup_printf ("/network/forward/%dx%d-ch%d-out%d-styles%d-a%.1f%s",
                                               fc->width, fc->height, fc->channels,
                                               fc->out_channels, fc->n_styles, fc->alpha,
                                               fc->bilinear ? "-bilinear" : "");
      g_test_add_data_func (path, fc, test_forward);
    }
  g_test_add_func ("/network/alpha-zero-ignores-style", test_alpha_zero_ignores_style);
  g_test_add_func ("/network/model-errors", test_model_errors);
  g_test_add_func ("/network/stylize-errors", test_stylize_errors);
  g_test_add_data_func ("/network/tiled-equals-untiled", GINT_TO_POINTER (FALSE),
                        test_tiled_equals_untiled);
  g_test_add_data_func ("/network/tiled-equals-untiled-bilinear", GINT_TO_POINTER (TRUE),
                        test_tiled_equals_untiled);
  g_test_add_func ("/network/bilinear-differs", test_bilinear_differs);
  g_test_add_func ("/network/content-noise", test_content_noise);
  g_test_add_func ("/network/content-noise-values", test_content_noise_values);
  g_test_add_func ("/network/tiled-keeps-features", test_tiled_keeps_features);
  g_test_add_func ("/network/out-of-memory-retries", test_out_of_memory_retries);
  g_test_add_func ("/network/memory-estimate", test_memory_estimate);
  g_test_add_func ("/network/tile-choice", test_tile_choice);
  g_test_add_func ("/network/folded-input-conv", test_folded_input_conv);
  g_test_add_func ("/network/mask", test_mask);
  g_test_add_func ("/network/progress-and-cancel", test_progress_and_cancel);
  test_network_styles_add ();   /* test-network-styles.c */
  test_network_transfers_add ();   /* test-network-transfers.c */
  if (g_str_equal (test_backend_name (), "vulkan"))
    g_test_add_func ("/network/memory-reuse", test_memory_reuse);
  int status = g_test_run ();
  vka_context_free (reference_context);
  test_context_finish (device_context);
  return status;
}
