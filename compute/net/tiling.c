/* tiling.c — tile plans and statistics merged across tiles. */
#include "tiling.h"

#include <math.h>

GArray *
vka_tile_plan (int width, int height, int interior_w, int interior_h)
{
  GArray *tiles = g_array_new (FALSE, TRUE, sizeof (VkaTile));
  if (interior_w <= 0 || interior_h <= 0 || (interior_w >= width && interior_h >= height))
    {
      VkaTile t = { 0, 0, width, height, 0, 0, width, height };
      g_array_append_val (tiles, t);
      return tiles;
    }
  interior_w = (interior_w + 7) / 8 * 8;
  interior_h = (interior_h + 7) / 8 * 8;
  for (int y = 0; y < height; y += interior_h)
    for (int x = 0; x < width; x += interior_w)
      {
        VkaTile t;
        t.x0 = x;
        t.y0 = y;
        t.w = MIN (interior_w, width - x);
        t.h = MIN (interior_h, height - y);
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
  /* pass 1: the window's pixels in host memory, uploaded and made the
   * encoder's RGB input (the upload freed before the encoder runs), the
   * encoder, the features read back */
  guint64 window = (guint64) ww * wh * channels * sizeof (float);
  guint64 rgb_window = (guint64) ww * wh * 3 * sizeof (float);
  guint64 encode = window + MAX (window + rgb_window, vka_network_working_bytes (encoder, wh, ww))
                 + host_features;
  /* AdaIN: the features, one adapted map per region, the blend */
  guint64 adain = 4 * features + host_features;
  /* decoding: the output cut to the interior as plain RGB, and read back;
   * the window's host pixels are kept for the next tile */
  guint64 out = 2 * (guint64) iw * ih * 3 * sizeof (float);
  guint64 decode = vka_network_working_bytes (decoder, fh, fw) + out + window;
  /* small buffers, and the kernels' fixed scratch */
  return MAX (encode, MAX (adain, decode)) + ((guint64) 2 << 20);
}

/* The windows along one side of `length` pixels cut into interiors of
 * `interior`: how many, their summed extent and the largest. */
typedef struct
{
  int    count, largest;
  double sum;
} Windows;

static Windows
windows_along (int length, int interior)
{
  Windows w = { 0, 0, 0 };
  for (int x = 0; x < length; x += interior)
    {
      int extent = MIN (length, x + interior + VKA_TILE_HALO) - MAX (0, x - VKA_TILE_HALO);
      w.count++;
      w.sum += extent;
      w.largest = MAX (w.largest, extent);
    }
  return w;
}

typedef struct
{
  int     interior_w, interior_h;
  Windows across, down;
  guint64 working;
  double  cost;
} Candidate;

/* What a byte of memory a stylisation touches costs, in pixels through one
 * network: a fresh page is faulted in and zeroed by the kernel. Measured on
 * the CPU backend (2-core VM): a window pixel through the encoder or the
 * decoder took about 70 ns, a first touch 0.35 ns a byte with 4 KiB pages
 * (0.05–2 ns with huge pages): tiles four times larger save a few percent
 * of halo but touch four times the memory. */
#define TOUCH_COST_PER_BYTE (1.0 / 150)

/* A plan of interior_w × interior_h tiles: its largest tile's working bytes,
 * and its cost: every window's pixels through the encoder and the decoder,
 * and through the encoder again for the tiles whose features do not fit
 * what the budget leaves, and the memory the tile and the kept features
 * touch. */
static Candidate
candidate (VkaBackend *backend, VkaNetwork *encoder, VkaNetwork *decoder, int channels,
           int width, int height, int interior_w, int interior_h, guint64 budget)
{
  Candidate c = { interior_w, interior_h, windows_along (width, interior_w),
                  windows_along (height, interior_h), 0, 0 };
  c.working = vka_tile_working_bytes (backend, encoder, decoder, channels, c.across.largest,
                                      c.down.largest, MIN (interior_w, width),
                                      MIN (interior_h, height));
  double n = (double) c.across.count * c.down.count;
  guint64 room = budget > c.working ? budget - c.working : 0;
  guint64 per_tile = vka_tile_feature_bytes (backend, encoder, c.across.largest,
                                             c.down.largest);
  double kept = MIN (n, (double) (room / MAX (per_tile, 1)));
  c.cost = c.across.sum * c.down.sum * (2 + (n - kept) / n)
         + TOUCH_COST_PER_BYTE * ((double) c.working + kept * per_tile);
  return c;
}

static gboolean
candidate_fits (const Candidate *c, guint64 budget, guint64 tile_cap, int max_window)
{
  return c->working <= MIN (budget, tile_cap) && c->across.largest <= max_window
         && c->down.largest <= max_window;
}

/* The interior for `count` tiles along `length` pixels, a multiple of 8. */
static int
interior_for (int length, int count)
{
  return ((length + count - 1) / count + 7) / 8 * 8;
}

gboolean
vka_tile_choose (VkaBackend *backend, VkaNetwork *encoder, VkaNetwork *decoder,
                 int channels, int width, int height, int forced, guint64 budget,
                 VkaTileChoice *choice, GError **error)
{
  int max_window = vka_tile_max_window (backend, encoder, decoder);
  guint64 tile_cap = backend->ops->max_tile_working_bytes
                     ? backend->ops->max_tile_working_bytes (backend) : G_MAXUINT64;
  guint64 whole = vka_tile_working_bytes (backend, encoder, decoder, channels, width, height,
                                          width, height);
  if ((forced <= 0 && whole <= MIN (budget, tile_cap) && width <= max_window
       && height <= max_window)
      || (forced > 0 && forced >= width && forced >= height))
    {
      *choice = (VkaTileChoice) { 0, 0, whole, budget > whole ? budget - whole : 0 };
      return TRUE;
    }
  Candidate best = { 0 };
  if (forced > 0)
    {
      int side = (forced + 7) / 8 * 8;
      best = candidate (backend, encoder, decoder, channels, width, height, side, side, budget);
    }
  else
    /* Every count of rows and columns (equal interiors, oblong where that
     * costs less), cut short where even the halos alone cost more than the
     * best plan so far: a plan costs at least twice its window pixels. */
    for (int rows = 1; rows <= (height + 63) / 64; rows++)
      {
        int interior_h = interior_for (height, rows);
        if (rows > 1 && interior_h == interior_for (height, rows - 1))
          continue;
        if (best.interior_w && 2.0 * width * windows_along (height, interior_h).sum >= best.cost)
          break;
        for (int cols = 1; cols <= (width + 63) / 64; cols++)
          {
            int interior_w = interior_for (width, cols);
            if (cols > 1 && interior_w == interior_for (width, cols - 1))
              continue;
            Candidate c = candidate (backend, encoder, decoder, channels, width, height,
                                     interior_w, interior_h, budget);
            if (best.interior_w && 2.0 * c.across.sum * c.down.sum >= best.cost)
              break;
            if (candidate_fits (&c, budget, tile_cap, max_window)
                && (!best.interior_w || c.cost < best.cost))
              best = c;
          }
      }
  if (!best.interior_w)
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
  *choice = (VkaTileChoice) { best.interior_w, best.interior_h, best.working,
                              budget > best.working ? budget - best.working : 0 };
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
