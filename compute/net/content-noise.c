/* content-noise.c — the Gaussian noise a decoder may ask for on its content
 * picture (vka.h, VKA_DECODER_NOISE_KEY): a function of the pixel's place
 * and a seed alone, so that tiles, bands and previews of one picture get the
 * same noise where they overlap, and a picture stylised twice comes out the
 * same. */
#include "vka.h"

#include <math.h>

/* One hash per pixel gives three 12-bit indices into a table of the
 * standard normal distribution's quantiles at (i + ½) / 4096: Gaussian to
 * ±3.5σ, and cheap on a camera-sized picture (a hash per sample, four
 * uniform draws summed, took three times as long: bench/RESULTS.md). */
enum { QUANTILE_BITS = 12, QUANTILES = 1 << QUANTILE_BITS };

static float quantiles[QUANTILES];

static gpointer
fill_quantiles (gpointer unused)
{
  (void) unused;
  for (int i = 0; i < QUANTILES / 2; i++)
    {
      /* bisection for x with P(Z > x) = p, the upper half; the lower mirrors it */
      double p = (i + 0.5) / QUANTILES, lo = 0, hi = 10;
      for (int k = 0; k < 60; k++)
        {
          double mid = (lo + hi) / 2;
          if (0.5 * erfc (mid / G_SQRT2) > p)
            lo = mid;
          else
            hi = mid;
        }
      quantiles[QUANTILES - 1 - i] = (float) lo;
      quantiles[i] = (float) -lo;
    }
  return NULL;
}

static inline guint64
mix64 (guint64 z)
{
  /* splitmix64's finaliser */
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

void
vka_content_noise_add (float *pixels, int x0, int y0, int w, int h, int channels,
                       float sigma, guint64 seed)
{
  if (sigma <= 0)
    return;
  static GOnce once = G_ONCE_INIT;
  g_once (&once, fill_quantiles, NULL);
  int colours = channels <= 2 ? 1 : 3;
  guint64 base = mix64 (seed ^ G_GUINT64_CONSTANT (0x6e6f697365));
  for (int y = 0; y < h; y++)
    {
      guint64 row = base + ((guint64) (guint32) (y0 + y) << 32);
      float *p = pixels + (gsize) y * w * channels;
      for (int x = 0; x < w; x++, p += channels)
        {
          guint64 bits = mix64 (row + (guint32) (x0 + x));
          for (int c = 0; c < colours; c++, bits >>= QUANTILE_BITS)
            {
              float v = p[c], n = v + sigma * quantiles[bits & (QUANTILES - 1)];
              /* stay in [0, 1], or where a float picture already was outside it */
              p[c] = CLAMP (n, MIN (v, 0.0f), MAX (v, 1.0f));
            }
        }
    }
}
