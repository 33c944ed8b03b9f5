/* test-lattice.c — the lattice index (training/lattice.h) on made pictures:
 * a repeated 8×8 tile over a smooth gradient scores near 64, white noise
 * near 1, a tile of another period low; gray equals RGB; pictures under 64
 * pixels on a side and flat ones give NAN. */
#include "lattice.h"

#include <math.h>

enum { W = 192, H = 128 };

static VkaImage *
make (int w, int h, int channels, int period, double tile_amp, double noise_amp, guint32 seed)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  double tile[16][16];
  for (int r = 0; r < 16; r++)
    for (int c = 0; c < 16; c++)
      tile[r][c] = g_rand_double_range (rand, -1, 1);
  VkaImage *image = vka_image_new (w, h, channels, NULL);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        double v = 0.3 + 0.4 * x / w + tile_amp * tile[y % period][x % period]
                   + noise_amp * g_rand_double_range (rand, -1, 1);
        for (int c = 0; c < channels; c++)
          image->pixels[((gsize) y * w + x) * channels + c] = (float) v;
      }
  return image;
}

static void
test_tile_scores_high (void)
{
  g_autoptr (VkaImage) image = make (W, H, 3, 8, 0.1, 0, 1);
  double index = lattice_index (image);
  g_test_message ("8-pixel tile: %.2f", index);
  g_assert_cmpfloat (index, >, 50);
  g_assert_cmpfloat (index, <=, 64.001);
}

static void
test_noise_scores_one (void)
{
  g_autoptr (VkaImage) image = make (W, H, 3, 8, 0, 0.1, 2);
  double index = lattice_index (image);
  g_test_message ("white noise: %.2f", index);
  g_assert_cmpfloat (index, >, 0.7);
  g_assert_cmpfloat (index, <, 1.4);
}

static void
test_other_period_scores_low (void)
{
  /* a 7-pixel tile repeats, but not with the decoder's period */
  g_autoptr (VkaImage) image = make (W, H, 3, 7, 0.1, 0, 3);
  double index = lattice_index (image);
  g_test_message ("7-pixel tile: %.2f", index);
  g_assert_cmpfloat (index, <, 3);
}

static void
test_gray_equals_rgb (void)
{
  g_autoptr (VkaImage) rgb = make (W, H, 3, 8, 0.05, 0.05, 4);
  g_autoptr (VkaImage) gray = make (W, H, 1, 8, 0.05, 0.05, 4);
  double a = lattice_index (rgb), b = lattice_index (gray);
  g_test_message ("tile and noise: %.4f (RGB) %.4f (gray)", a, b);
  g_assert_cmpfloat (fabs (a - b), <, 1e-4 * a);
  g_assert_cmpfloat (a, >, 5);
  g_assert_cmpfloat (a, <, 60);
}

static void
test_undefined (void)
{
  g_autoptr (VkaImage) narrow = make (63, 200, 3, 8, 0.1, 0.1, 5);
  g_assert_true (isnan (lattice_index (narrow)));
  g_autoptr (VkaImage) flat = vka_image_new (64, 64, 3, NULL);
  for (gsize i = 0; i < 64 * 64 * 3; i++)
    flat->pixels[i] = 0.5f;
  g_assert_true (isnan (lattice_index (flat)));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lattice/tile-scores-high", test_tile_scores_high);
  g_test_add_func ("/lattice/noise-scores-one", test_noise_scores_one);
  g_test_add_func ("/lattice/other-period-scores-low", test_other_period_scores_low);
  g_test_add_func ("/lattice/gray-equals-rgb", test_gray_equals_rgb);
  g_test_add_func ("/lattice/undefined", test_undefined);
  return g_test_run ();
}
