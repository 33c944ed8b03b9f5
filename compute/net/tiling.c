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

guint64
vka_tile_feature_bytes (VkaBackend *backend, VkaNetwork *encoder, int ww, int wh)
{
  return vka_tensor_bytes (backend, 1, vka_network_out_channels (encoder), (wh + 7) / 8,
                           (ww + 7) / 8);
}

guint64
vka_tile_working_bytes (VkaBackend *backend, VkaNetwork *encoder, VkaNetwork *decoder,
                        int channels, int ww, int wh, int iw, int ih)
{
  int fw = (ww + 7) / 8, fh = (wh + 7) / 8, c = vka_network_out_channels (encoder);
  guint64 features = vka_tile_feature_bytes (backend, encoder, ww, wh);
  guint64 host_features = (guint64) c * fw * fh * sizeof (float);
  /* pass 1: the window's pixels in host memory and uploaded, the encoder,
   * the features read back */
  guint64 window = (guint64) ww * wh * channels * sizeof (float);
  guint64 encode = 2 * window + vka_network_working_bytes (encoder, wh, ww) + host_features;
  /* AdaIN: the features, one adapted map per region, the blend */
  guint64 adain = 4 * features + host_features;
  /* decoding: the output cut to the interior, and read back */
  guint64 out = vka_tensor_bytes (backend, 1, 1, ih, iw * 3)
              + (guint64) iw * ih * 3 * sizeof (float);
  guint64 decode = vka_network_working_bytes (decoder, fh, fw) + out;
  /* small buffers, and the kernels' fixed scratch */
  return MAX (encode, MAX (adain, decode)) + ((guint64) 2 << 20);
}

/* Halo overlap and encoding again, in window pixels run through one network. */
static double
tiling_cost (VkaBackend *backend, VkaNetwork *encoder, int width, int height,
             int interior, int window_w, int window_h, guint64 keep_room)
{
  int nx = (width + interior - 1) / interior, ny = (height + interior - 1) / interior;
  double n = (double) nx * ny;
  guint64 per_tile = vka_tile_feature_bytes (backend, encoder, window_w, window_h);
  double kept = MIN (n, (double) (keep_room / MAX (per_tile, 1)));
  return (double) window_w * window_h * (3 * n - kept);
}

gboolean
vka_tile_choose (VkaBackend *backend, VkaNetwork *encoder, VkaNetwork *decoder,
                 int channels, int width, int height, int forced, guint64 budget,
                 VkaTileChoice *choice, GError **error)
{
  int max_window = vka_tile_max_window (backend, encoder, decoder);
  guint64 whole = vka_tile_working_bytes (backend, encoder, decoder, channels, width, height,
                                          width, height);
  if ((forced <= 0 && whole <= budget && width <= max_window && height <= max_window)
      || (forced > 0 && forced >= width && forced >= height))
    {
      *choice = (VkaTileChoice) { 0, whole, budget > whole ? budget - whole : 0 };
      return TRUE;
    }
  int best = 0;
  double best_cost = 0;
  guint64 best_working = 0;
  int from = forced > 0 ? (forced + 7) / 8 * 8 : (MAX (width, height) + 7) / 8 * 8;
  int to = forced > 0 ? from : 64;
  for (int interior = from; interior >= to; interior -= 8)
    {
      int ww = MIN (width, interior + 2 * VKA_TILE_HALO);
      int wh = MIN (height, interior + 2 * VKA_TILE_HALO);
      if (forced <= 0 && (ww > max_window || wh > max_window))
        continue;
      guint64 working = vka_tile_working_bytes (backend, encoder, decoder, channels, ww, wh,
                                                MIN (interior, width), MIN (interior, height));
      if (forced <= 0 && working > budget)
        continue;
      guint64 room = budget > working ? budget - working : 0;
      double cost = tiling_cost (backend, encoder, width, height, interior, ww, wh, room);
      if (!best || cost < best_cost)
        best = interior, best_cost = cost, best_working = working;
    }
  if (!best)
    {
      guint64 least = vka_tile_working_bytes (backend, encoder, decoder, channels,
                                              MIN (width, 64 + 2 * VKA_TILE_HALO),
                                              MIN (height, 64 + 2 * VKA_TILE_HALO),
                                              MIN (width, 64), MIN (height, 64));
      if (least <= budget)
        g_set_error (error, VKA_ERROR, VKA_ERROR_TOO_LARGE,
                     "the device holds tiles of at most %d×%d pixels, too small for "
                     "the %d-pixel halo tiles need", max_window, max_window,
                     VKA_TILE_HALO);
      else
        g_set_error (error, VKA_ERROR, VKA_ERROR_TOO_LARGE,
                     "a memory limit of %" G_GUINT64_FORMAT " MiB is too small: the "
                     "smallest tile (64 pixels and its halo) needs %" G_GUINT64_FORMAT
                     " MiB", budget >> 20, (least + (1 << 20) - 1) >> 20);
      return FALSE;
    }
  *choice = (VkaTileChoice) { best, best_working,
                              budget > best_working ? budget - best_working : 0 };
  return TRUE;
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

/* Chan et al.'s merge of n values of this mean and M2 into channel c. */
static void
merge_channel (VkaMoments *m, int c, double n, double mean, double m2)
{
  double na = m->count[c], total = na + n, delta = mean - m->mean[c];
  m->mean[c] += delta * n / total;
  m->m2[c] += m2 + delta * delta * na * n / total;
  m->count[c] = total;
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
      merge_channel (m, c, n, mean, m2);
    }
}

void
vka_moments_merge (VkaMoments *m, const float *moments, double n)
{
  for (int c = 0; n > 0 && c < m->channels; c++)
    merge_channel (m, c, n, moments[2 * c], moments[2 * c + 1]);
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
