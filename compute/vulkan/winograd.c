/* winograd.c — 3×3 convolutions as Winograd F(2,3): each 2×2 output block
 * comes from a 4×4 input tile in 16 multiplies per (ci, co) instead of 36;
 * or as F(4,3) (wino4): each 4×4 block from a 6×6 tile in 36 instead of 144.
 * Three dispatches per band of tiles: conv3x3_wino_input (V = Bᵀ·d·B),
 * conv3x3_wino_gemm (M = U·V for each of the 16 or 36 positions), then
 * conv3x3_wino_output (Y = Aᵀ·M·A + bias, ReLU). The weights' U = G·g·Gᵀ is
 * packed once by conv3x3_wino_pack (conv3x3.c's plan, on the layer's
 * first run). With b->conv3x3_fp16, F(2,3)'s U, V and M are float16 (the
 * _f16 shaders), sums float32; F(4,3) has no fp16 form. */
#include "conv3x3.h"

/* A band's scratch buffers stay below this where one row of tiles allows,
 * so that a large map needs no huge allocation. */
#define WINO_SCRATCH_BYTES ((VkDeviceSize) 16 << 20)

/* What one scratch buffer may hold at most: written as a storage buffer,
 * read as a texel buffer (of vec4s; counted as floats, to be safe). */
static VkDeviceSize
scratch_hard_limit (VkaVkBackend *b)
{
  const VkPhysicalDeviceLimits *l = &b->props.limits;
  VkDeviceSize limit = MIN ((VkDeviceSize) l->maxStorageBufferRange,
                            (VkDeviceSize) l->maxTexelBufferElements * sizeof (float));
  return b->max_allocation > 0 ? MIN (limit, b->max_allocation) : limit;
}

/* Makes scratch buffer i at least bytes long; the old one dies after the
 * work queued on it. */
static gboolean
ensure_scratch (VkaVkBackend *b, int i, VkDeviceSize bytes, GError **error)
{
  VkaVkBuffer *buf = &b->wino_scratch[i];
  if (buf->buffer && buf->bytes >= bytes)
    return TRUE;
  vka_vk_buffer_release (b, buf);
  return vka_vk_buffer_alloc (b, bytes, FALSE, buf, error);
}

gboolean
vka_vk_conv3x3_winograd (VkaVkBackend *b, VkaVkBuffer *in, VkaVkBuffer *packed,
                         VkaVkBuffer *bias, VkaVkBuffer *out, const VkaPushConv *conv,
                         gboolean upsampled, gboolean wino4, GError **error)
{
  const guint32 tpx = VKA_WINO_TPX;
  const gboolean fp16 = b->conv3x3_fp16 && !wino4;
  /* the output block's side, and the positions (values) of a tile */
  const guint32 block = wino4 ? 4 : 2, positions = wino4 ? 36 : 16;
  const guint64 value_bytes = fp16 ? 2 : sizeof (float);
  guint32 cin = conv->in_channels, cout = conv->out_channels;
  guint32 tiles_x = CEIL_DIV (conv->width, block), tiles_y = CEIL_DIV (conv->height, block);
  guint32 pitch = CEIL_DIV (tiles_x, 4) * 4;
  guint32 total_rows = conv->batch * tiles_y;

  /* a band of tile rows: as many as fit in WINO_SCRATCH_BYTES and in the
   * layer's larger tensor (so that the scratch buffers are never the
   * allocation that decides whether a picture needs tiling), at least one */
  guint64 row_bytes = positions * value_bytes * (guint64) MAX (cin, cout) * pitch;
  guint64 tensor = (guint64) conv->batch * MAX (cin, cout) * conv->height * conv->width
                   * sizeof (float);
  guint64 rows = MAX (MIN (WINO_SCRATCH_BYTES, tensor) / row_bytes, 1);
  if (b->wino_band_rows > 0)
    rows = MIN (rows, (guint64) CEIL_DIV (b->wino_band_rows, block));
  rows = MIN (rows, MIN (total_rows, 65535u));
  guint64 max_stride = CEIL_DIV (rows * pitch, tpx) * tpx;
  if (positions * value_bytes * MAX (cin, cout) * max_stride > scratch_hard_limit (b))
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_TOO_LARGE,
                   "Winograd convolution: a row of %u tiles of %u→%u channels exceeds "
                   "%s's buffer limits", tiles_x, cin, cout, b->props.deviceName);
      return FALSE;
    }
  if (!ensure_scratch (b, 0, positions * value_bytes * cin * max_stride, error)
      || !ensure_scratch (b, 1, positions * value_bytes * cout * max_stride, error))
    return FALSE;
  VkaVkBuffer *v = &b->wino_scratch[0], *m = &b->wino_scratch[1];
  VkaVkBuffer *input_bufs[] = { in, v };
  VkaVkBuffer *gemm_bufs[] = { v, packed, m };
  VkaVkBuffer *output_bufs[] = { m, bias, out };
  VkaShaderId input_kernel, gemm_kernel, output_kernel;
  if (wino4)
    {
      input_kernel = upsampled ? VKA_SHADER_CONV3X3_WINO4_INPUT_UP
                               : VKA_SHADER_CONV3X3_WINO4_INPUT;
      gemm_kernel = VKA_SHADER_CONV3X3_WINO_GEMM;
      output_kernel = VKA_SHADER_CONV3X3_WINO4_OUTPUT;
    }
  else if (fp16)
    {
      input_kernel = upsampled ? VKA_SHADER_CONV3X3_WINO_INPUT_UP_F16
                               : VKA_SHADER_CONV3X3_WINO_INPUT_F16;
      gemm_kernel = VKA_SHADER_CONV3X3_WINO_GEMM_F16;
      output_kernel = VKA_SHADER_CONV3X3_WINO_OUTPUT_F16;
    }
  else
    {
      input_kernel = upsampled ? VKA_SHADER_CONV3X3_WINO_INPUT_UP
                               : VKA_SHADER_CONV3X3_WINO_INPUT;
      gemm_kernel = VKA_SHADER_CONV3X3_WINO_GEMM;
      output_kernel = VKA_SHADER_CONV3X3_WINO_OUTPUT;
    }

  for (guint32 first = 0; first < total_rows; first += (guint32) rows)
    {
      guint32 count = (guint32) MIN (rows, total_rows - first);
      VkaPushWino pc = {
        .batch = conv->batch, .in_channels = cin, .out_channels = cout,
        .height = conv->height, .width = conv->width, .relu = conv->relu,
        .tiles_x = tiles_x, .tiles_y = tiles_y,
        .row_first = first, .row_count = count, .tile_pitch = pitch,
        .tile_stride = CEIL_DIV (count * pitch, tpx) * tpx,
      };
      guint32 quads = count * pitch / 4;
      /* conv3x3_wino_input: an invocation per 4 tiles of a row and ci, 64 a
       * group; conv3x3_wino_gemm: TCO channels × TPX tiles an invocation, 32
       * a group, grid (channel blocks, tile groups, positions); conv3x3_wino_output:
       * an invocation per 4 tiles of a row and co, 64 a group */
      if (!vka_vk_dispatch (b, input_kernel, input_bufs, &pc, CEIL_DIV (quads, 64), cin, 1,
                            error)
          || !vka_vk_dispatch (b, gemm_kernel, gemm_bufs, &pc, CEIL_DIV (cout, VKA_WINO_TCO),
                               CEIL_DIV (pc.tile_stride / tpx, 32), positions, error)
          || !vka_vk_dispatch (b, output_kernel, output_bufs, &pc,
                               CEIL_DIV (quads, 64), cout, 1, error))
        return FALSE;
    }
  return TRUE;
}
