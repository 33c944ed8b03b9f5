/* test-train-torch.c — our training step against PyTorch's: the fixture in
 * tests/train/ (made by make_step_fixture.py) holds a narrow AdaIN network,
 * two batches, and the losses and updated decoder that pytorch-AdaIN's loss
 * and torch.optim gave after one SGD step and after two Adam steps. Each
 * backend that can train runs the same steps: the Vulkan device, the
 * plain-C reference on float and on double. */
#include "test-util.h"
#include "net/train-private.h"

#include <math.h>

/* As in make_step_fixture.py. */
#define LR_SGD         1e-2
#define LR_ADAM        1e-3
#define LR_DECAY       0.5
#define CONTENT_WEIGHT 1.0
#define STYLE_WEIGHT   10.0

typedef struct
{
  const char *name;
  VkaContext *(*make) (void);
  double      loss_rtol;     /* losses, relative */
  double      delta_nmse;    /* each tensor's change in the step, NMSE */
} Backend;

static char *fixtures_dir;

static VkaWeights *
load (const char *file)
{
  g_autofree char *path = g_build_filename (fixtures_dir, file, NULL);
  g_autoptr (GError) error = NULL;
  VkaWeights *w = vka_weights_load (path, NULL, &error);
  g_assert_no_error (error);
  return w;
}

static const float *
tensor (const VkaWeights *w, const char *name)
{
  const VkaTensorData *t = vka_weights_get (w, name);
  if (!t)
    g_error ("fixture tensor %s is missing", name);
  return t->data;
}

static void
assert_losses (const VkaTrainLosses *got, const float *want, double rtol, int step)
{
  const double values[3] = { got->loss, got->content, got->style };
  static const char *const names[3] = { "loss", "content", "style" };
  for (int k = 0; k < 3; k++)
    {
      double rel = fabs (values[k] - want[k]) / fabs (want[k]);
      g_test_message ("  step %d %s: %.9g, PyTorch %.9g (relative %.2g)", step, names[k],
                      values[k], (double) want[k], rel);
      g_assert_cmpfloat (rel, <=, rtol);
    }
}

/* Compares what each parameter moved by, which the weights themselves would
 * hide: NMSE of (ours − before) against (PyTorch's − before). */
static void
assert_decoder (VkaTrainer *trainer, const VkaWeights *before, const VkaWeights *want,
                double max_nmse)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VkaWeights) got = vka_trainer_decoder_weights (trainer, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vka_weights_count (got), ==, vka_weights_count (before));
  double worst = 0;
  const char *worst_name = NULL;
  for (guint i = 0; i < vka_weights_count (before); i++)
    {
      const VkaTensorData *b = vka_weights_nth (before, i);
      const VkaTensorData *g = vka_weights_get (got, b->name);
      g_assert_nonnull (g);
      gsize n = (gsize) vka_tensor_data_numel (b);
      g_assert_cmpint (vka_tensor_data_numel (g), ==, (gint64) n);
      const float *w = tensor (want, b->name);
      g_autofree float *want_delta = g_new (float, n);
      g_autofree float *got_delta = g_new (float, n);
      for (gsize k = 0; k < n; k++)
        {
          want_delta[k] = w[k] - b->data[k];
          got_delta[k] = g->data[k] - b->data[k];
        }
      double nmse = test_nmse (want_delta, got_delta, n);
      if (nmse >= worst)
        {
          worst = nmse;
          worst_name = b->name;
        }
      if (nmse > max_nmse)
        g_test_message ("  %s: change NMSE %.3g", b->name, nmse);
      g_assert_cmpfloat (nmse, <=, max_nmse);
    }
  g_test_message ("  decoder changes: worst NMSE %.3g (%s)", worst, worst_name);
}

static VkaTrainer *
make_trainer (VkaContext *ctx, gboolean sgd)
{
  g_autoptr (VkaWeights) enc = load ("step-encoder.safetensors");
  g_autoptr (VkaWeights) dec = load ("step-decoder.safetensors");
  VkaTrainOptions opts = { sgd ? LR_SGD : LR_ADAM, LR_DECAY, CONTENT_WEIGHT,
                           STYLE_WEIGHT, sgd };
  g_autoptr (GError) error = NULL;
  VkaTrainer *t = vka_trainer_new (ctx, enc, dec, &opts, &error);
  g_assert_no_error (error);
  return t;
}

static void
run_steps (VkaContext *ctx, const Backend *backend, gboolean sgd)
{
  g_autoptr (VkaWeights) batches = load ("step-batches.safetensors");
  g_autoptr (VkaWeights) before = load ("step-decoder.safetensors");
  g_autoptr (VkaWeights) want = load (sgd ? "step-sgd.safetensors" : "step-adam.safetensors");
  const VkaTensorData *content = vka_weights_get (batches, "content0");
  g_assert_nonnull (content);
  int n = (int) content->shape[0], h = (int) content->shape[2], w = (int) content->shape[3];
  const float *want_losses = tensor (want, "losses");
  g_autoptr (VkaTrainer) trainer = make_trainer (ctx, sgd);
  g_autoptr (GError) error = NULL;

  g_test_message ("%s, %s:", backend->name, sgd ? "SGD" : "Adam");
  for (int step = 0; step < (sgd ? 1 : 2); step++)
    {
      char c_name[16], s_name[16];
      g_snprintf (c_name, sizeof c_name, "content%d", step);
      g_snprintf (s_name, sizeof s_name, "style%d", step);
      VkaTrainLosses losses;
      g_assert_true (vka_trainer_step (trainer, tensor (batches, c_name),
                                       tensor (batches, s_name), n, h, w, &losses, &error));
      g_assert_no_error (error);
      g_assert_cmpfloat (fabs (losses.lr - (sgd ? LR_SGD : LR_ADAM) / (1 + LR_DECAY * step)),
                         <=, 1e-15);
      assert_losses (&losses, want_losses + 3 * step, backend->loss_rtol, step);
    }
  assert_decoder (trainer, before, want, backend->delta_nmse);
}

static void
test_steps_on (gconstpointer data)
{
  const Backend *backend = data;
  VkaContext *ctx = backend->make ();
  guint before = vka_context_validation_messages (ctx);
  run_steps (ctx, backend, TRUE);
  run_steps (ctx, backend, FALSE);
  g_assert_cmpuint (vka_context_validation_messages (ctx), ==, before);
  if (backend->make == test_vulkan_context)
    test_context_finish (ctx);
  else
    vka_context_free (ctx);
}

static const Backend backends[] = {
  /* float: within summation-order noise (seen on lavapipe: losses 2e-6,
   * changes 1e-9; the CPU backend alike); double: only the float32 storage of the tensors */
  { "vulkan", test_vulkan_context, 1e-4, 1e-6 },
  { "reference", vka_context_new_reference, 1e-4, 1e-8 },
  { "reference64", vka_context_new_reference64, 1e-6, 1e-12 },
};

int
main (int argc, char **argv)
{
  test_init (&argc, &argv);
  const char *env = g_getenv ("VKA_TRAIN_FIXTURES");
  fixtures_dir = env ? g_strdup (env) : g_test_build_filename (G_TEST_DIST, "train", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (backends); i++)
    {
      g_autofree char *path = g_strdup_printf ("/train-torch/%s", backends[i].name);
      g_test_add_data_func (path, &backends[i], test_steps_on);
    }
  int status = g_test_run ();
  g_free (fixtures_dir);
  return status;
}
