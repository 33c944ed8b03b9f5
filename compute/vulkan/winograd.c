/* winograd.c — 3×3 convolutions as Winograd F(2,3): each 2×2 output block
 * comes from a 4×4 input tile in 16 multiplies per (ci, co) instead of 36.
 * Three dispatches per band of tiles: conv3x3_wino_input (V = Bᵀ·d·B),
 * conv3x3_wino_gemm (M = U·V for each of the 16 positions), then
 * conv3x3_wino_output (Y = Aᵀ·M·A + bias, ReLU). The weights' U = G·g·Gᵀ is
 * packed once by conv3x3_wino_pack (backend.c's packed_weights). */
#include "vk-private.h"

#define CEIL_DIV(a, b) (((a) + (b) - 1) / (b))

/* Each scratch buffer stays below this, so a large map runs as several
 * bands of tiles and never needs a huge allocation. */
#define WINO_SCRATCH_BYTES ((VkDeviceSize) 16 << 20)

static VkDeviceSize
scratch_limit (VkaVkBackend *b)
{
  const VkPhysicalDeviceLimits *l = &b->props.limits;
  VkDeviceSize limit = MIN (WINO_SCRATCH_BYTES, (VkDeviceSize) l->maxStorageBufferRange);
  /* the products are read back one float a texel */
  limit = MIN (limit, (VkDeviceSize) l->maxTexelBufferElements * sizeof (float));
  if (b->max_allocation > 0)
    limit = MIN (limit, b->max_allocation);
  return limit;
}

/* Makes scratch buffer i at least bytes long; the old one dies after the
 * work queued on it. */
static gboolean
ensure_scratch (VkaVkBackend *b, int i, VkDeviceSize bytes, GError **error)
{
  VkaVkBuffer *buf = &b->wino_scratch[i];
  if (buf->buffer && buf->bytes >= bytes)
    return TRUE;
  vka_vk_release_later (b, buf);
  return vka_vk_buffer_alloc (b, bytes, FALSE, buf, error);
}

gboolean
vka_vk_conv3x3_winograd (VkaVkBackend *b, VkaVkBuffer *in, VkaVkBuffer *packed,
                         VkaVkBuffer *bias, VkaVkBuffer *out, const VkaPushConv *conv,
                         GError **error)
{
  const guint32 tpx = VKA_WINO_TPX;
  guint32 cin = conv->in_channels, cout = conv->out_channels;
  guint32 tiles_x = CEIL_DIV (conv->width, 2), tiles_y = CEIL_DIV (conv->height, 2);
  guint64 total = (guint64) conv->batch * tiles_x * tiles_y;

  /* a band of tiles, in row order: as many as the scratch limit holds, and
   * no more than the layer's larger tensor, so that the scratch buffers are
   * never the allocation that decides whether a picture needs tiling */
  guint64 per_tile = 16 * sizeof (float) * (guint64) MAX (cin, cout);
  guint64 tensor = (guint64) conv->batch * MAX (cin, cout) * conv->height * conv->width
                   * sizeof (float);
  if (per_tile * tpx > scratch_limit (b))
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_TOO_LARGE,
                   "Winograd convolution: a band of %u tiles of %u→%u channels "
                   "exceeds %s's buffer limits", tpx, cin, cout, b->props.deviceName);
      return FALSE;
    }
  guint64 chunk = MAX (MIN (scratch_limit (b), tensor) / per_tile / tpx, 1) * tpx;
  if (b->wino_band_rows > 0)
    chunk = MIN (chunk, (guint64) CEIL_DIV (b->wino_band_rows, 2) * tiles_x);
  chunk = MIN (chunk, total);
  guint64 max_stride = CEIL_DIV (chunk, tpx) * tpx;
  if (!ensure_scratch (b, 0, 16 * sizeof (float) * cin * max_stride, error)
      || !ensure_scratch (b, 1, 16 * sizeof (float) * cout * max_stride, error))
    return FALSE;
  VkaVkBuffer *v = &b->wino_scratch[0], *m = &b->wino_scratch[1];
  VkaVkBuffer *input_bufs[] = { in, v };
  VkaVkBuffer *gemm_bufs[] = { v, packed, m };
  VkaVkBuffer *output_bufs[] = { m, bias, out };

  for (guint64 first = 0; first < total; first += chunk)
    {
      guint32 count = (guint32) MIN (chunk, total - first);
      VkaPushWino pc = {
        .batch = conv->batch, .in_channels = cin, .out_channels = cout,
        .height = conv->height, .width = conv->width, .relu = conv->relu,
        .tiles_x = tiles_x, .tiles_y = tiles_y,
        .tile_first = (guint32) first, .tile_count = count,
        .tile_stride = CEIL_DIV (count, tpx) * tpx,
      };
      /* conv3x3_wino_input: an invocation per 4 tiles of one ci, 64 a group;
       * conv3x3_wino_gemm: TCO channels × TPX tiles an invocation, 32 a
       * group, grid (channel blocks, tile groups, 16);
       * conv3x3_wino_output: an invocation per 4 tiles of one co, 64 a group */
      if (!vka_vk_dispatch (b, VKA_SHADER_CONV3X3_WINO_INPUT, input_bufs, &pc,
                            CEIL_DIV (pc.tile_stride, 4 * 64), cin, 1, error)
          || !vka_vk_dispatch (b, VKA_SHADER_CONV3X3_WINO_GEMM, gemm_bufs, &pc,
                               CEIL_DIV (cout, VKA_WINO_TCO),
                               CEIL_DIV (pc.tile_stride / tpx, 32), 16, error)
          || !vka_vk_dispatch (b, VKA_SHADER_CONV3X3_WINO_OUTPUT, output_bufs, &pc,
                               CEIL_DIV (count, 4 * 64), cout, 1, error))
        return FALSE;
    }
  return TRUE;
}
