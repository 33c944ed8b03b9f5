/* test-train.c — one training iteration end to end: the Vulkan device
 * against the plain-C reference backend, the whole loss's gradient against
 * finite differences, and a short run whose loss falls. */
#include "test-util.h"
#include "net/network.h"
#include "net/train-private.h"

#include <math.h>
#include <string.h>

static VkaContext *device_context;
static VkaContext *reference_context;
static VkaContext *reference64_context;
static const int widths[4] = { 4, 8, 8, 16 };

enum { N = 2, H = 19, W = 17 };

static float *
smooth_batch (GRand *rand)
{
  float *x = g_new (float, N * 3 * H * W);
  for (int i = 0; i < N * 3; i++)
    {
      double fx = g_rand_double_range (rand, 0.1, 0.6), fy = g_rand_double_range (rand, 0.1, 0.6);
      double ph = g_rand_double_range (rand, 0, 6);
      for (int p = 0; p < H * W; p++)
        x[i * H * W + p] = (float) (0.5 + 0.3 * sin (p % W * fx + p / W * fy + ph)
                                    + g_rand_double_range (rand, -0.1, 0.1));
    }
  return x;
}

static VkaTrainer *
make_trainer_upsampling (VkaContext *ctx, guint32 seed, const VkaTrainOptions *opts,
                         gboolean bilinear)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr (VkaWeights) enc = vka_network_random_weights (VKA_NETWORK_ENCODER, widths, rand);
  g_autoptr (VkaWeights) dec = vka_network_random_weights (VKA_NETWORK_DECODER, widths, rand);
  g_autoptr (GError) error = NULL;
  if (bilinear)
    {
      g_assert_true (vka_decoder_mark_bilinear (dec, &error));
      g_assert_no_error (error);
    }
  VkaTrainer *t = vka_trainer_new (ctx, enc, dec, opts, &error);
  g_assert_no_error (error);
  return t;
}

static VkaTrainer *
make_trainer (VkaContext *ctx, guint32 seed, const VkaTrainOptions *opts)
{
  return make_trainer_upsampling (ctx, seed, opts, FALSE);
}

/* data: TRUE for a decoder with bilinear upsamplings */
static void
test_device_matches_reference (gconstpointer data)
{
  gboolean bilinear = GPOINTER_TO_INT (data);
  guint before = vka_context_validation_messages (device_context);
  VkaTrainOptions opts = { 1e-3, 5e-5, 1.0, 10.0, FALSE };
  g_autoptr (VkaTrainer) dev = make_trainer_upsampling (device_context, 5, &opts, bilinear);
  g_autoptr (VkaTrainer) ref = make_trainer_upsampling (reference_context, 5, &opts, bilinear);
  g_autoptr (GRand) rand = g_rand_new_with_seed (9);
  g_autoptr (GError) error = NULL;
  for (int step = 0; step < 2; step++)
    {
      g_autofree float *c = smooth_batch (rand), *s = smooth_batch (rand);
      VkaTrainLosses ld, lr;
      g_assert_true (vka_trainer_step (dev, c, s, N, H, W, &ld, &error));
      g_assert_no_error (error);
      g_assert_true (vka_trainer_step (ref, c, s, N, H, W, &lr, &error));
      g_assert_no_error (error);
      g_test_message ("step %d: loss %.6f (device) %.6f (reference); content %.6f style %.6f",
                      step, ld.loss, lr.loss, lr.content, lr.style);
      g_assert_cmpfloat (fabs (ld.loss - lr.loss), <=, 1e-4 * lr.loss);
      g_assert_cmpfloat (lr.loss, >, 0);
    }
  g_autoptr (VkaWeights) wd = vka_trainer_decoder_weights (dev, &error);
  g_autoptr (VkaWeights) wr = vka_trainer_decoder_weights (ref, &error);
  g_assert_no_error (error);
  /* 18 parameters, and the marker of a bilinear decoder */
  g_assert_cmpuint (vka_weights_count (wd), ==, bilinear ? 19 : 18);
  gboolean marked;
  g_assert_true (vka_decoder_bilinear (wd, &marked, "decoder", &error));
  g_assert_cmpint (marked, ==, bilinear);
  for (guint i = 0; i < vka_weights_count (wr); i++)
    {
      const VkaTensorData *r = vka_weights_nth (wr, i);
      const VkaTensorData *d = vka_weights_get (wd, r->name);
      g_assert_nonnull (d);
      double nmse = test_nmse (r->data, d->data, vka_tensor_data_numel (r));
      if (nmse > 1e-8)
        g_test_message ("%s: NMSE %.3g", r->name, nmse);
      g_assert_cmpfloat (nmse, <=, 1e-8);
    }
  g_assert_cmpuint (vka_context_validation_messages (device_context), ==, before);
}

static double
loss_at (VkaTrainer *t, const float *c, const float *s)
{
  g_autoptr (GError) error = NULL;
  VkaTrainLosses l;
  g_assert_true (vka_trainer_compute_gradients (t, c, s, N, H, W, &l, &error));
  g_assert_no_error (error);
  return l.loss;
}

static void
write_param (VkaTensor *p, const float *values)
{
  g_autoptr (GError) error = NULL;
  p->backend->ops->tensor_write (p, values, &error);
  g_assert_no_error (error);
}

/* The composed gradient (decoder, AdaIN target, encoder backward, losses)
 * against central differences of the loss on the double-precision reference
 * backend, along a
 * random direction per parameter tensor (robust to the odd ReLU or max-pool
 * that switches within the step, unlike single entries). */
static void
test_gradient_matches_finite_differences (gconstpointer bilinear)
{
  VkaTrainOptions opts = VKA_TRAIN_OPTIONS_DEFAULT;
  /* seed 17's bilinear decoder has gradients near the tolerance's floor
   * (1e-4); 21's are of order 1, every one of them checked */
  gboolean is_bilinear = GPOINTER_TO_INT (bilinear);
  g_autoptr (VkaTrainer) t = make_trainer_upsampling (reference64_context,
                                                      is_bilinear ? 21 : 17, &opts, is_bilinear);
  g_autoptr (GRand) rand = g_rand_new_with_seed (3);
  g_autofree float *c = smooth_batch (rand), *s = smooth_batch (rand);
  loss_at (t, c, s);
  guint n_params = vka_trainer_n_params (t);
  g_autoptr (GPtrArray) grads = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < n_params; i++)
    {
      VkaTensor *p;
      g_ptr_array_add (grads, test_read (vka_trainer_param_grad (t, i, &p)));
    }
  guint checked = 0;
  for (guint i = 0; i < n_params; i++)
    {
      VkaTensor *p;
      vka_trainer_param_grad (t, i, &p);
      gsize n = vka_tensor_numel (p);
      const float *g = grads->pdata[i];
      g_autofree float *base = test_read (p);
      g_autofree float *moved = g_new (float, n);
      g_autofree double *dir = g_new (double, n);
      double analytic = 0, h = 1e-4;
      for (gsize k = 0; k < n; k++)
        {
          dir[k] = g_rand_double_range (rand, -1, 1);
          analytic += dir[k] * g[k];
        }
      for (gsize k = 0; k < n; k++)
        moved[k] = (float) (base[k] + h * dir[k]);
      write_param (p, moved);
      double up = loss_at (t, c, s);
      for (gsize k = 0; k < n; k++)
        moved[k] = (float) (base[k] - h * dir[k]);
      write_param (p, moved);
      double down = loss_at (t, c, s);
      write_param (p, base);
      double numeric = (up - down) / (2 * h);
      g_test_message ("param %u (%" G_GSIZE_FORMAT " values): analytic %.6g numeric %.6g",
                      i, n, analytic, numeric);
      g_assert_cmpfloat (fabs (numeric - analytic), <=,
                         0.05 * MAX (fabs (numeric), fabs (analytic)) + 1e-4);
      checked++;
    }
  g_assert_cmpuint (checked, ==, 18);
}

static void
test_loss_falls (void)
{
  VkaTrainOptions opts = { 1e-3, 5e-5, 1.0, 10.0, FALSE };
  g_autoptr (VkaTrainer) t = make_trainer (device_context, 23, &opts);
  g_autoptr (GRand) rand = g_rand_new_with_seed (4);
  g_autoptr (GError) error = NULL;
  g_autofree float *c = smooth_batch (rand), *s = smooth_batch (rand);
  double first = 0, last = 0;
  for (int i = 0; i < 40; i++)
    {
      VkaTrainLosses l;
      g_assert_true (vka_trainer_step (t, c, s, N, H, W, &l, &error));
      g_assert_no_error (error);
      if (i == 0)
        first = l.loss;
      last = l.loss;
    }
  g_test_message ("loss %.4f -> %.4f after 40 Adam steps", first, last);
  g_assert_cmpint (vka_trainer_iteration (t), ==, 40);
  g_assert_cmpfloat (last, <, 0.7 * first);
}

/* A trainer rebuilt from another's decoder weights and optimiser state
 * continues exactly as the original does; a state with a tensor missing
 * or of the wrong size is refused and changes nothing. */
static void
test_state_round_trip (void)
{
  VkaTrainOptions opts = { 1e-3, 5e-5, 1.0, 10.0, FALSE };
  g_autoptr (VkaTrainer) a = make_trainer (device_context, 31, &opts);
  g_autoptr (GRand) rand = g_rand_new_with_seed (8);
  g_autoptr (GError) error = NULL;
  g_autofree float *c = smooth_batch (rand), *s = smooth_batch (rand);
  VkaTrainLosses la, lb;
  for (int i = 0; i < 3; i++)
    g_assert_true (vka_trainer_step (a, c, s, N, H, W, &la, &error));
  g_assert_no_error (error);
  int iteration = -1;
  g_autoptr (VkaWeights) state = vka_trainer_get_state (a, &iteration, &error);
  g_autoptr (VkaWeights) dec = vka_trainer_decoder_weights (a, &error);
  g_assert_no_error (error);
  g_assert_cmpint (iteration, ==, 3);
  g_assert_cmpuint (vka_weights_count (state), ==, 36);
  const VkaTensorData *m1 = vka_weights_get (state, "m.1.weight");
  g_assert_nonnull (m1);
  double norm = 0;
  for (gint64 k = 0; k < vka_tensor_data_numel (m1); k++)
    norm += fabs (m1->data[k]);
  g_assert_cmpfloat (norm, >, 0);

  g_autoptr (GRand) wr = g_rand_new_with_seed (31);
  g_autoptr (VkaWeights) enc = vka_network_random_weights (VKA_NETWORK_ENCODER, widths, wr);
  g_autoptr (VkaTrainer) b = vka_trainer_new (device_context, enc, dec, &opts, &error);
  g_assert_no_error (error);
  /* refused: a moment missing, then one of the wrong size */
  g_autoptr (VkaWeights) partial = vka_weights_new ();
  g_assert_false (vka_trainer_set_state (b, partial, 3, &error));
  g_assert_error (error, VKA_ERROR, VKA_ERROR_MODEL);
  g_assert_nonnull (strstr (error->message, "m.1.weight"));
  g_clear_error (&error);
  g_assert_cmpint (vka_trainer_iteration (b), ==, 0);
  g_assert_true (vka_trainer_set_state (b, state, iteration, &error));
  g_assert_no_error (error);
  g_assert_cmpint (vka_trainer_iteration (b), ==, 3);
  g_assert_true (vka_trainer_step (a, c, s, N, H, W, &la, &error));
  g_assert_true (vka_trainer_step (b, c, s, N, H, W, &lb, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (la.loss, ==, lb.loss);
  g_assert_cmpfloat (la.lr, ==, lb.lr);
  g_autoptr (VkaWeights) wa = vka_trainer_decoder_weights (a, &error);
  g_autoptr (VkaWeights) wb = vka_trainer_decoder_weights (b, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < vka_weights_count (wa); i++)
    {
      const VkaTensorData *x = vka_weights_nth (wa, i), *y = vka_weights_nth (wb, i);
      g_assert_cmpmem (x->data, vka_tensor_data_numel (x) * 4, y->data,
                       vka_tensor_data_numel (y) * 4);
    }
}

/* PyTorch's nn.Conv2d init: uniform in ±1/sqrt(fan_in), weights and biases,
 * widths from the encoder. */
static void
test_decoder_init (void)
{
  static const int full[4] = { 64, 128, 256, 512 };
  g_autoptr (GRand) rand = g_rand_new_with_seed (3);
  g_autoptr (VkaWeights) enc = vka_network_random_weights (VKA_NETWORK_ENCODER, full, rand);
  g_autoptr (GError) error = NULL;
  g_autoptr (VkaWeights) dec = vka_decoder_init_weights (enc, rand, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vka_weights_count (dec), ==, 18);
  gint64 total = 0;
  for (guint i = 0; i < 18; i++)
    {
      const VkaTensorData *t = vka_weights_nth (dec, i);
      const VkaTensorData *w = i % 2 ? vka_weights_nth (dec, i - 1) : t;
      double bound = 1 / sqrt ((double) (w->shape[1] * w->shape[2] * w->shape[3]));
      double max = 0, sum2 = 0;
      gint64 n = vka_tensor_data_numel (t);
      for (gint64 k = 0; k < n; k++)
        {
          max = MAX (max, fabs (t->data[k]));
          sum2 += (double) t->data[k] * t->data[k];
        }
      g_assert_cmpfloat (max, <=, bound);
      if (n > 1000)   /* uniform: variance bound²/3 */
        g_assert_cmpfloat (fabs (sum2 / n / (bound * bound / 3) - 1), <, 0.1);
      total += n;
    }
  g_assert_cmpint (total, ==, 3505219);   /* the reference decoder's size */
  g_assert_cmpint (vka_weights_get (dec, "1.weight")->shape[1], ==, 512);
  g_autoptr (VkaWeights) empty = vka_weights_new ();
  g_assert_null (vka_decoder_init_weights (empty, rand, &error));
  g_assert_error (error, VKA_ERROR, VKA_ERROR_MODEL);
}

/* Training picks its device as stylising does (GPU > CPU backend >
 * lavapipe): the CPU backend is no longer left out. */
static void
test_automatic_device (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *pinned = g_strdup (g_getenv ("VK_ADAIN_DEVICE"));
  g_unsetenv ("VK_ADAIN_DEVICE");
  g_autoptr (VkaContext) stylise = vka_context_new (NULL, &error);
  g_assert_no_error (error);
  g_autoptr (VkaContext) train = vka_context_new_for_training (NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vka_context_device (train)->name, ==, vka_context_device (stylise)->name);
  g_autoptr (VkaTrainer) t = make_trainer (train, 3, NULL);
  g_assert_nonnull (t);
  if (pinned)
    g_setenv ("VK_ADAIN_DEVICE", pinned, TRUE);
}

int
main (int argc, char **argv)
{
  test_init (&argc, &argv);
  device_context = test_device_context ();
  reference_context = vka_context_new_reference ();
  reference64_context = vka_context_new_reference64 ();
  g_test_add_data_func ("/train/device-matches-reference", GINT_TO_POINTER (FALSE),
                        test_device_matches_reference);
  g_test_add_data_func ("/train/device-matches-reference-bilinear", GINT_TO_POINTER (TRUE),
                        test_device_matches_reference);
  g_test_add_data_func ("/train/gradient-vs-finite-differences", GINT_TO_POINTER (FALSE),
                        test_gradient_matches_finite_differences);
  g_test_add_data_func ("/train/gradient-vs-finite-differences-bilinear",
                        GINT_TO_POINTER (TRUE), test_gradient_matches_finite_differences);
  g_test_add_func ("/train/loss-falls", test_loss_falls);
  g_test_add_func ("/train/state-round-trip", test_state_round_trip);
  g_test_add_func ("/train/decoder-init", test_decoder_init);
  g_test_add_func ("/train/automatic-device", test_automatic_device);
  int status = g_test_run ();
  vka_context_free (reference_context);
  vka_context_free (reference64_context);
  test_context_finish (device_context);
  return status;
}
