/* test-memory.c — a large picture stylised under a memory budget: the
 * process's peak resident memory grows by no more than the budget and a
 * margin, on the backend under test. Its own process, so that getrusage's
 * peak starts from this test alone. */
#include "test-util.h"

#include <math.h>
#include <string.h>
#include <sys/resource.h>

static guint64
peak_rss_bytes (void)
{
  struct rusage usage;
  g_assert_cmpint (getrusage (RUSAGE_SELF, &usage), ==, 0);
  return (guint64) usage.ru_maxrss << 10;   /* Linux gives KiB */
}

/* A smooth random picture: noise would make every tile alike. */
static VkaImage *
picture (GRand *rand, int w, int h)
{
  VkaImage *image = vka_image_new (w, h, 3, NULL);
  float phase[3] = { g_rand_double (rand) * 6, g_rand_double (rand) * 6,
                     g_rand_double (rand) * 6 };
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < 3; c++)
        image->pixels[((gsize) y * w + x) * 3 + c] =
          0.5f + 0.4f * sinf (phase[c] + x * 0.013f * (c + 1) + y * 0.007f);
  return image;
}

typedef struct
{
  VkaContext *context;
  VkaModel   *model;
  VkaStyle   *style;
} Setup;

/* The shipped model's widths with random weights, and a style. */
static void
setup (Setup *s, guint32 seed)
{
  static const int widths[4] = { 16, 32, 64, 128 };
  g_autoptr (GError) error = NULL;
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr (VkaWeights) enc = test_encoder_weights (rand, widths);
  g_autoptr (VkaWeights) dec = test_decoder_weights (rand, widths);
  s->context = test_device_context ();
  s->model = vka_model_new (s->context, enc, dec, &error);
  g_assert_no_error (error);
  g_autoptr (VkaImage) style_image = picture (rand, 256, 256);
  s->style = vka_style_from_image (s->model, style_image, NULL, &error);
  g_assert_no_error (error);
}

static void
teardown (Setup *s)
{
  vka_style_free (s->style);
  vka_model_free (s->model);
  test_context_finish (s->context);
}

static void
test_budget_bounds_peak (void)
{
  gboolean cpu = test_backend == TEST_BACKEND_CPU;
  /* lavapipe runs the same shaders on the CPU, some 5–10× slower */
  int w = cpu ? 4000 : 1500, h = cpu ? 3000 : 1000;
  guint64 budget = (guint64) (cpu ? 256 : 96) << 20;
  /* what the budget does not cover: a tile's plan, the statistics, the
   * allocator's own pages, the driver's command buffers */
  guint64 margin = (guint64) 64 << 20;

  g_autoptr (GError) error = NULL;
  Setup su;
  setup (&su, 3);
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);
  g_autoptr (VkaImage) content = picture (rand, w, h);
  g_autoptr (VkaImage) out = vka_image_new (w, h, 3, NULL);
  memset (out->pixels, 0, (gsize) w * h * 3 * sizeof (float));

  guint64 before = peak_rss_bytes ();
  const VkaStyle *styles[1] = { su.style };
  VkaStylizeOptions options = { .alpha = 1.0, .memory_limit = budget };
  g_assert_true (vka_stylize (su.model, content, styles, NULL, 1, &options, out, NULL, NULL,
                              NULL, &error));
  g_assert_no_error (error);
  guint64 after = peak_rss_bytes ();
  g_test_message ("%d×%d under a %" G_GUINT64_FORMAT " MiB budget: peak RSS %.0f MiB "
                  "before, %.0f MiB after (+%.0f MiB)", w, h, budget >> 20,
                  before / 1048576.0, after / 1048576.0, (after - before) / 1048576.0);
  g_assert_cmpuint (after - before, <=, budget + margin);
  /* and it did stylise: the output is not left black */
  double sum = 0;
  for (gsize i = 0; i < (gsize) w * h * 3; i += 997)
    sum += out->pixels[i];
  g_assert_cmpfloat (sum, >, 0);
  teardown (&su);
}

/* A budget too small for even the smallest tile is an error that names it. */
static void
test_budget_too_small (void)
{
  g_autoptr (GError) error = NULL;
  Setup su;
  setup (&su, 4);
  g_autoptr (GRand) rand = g_rand_new_with_seed (6);
  g_autoptr (VkaImage) content = picture (rand, 900, 700);
  g_autoptr (VkaImage) out = vka_image_new (900, 700, 3, NULL);
  const VkaStyle *styles[1] = { su.style };
  VkaStylizeOptions options = { .alpha = 1.0, .memory_limit = 1 << 20 };
  g_assert_false (vka_stylize (su.model, content, styles, NULL, 1, &options, out, NULL, NULL,
                               NULL, &error));
  g_assert_error (error, VKA_ERROR, VKA_ERROR_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, "memory limit of 1 MiB is too small"));
  g_clear_error (&error);
  /* the default budget stylises the same picture */
  options.memory_limit = 0;
  g_assert_true (vka_stylize (su.model, content, styles, NULL, 1, &options, out, NULL, NULL,
                              NULL, &error));
  g_assert_no_error (error);
  teardown (&su);
}

int
main (int argc, char **argv)
{
  test_init (&argc, &argv);
  g_test_add_func ("/memory/budget-bounds-peak", test_budget_bounds_peak);
  g_test_add_func ("/memory/budget-too-small", test_budget_too_small);
  return g_test_run ();
}
