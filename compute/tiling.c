/* tiling.c — tile plans and statistics merged across tiles. */
#include "tiling.h"

#include <math.h>

GArray *
vka_tile_plan (int width, int height, int interior)
{
  GArray *tiles = g_array_new (FALSE, TRUE, sizeof (VkaTile));
  if (interior <= 0 || (interior >= width && interior >= height))
    {
      VkaTile t = { 0, 0, width, height, 0, 0, width, height };
      g_array_append_val (tiles, t);
      return tiles;
    }
  interior = (interior + 7) / 8 * 8;
  for (int y = 0; y < height; y += interior)
    for (int x = 0; x < width; x += interior)
      {
        VkaTile t;
        t.x0 = x;
        t.y0 = y;
        t.w = MIN (interior, width - x);
        t.h = MIN (interior, height - y);
        t.wx0 = MAX (0, x - VKA_TILE_HALO);
        t.wy0 = MAX (0, y - VKA_TILE_HALO);
        t.ww = MIN (width, x + t.w + VKA_TILE_HALO) - t.wx0;
        t.wh = MIN (height, y + t.h + VKA_TILE_HALO) - t.wy0;
        g_array_append_val (tiles, t);
      }
  return tiles;
}

int
vka_tile_max_window (VkaBackend *backend, VkaNetwork *encoder, VkaNetwork *decoder)
{
  guint64 limit = backend->ops->max_tensor_bytes (backend);
  int lo = 0;
  for (int side = 8; side <= 1 << 16; side += 8)
    {
      guint64 peak = MAX (vka_network_peak_elements (encoder, side, side),
                          vka_network_peak_elements (decoder, (side + 7) / 8,
                                                     (side + 7) / 8));
      /* the image itself, up to 4 interleaved channels */
      peak = MAX (peak, 4 * (guint64) side * side);
      if (peak * sizeof (float) > limit)
        break;
      lo = side;
    }
  return lo;
}

void
vka_moments_init (VkaMoments *m, int channels)
{
  m->channels = channels;
  m->count = g_new0 (double, channels);
  m->mean = g_new0 (double, channels);
  m->m2 = g_new0 (double, channels);
}

void
vka_moments_clear (VkaMoments *m)
{
  g_clear_pointer (&m->count, g_free);
  g_clear_pointer (&m->mean, g_free);
  g_clear_pointer (&m->m2, g_free);
}

void
vka_moments_add (VkaMoments *m, const float *map, int h, int w, int fx0, int fy0,
                 int fx1, int fy1, const guint8 *region_of, guint8 region)
{
  for (int c = 0; c < m->channels; c++)
    {
      const float *plane = map + (gsize) c * h * w;
      double n = 0, sum = 0;
      for (int y = fy0; y < fy1; y++)
        for (int x = fx0; x < fx1; x++)
          if (!region_of || region_of[y * w + x] == region)
            n += 1, sum += plane[y * w + x];
      if (n == 0)
        continue;
      double mean = sum / n, m2 = 0;
      for (int y = fy0; y < fy1; y++)
        for (int x = fx0; x < fx1; x++)
          if (!region_of || region_of[y * w + x] == region)
            {
              double d = plane[y * w + x] - mean;
              m2 += d * d;
            }
      double na = m->count[c], total = na + n, delta = mean - m->mean[c];
      m->mean[c] += delta * n / total;
      m->m2[c] += m2 + delta * delta * na * n / total;
      m->count[c] = total;
    }
}

void
vka_moments_to_stats (const VkaMoments *m, float *stats)
{
  for (int c = 0; c < m->channels; c++)
    {
      if (m->count[c] == 0)
        {
          stats[2 * c] = 0.0f;
          stats[2 * c + 1] = 1.0f;
          continue;
        }
      double var = m->count[c] > 1 ? m->m2[c] / (m->count[c] - 1) : 0.0;
      stats[2 * c] = (float) m->mean[c];
      stats[2 * c + 1] = (float) sqrt (var + 1e-5);
    }
}
