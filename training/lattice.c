/* lattice.c — the lattice index (lattice.h). */
#include "lattice.h"

#include <math.h>

enum { TILE = 8, BLOCK = 64, BOX = 9 };

static double *
luma (const VkaImage *image)
{
  gsize n = (gsize) image->width * image->height;
  double *y = g_new (double, n);
  int ch = image->channels;
  for (gsize i = 0; i < n; i++)
    {
      const float *p = image->pixels + i * ch;
      y[i] = ch >= 3 ? 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2] : p[0];
    }
  return y;
}

/* The mean of the BOX × BOX window around each pixel, edges repeated:
 * one pass along the rows, one down the columns. */
static double *
box_blur (const double *y, int w, int h)
{
  double *rows = g_new (double, (gsize) w * h), *out = g_new (double, (gsize) w * h);
  for (int r = 0; r < h; r++)
    for (int x = 0; x < w; x++)
      {
        double sum = 0;
        for (int k = -BOX / 2; k <= BOX / 2; k++)
          sum += y[(gsize) r * w + CLAMP (x + k, 0, w - 1)];
        rows[(gsize) r * w + x] = sum / BOX;
      }
  for (int r = 0; r < h; r++)
    for (int x = 0; x < w; x++)
      {
        double sum = 0;
        for (int k = -BOX / 2; k <= BOX / 2; k++)
          sum += rows[(gsize) CLAMP (r + k, 0, h - 1) * w + x];
        out[(gsize) r * w + x] = sum / BOX;
      }
  g_free (rows);
  return out;
}

double
lattice_index (const VkaImage *image)
{
  int w = image->width, h = image->height;
  int bw = w / BLOCK, bh = h / BLOCK;
  if (bw == 0 || bh == 0)
    return NAN;
  g_autofree double *y = luma (image);
  g_autofree double *blur = box_blur (y, w, h);
  double detail_sq = 0, pattern_sq = 0;
  for (int by = 0; by < bh; by++)
    for (int bx = 0; bx < bw; bx++)
      {
        double pattern[TILE][TILE] = { { 0 } };
        for (int r = 0; r < BLOCK; r++)
          for (int c = 0; c < BLOCK; c++)
            {
              gsize i = (gsize) (by * BLOCK + r) * w + bx * BLOCK + c;
              double d = y[i] - blur[i];
              detail_sq += d * d;
              pattern[r % TILE][c % TILE] += d;
            }
        const int tiles = (BLOCK / TILE) * (BLOCK / TILE);
        for (int r = 0; r < TILE; r++)
          for (int c = 0; c < TILE; c++)
            pattern_sq += (pattern[r][c] / tiles) * (pattern[r][c] / tiles);
      }
  double mean_detail = detail_sq / ((double) bw * bh * BLOCK * BLOCK);
  double mean_pattern = pattern_sq / ((double) bw * bh * TILE * TILE);
  /* rounding leaves a flat picture ~1e-17 of detail, an 8-bit step 1.5e-5 */
  return mean_detail > 1e-12 ? TILE * TILE * mean_pattern / mean_detail : NAN;
}
