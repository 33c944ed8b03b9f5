/* conv-chain.c — the full-resolution ends of the network (the encoder's
 * convolutions up to its first pooling, the decoder's from its last
 * upsampling) run band by band of rows.
 *
 * Run layer by layer, each of those maps is a whole tile at 16 channels (64
 * bytes a pixel): they were the largest part of a tile's working set, and
 * every layer wrote its map to memory and read it back. Run in bands, each
 * band is an image of its own, with a margin of rows wide enough that the
 * rows it keeps do not see its edges: the band's maps stay in cache, and
 * only the chain's input and output are whole. The rows a band keeps are
 * the ones the whole maps would have (the same kernels, on the same
 * neighbourhoods); at the picture's top and bottom the band's own
 * reflection is the map's. */
#include "cpu-private.h"

#include <stdlib.h>
#include <string.h>

typedef struct
{
  int r0, r1;   /* rows [r0, r1) */
} Rows;

static Rows
clip_rows (int r0, int r1, int h)
{
  return (Rows) { MAX (r0, 0), MIN (r1, h) };
}

/* The rows of the chain's input that output rows `out` depend on. The
 * convolutions run at conv_h rows (the input's, or twice it). */
static Rows
input_rows (int n_convs, gboolean upsampled, gboolean pooled, int in_h, int conv_h, Rows out)
{
  Rows r = pooled ? clip_rows (2 * out.r0, 2 * out.r1, conv_h) : out;
  for (int k = 0; k < n_convs; k++)
    r = clip_rows (r.r0 - 1, r.r1 + 1, conv_h);
  if (upsampled)
    r = clip_rows (r.r0 / 2, (r.r1 - 1) / 2 + 1, in_h);
  if (pooled)
    r.r0 &= ~1;   /* the band's pooling pairs the rows the whole map's does */
  return r;
}

/* Rows [r.r0, r.r1) of in into the padded band (same n, c, w; h = rows),
 * and the band's border reflected from them. */
static void
rows_into_band (VkaCpuTensor *in, Rows r, VkaCpuTensor *band)
{
  const VkaTensor *t = &in->base;
  int blocks = vka_cpu_blocks (t->c), pw = t->w + 2;
  gsize row = (gsize) pw * VKA_CPU_BLOCK;
  gsize in_block = row * (t->h + 2), band_block = row * (band->base.h + 2);
  int rows = r.r1 - r.r0;
  if (in->layout == VKA_CPU_PADDED)
    for (gsize b = 0; b < (gsize) t->n * blocks; b++)
      memcpy (band->data + b * band_block + row, in->data + b * in_block + (r.r0 + 1) * row,
              rows * row * sizeof (float));
  else
    {
      gsize plane = (gsize) t->h * t->w;
      int lines = t->n * t->c * rows;
#pragma omp parallel for schedule(static)
      for (int i = 0; i < lines; i++)
        {
          int y = i % rows, c = i / rows % t->c, n = i / rows / t->c;
          const float *src = in->data + ((gsize) n * t->c + c) * plane
                             + (gsize) (r.r0 + y) * t->w;
          float *dst = band->data + ((gsize) n * blocks + c / VKA_CPU_BLOCK) * band_block
                       + (y + 1) * row + VKA_CPU_BLOCK + c % VKA_CPU_BLOCK;
          for (int x = 0; x < t->w; x++)
            dst[(gsize) x * VKA_CPU_BLOCK] = src[x];
        }
    }
  vka_cpu_fill_border (band);
}

/* The band's rows [from, from + rows) as out's rows from `to` on, in the
 * layout both have. */
static void
rows_from_band (VkaCpuTensor *band, int from, VkaCpuTensor *out, int to, int rows)
{
  const VkaTensor *t = &out->base;
  if (out->layout == VKA_CPU_PADDED)
    {
      gsize row = (gsize) (t->w + 2) * VKA_CPU_BLOCK;
      gsize out_block = row * (t->h + 2), band_block = row * (band->base.h + 2);
      for (gsize b = 0; b < (gsize) t->n * vka_cpu_blocks (t->c); b++)
        memcpy (out->data + b * out_block + (to + 1) * row,
                band->data + b * band_block + (from + 1) * row, rows * row * sizeof (float));
    }
  else
    {
      gsize out_plane = (gsize) t->h * t->w, band_plane = (gsize) band->base.h * t->w;
      for (gsize p = 0; p < (gsize) t->n * t->c; p++)
        memcpy (out->data + p * out_plane + (gsize) to * t->w,
                band->data + p * band_plane + (gsize) from * t->w,
                (gsize) rows * t->w * sizeof (float));
    }
}

/* Convolution-resolution rows per band: $VKA_CPU_BAND_ROWS (tests), else
 * as many as keep the band's maps within the scratch bound backend.h
 * promises (vka_conv3x3_chain_scratch_bytes), with their margins. */
static int
band_rows (const VkaTensor *in, const VkaChainConv *convs, int n_convs, int conv_w)
{
  const char *env = g_getenv ("VKA_CPU_BAND_ROWS");
  if (env && atoi (env) > 0)
    return atoi (env);
  int channels = in->c;
  for (int k = 0; k < n_convs; k++)
    channels = MAX (channels, convs[k].weight->n);
  guint64 rows = VKA_CONV_CHAIN_SCRATCH_BYTES
                 / vka_conv3x3_chain_row_bytes (in->n, channels, conv_w);
  return (int) MAX (rows, (guint64) 2 * n_convs + 8) - 2 * n_convs - 2;
}

/* The chain on band input rows r, the band an image of its own: the single
 * ops one after the other (vka_conv3x3_chain_composed), on band-sized maps.
 * Its output (the caller frees it). */
static VkaTensor *
run_band (VkaBackend *backend, VkaCpuTensor *in, Rows r, const VkaChainConv *convs,
          int n_convs, gboolean upsampled, gboolean pooled, GError **error)
{
  const VkaTensor *t = &in->base;
  int h = r.r1 - r.r0, w = t->w;
  g_autoptr (VkaTensor) x = vka_tensor_new (backend, t->n, t->c, h, w, error);
  if (!x || !vka_cpu_tensor_set_layout (vka_cpu_tensor (x), VKA_CPU_PADDED, FALSE, error))
    return NULL;
  rows_into_band (in, r, vka_cpu_tensor (x));
  if (upsampled)
    h *= 2, w *= 2;
  if (pooled)
    h = (h + 1) / 2, w = (w + 1) / 2;
  VkaTensor *y = vka_tensor_new (backend, t->n, convs[n_convs - 1].weight->n, h, w, error);
  if (y && !vka_conv3x3_chain_composed (backend, x, convs, n_convs, upsampled, pooled, y,
                                        error))
    g_clear_pointer (&y, vka_tensor_free);
  return y;
}

gboolean
vka_cpu_conv3x3_chain (VkaBackend *backend, VkaTensor *in, const VkaChainConv *convs,
                       int n_convs, gboolean upsampled, gboolean pooled, VkaTensor *out,
                       GError **error)
{
  if (!vka_check_conv3x3_chain (in, convs, n_convs, upsampled, pooled, out, error))
    return FALSE;
  /* $VKA_CPU_BANDS=0: the layers on whole maps, for comparisons */
  if (g_strcmp0 (g_getenv ("VKA_CPU_BANDS"), "0") == 0)
    return vka_conv3x3_chain_composed (backend, in, convs, n_convs, upsampled, pooled, out,
                                       error);
  VkaCpuBackend *b = (VkaCpuBackend *) backend;
  VkaCpuTensor *ti = vka_cpu_tensor (in), *to = vka_cpu_tensor (out);
  if (!ti->data && !vka_cpu_tensor_set_layout (ti, VKA_CPU_PLAIN, TRUE, error))
    return FALSE;
  int conv_h = upsampled ? 2 * in->h : in->h, conv_w = upsampled ? 2 * in->w : in->w;
  int rows = band_rows (in, convs, n_convs, conv_w);
  int out_rows = pooled ? MAX (rows / 2, 1) : rows;
  gint64 copy_us = 0;
  for (int o0 = 0; o0 < out->h; o0 += out_rows)
    {
      Rows want = { o0, MIN (o0 + out_rows, out->h) };
      Rows r = input_rows (n_convs, upsampled, pooled, in->h, conv_h, want);
      g_autoptr (VkaTensor) y = run_band (backend, ti, r, convs, n_convs, upsampled, pooled,
                                          error);
      if (!y)
        return FALSE;
      VkaCpuTensor *ty = vka_cpu_tensor (y);
      if (o0 == 0 && !vka_cpu_tensor_set_layout (to, ty->layout, FALSE, error))
        return FALSE;
      /* the band's first output row */
      int first = upsampled ? 2 * r.r0 : pooled ? r.r0 / 2 : r.r0;
      gint64 t0 = g_get_monotonic_time ();
      rows_from_band (ty, want.r0 - first, to, want.r0, want.r1 - want.r0);
      copy_us += g_get_monotonic_time () - t0;
    }
  if (to->layout == VKA_CPU_PADDED)
    vka_cpu_fill_border (to);
  if (b->profile)
    vka_cpu_profile_add (b, vka_cpu_profile_start (b) - copy_us, 0,
                         "conv chain: rows copied out of bands");
  return TRUE;
}
