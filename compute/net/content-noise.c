/* content-noise.c — the Gaussian noise a decoder may ask for on its content
 * picture (vka.h, VKA_DECODER_NOISE_KEY): a function of the pixel's place
 * and a seed alone, so that tiles, bands and previews of one picture get the
 * same noise where they overlap, and a picture stylised twice comes out the
 * same. */
#include "vka.h"

static inline guint64
mix64 (guint64 z)
{
  /* splitmix64's finaliser */
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

/* A standard normal value, near enough: the sum of four uniform 16-bit
 * draws (Irwin–Hall), centred and scaled to variance 1. Cheap, which
 * matters on a camera-sized picture: a log and a cosine per sample would
 * cost a tenth of the stylisation. */
static inline float
normal_at (guint64 key)
{
  guint64 h = mix64 (key);
  double sum = (double) (h & 0xffff) + (double) ((h >> 16) & 0xffff)
               + (double) ((h >> 32) & 0xffff) + (double) (h >> 48);
  /* four U(0, 65536): mean 131070 (with the half steps, 131072), variance 4 · 65536² / 12 */
  return (float) ((sum + 2.0 - 131072.0) / (65536.0 * 0.5773502691896258));
}

void
vka_content_noise_add (float *pixels, int x0, int y0, int w, int h, int channels,
                       float sigma, guint64 seed)
{
  if (sigma <= 0)
    return;
  int colours = channels <= 2 ? 1 : 3;
  guint64 base = mix64 (seed ^ G_GUINT64_CONSTANT (0x6e6f697365));
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        float *p = pixels + ((gsize) y * w + x) * channels;
        guint64 place = base + (((guint64) (guint32) (y0 + y) << 32) | (guint32) (x0 + x)) * 4;
        for (int c = 0; c < colours; c++)
          {
            float v = p[c], n = v + sigma * normal_at (place + (guint64) c);
            /* stay in [0, 1], or where a float picture already was outside it */
            p[c] = CLAMP (n, MIN (v, 0.0f), MAX (v, 1.0f));
          }
      }
}
