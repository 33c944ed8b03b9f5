/* test-data-loader.c — the training data loader's content noise
 * (vk-adain-train --content-noise), on folders holding one flat-coloured
 * picture: without it every sample is that colour; with it each content
 * sample has noise of the standard deviation asked for, different from
 * sample to sample and channel to channel, the same whatever the number of
 * loader threads, and the style samples none. */
#include "data-loader.h"
#include "test-files.h"
#include "vka-imageio.h"

#include <glib/gstdio.h>
#include <math.h>

enum { CROP = 16, BATCH = 8, ITERATIONS = 8 };

static const float FLAT[3] = { 0.35f, 0.5f, 0.65f };
static char *root, *content_dir, *style_dir;

static void
write_flat (const char *dir, const char *name, int w, int h)
{
  g_autoptr (VkaImage) im = vka_image_new (w, h, 3, NULL);
  for (gsize i = 0; i < (gsize) w * h; i++)
    for (int c = 0; c < 3; c++)
      im->pixels[i * 3 + c] = FLAT[c];
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (vka_image_save (im, path, &error));
  g_assert_no_error (error);
}

/* Mean and standard deviation of each channel of each content (or style)
 * sample of the first ITERATIONS batches: 2 floats per channel. */
static float *
sample_stats (float noise, int threads, gboolean style)
{
  DataLoaderOptions o = { .content_dir = content_dir,
                          .style_dir = style_dir,
                          .batch = BATCH,
                          .resize = 0,
                          .crop = CROP,
                          .content_noise = noise,
                          .threads = threads,
                          .seed = 7 };
  g_autoptr (GError) error = NULL;
  g_autoptr (DataLoader) l = data_loader_new (&o, 0, &error);
  g_assert_no_error (error);
  float *stats = g_new0 (float, ITERATIONS * BATCH * 3 * 2);
  gsize plane = CROP * CROP;
  for (int it = 0; it < ITERATIONS; it++)
    {
      const float *content, *styles;
      g_assert_true (data_loader_next (l, &content, &styles, &error));
      g_assert_no_error (error);
      for (int b = 0; b < BATCH; b++)
        for (int c = 0; c < 3; c++)
          {
            const float *p = (style ? styles : content) + ((gsize) b * 3 + c) * plane;
            double sum = 0, sq = 0;
            for (gsize i = 0; i < plane; i++)
              {
                g_assert_cmpfloat (p[i], >=, 0.0f);
                g_assert_cmpfloat (p[i], <=, 1.0f);
                sum += p[i];
                sq += (double) p[i] * p[i];
              }
            double mean = sum / plane;
            float *s = stats + (((gsize) it * BATCH + b) * 3 + c) * 2;
            s[0] = (float) mean;
            s[1] = (float) sqrt (MAX (sq / plane - mean * mean, 0));
          }
    }
  return stats;
}

enum { N_STATS = ITERATIONS * BATCH * 3 * 2 };

static void
test_plain (void)
{
  g_autofree float *s = sample_stats (0, 2, FALSE);
  for (int i = 0; i < N_STATS / 2; i++)
    {
      g_assert_cmpfloat (fabsf (s[2 * i] - FLAT[i % 3]), <=, 1.0f / 255);
      g_assert_cmpfloat (s[2 * i + 1], <=, 1e-3);
    }
}

static void
test_content_noise (void)
{
  const float sigma = 0.05f;
  g_autofree float *two = sample_stats (sigma, 2, FALSE);
  g_autofree float *one = sample_stats (sigma, 1, FALSE);
  g_assert_cmpmem (two, N_STATS * sizeof (float), one, N_STATS * sizeof (float));
  double sd = 0;
  for (int i = 0; i < N_STATS / 2; i++)
    {
      /* 256 samples: the mean within 5 standard errors of the 8-bit colour */
      g_assert_cmpfloat (fabsf (two[2 * i] - FLAT[i % 3]), <=, 5 * sigma / CROP + 1.0f / 255);
      g_assert_cmpfloat (fabsf (two[2 * i + 1] - sigma), <=, 0.25 * sigma);
      sd += two[2 * i + 1];
      /* a fresh draw for every plane: no two alike */
      if (i > 0)
        g_assert_cmpfloat (two[2 * i], !=, two[2 * i - 2]);
    }
  sd /= N_STATS / 2;
  g_test_message ("mean standard deviation %.5f (asked %.3f)", sd, sigma);
  g_assert_cmpfloat (fabs (sd - sigma), <=, 0.02 * sigma);
  /* the style samples stay clean */
  g_autofree float *style = sample_stats (sigma, 2, TRUE);
  for (int i = 0; i < N_STATS / 2; i++)
    g_assert_cmpfloat (style[2 * i + 1], <=, 1e-3);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  vka_imageio_init ();
  root = g_dir_make_tmp ("vka-loader-XXXXXX", NULL);
  g_assert_nonnull (root);
  content_dir = g_build_filename (root, "content", NULL);
  style_dir = g_build_filename (root, "style", NULL);
  g_assert_cmpint (g_mkdir (content_dir, 0700), ==, 0);
  g_assert_cmpint (g_mkdir (style_dir, 0700), ==, 0);
  write_flat (content_dir, "c.png", 24, 20);
  write_flat (style_dir, "s.png", 20, 24);
  g_test_add_func ("/data-loader/plain", test_plain);
  g_test_add_func ("/data-loader/content-noise", test_content_noise);
  int status = g_test_run ();
  test_rm_rf (root);
  return status;
}
