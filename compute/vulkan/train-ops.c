/* train-ops.c — the Vulkan backend's training ops: the backward ops and
 * the optimiser step, one short record function each (shader and grid
 * named at each dispatch). */
#include "conv3x3.h"
#include "ops.h"
#include "tensor.h"

#include <math.h>

/* The gradient of a 3×3 reflection-padded convolution's input: the full
 * convolution of dout with the transposed, flipped weights gives the
 * gradient of the padded input, (H+2)×(W+2), which the fold then adds back
 * through the reflection. Both run as the fast forward kernel does. */
static gboolean
conv3x3_backward_data (VkaVkBackend *b, VkaTensor *dout, VkaTensor *weight, VkaTensor *din,
                       GError **error)
{
  VkaPushConv pc = {
    .batch = dout->n, .in_channels = dout->c, .out_channels = din->c,
    .height = dout->h, .width = dout->w,
  };
  VkaVkBuffer *packed_backward = &vka_vk_tensor (weight)->packed_backward;
  VkaVkBuffer *packed = vka_vk_conv3x3_pack_weights (b, weight, packed_backward,
                                                     VKA_SHADER_CONV3X3_PACK_FULL,
                                                     VKA_CONV3X3_TCO, 9, sizeof (float),
                                                     &pc, error);
  if (!packed)
    return FALSE;
  g_autoptr (VkaTensor) padded = vka_tensor_new (din->backend, din->n, din->c, din->h + 2,
                                                 din->w + 2, error);
  if (!padded)
    return FALSE;
  VkaVkBuffer *full[] = { vka_vk_buf (dout), packed, vka_vk_buf (padded) };
  VkaVkBuffer *fold[] = { vka_vk_buf (padded), vka_vk_buf (din) };
  VkaPushConv fold_pc = {
    .batch = din->n, .in_channels = din->c, .height = din->h, .width = din->w,
  };
  /* conv3x3_full: TCO channels × TPX pixels per invocation, 64 per group;
   * conv3x3_fold: one invocation per input-gradient value */
  return vka_vk_dispatch (b, VKA_SHADER_CONV3X3_FULL, full, &pc,
                          CEIL_DIV (CEIL_DIV (padded->w, VKA_CONV3X3_TPX) * padded->h, 64),
                          (guint32) (din->n * CEIL_DIV (din->c, VKA_CONV3X3_TCO)), 1, error)
      && vka_vk_dispatch (b, VKA_SHADER_CONV3X3_FOLD, fold, &fold_pc,
                          CEIL_DIV (din->w, 8), CEIL_DIV (din->h, 8),
                          (guint32) (din->n * din->c), error);
}

gboolean
vka_vk_conv2d_backward_data (VkaBackend *backend, VkaTensor *dout, VkaTensor *weight,
                              VkaTensor *din, GError **error)
{
  if (!vka_check_conv2d_backward_data (dout, weight, din, error))
    return FALSE;
  VkaPushConv pc = {
    .batch = dout->n, .in_channels = din->c, .out_channels = dout->c,
    .height = dout->h, .width = dout->w,
  };
  if (weight->h == 1)
    {
      VkaVkBuffer *bufs[] = { vka_vk_buf (dout), vka_vk_buf (weight), vka_vk_buf (din) };
      /* conv1x1_backward_data: one invocation per input-gradient value */
      return vka_vk_dispatch (vka_vk_backend (backend), VKA_SHADER_CONV1X1_BACKWARD_DATA,
                              bufs, &pc, CEIL_DIV (din->w, 8), CEIL_DIV (din->h, 8),
                              (guint32) (din->n * din->c), error);
    }
  return conv3x3_backward_data (vka_vk_backend (backend), dout, weight, din, error);
}

/* Pixels (of N·H·W) per partial sum of the weight gradient. */
#define CONV_GRAD_CHUNK 4096

gboolean
vka_vk_conv3x3_backward_weight (VkaBackend *backend, VkaTensor *in, VkaTensor *dout,
                                VkaTensor *dweight, VkaTensor *dbias, GError **error)
{
  VkaVkBackend *b = vka_vk_backend (backend);
  if (!vka_check_conv3x3_backward_weight (in, dout, dweight, dbias, error))
    return FALSE;
  guint32 pixels = (guint32) in->n * in->h * in->w;
  VkaPushConvGrad pc = {
    .batch = in->n, .in_channels = in->c, .out_channels = dout->c,
    .height = in->h, .width = in->w,
    .chunk = CONV_GRAD_CHUNK, .n_chunks = CEIL_DIV (pixels, CONV_GRAD_CHUNK),
  };
  guint32 per_chunk = pc.out_channels * pc.in_channels * 9 + pc.out_channels;
  g_autoptr (VkaTensor) partial = vka_tensor_new (backend, 1, 1, pc.n_chunks, per_chunk,
                                                  error);
  if (!partial)
    return FALSE;
  VkaVkBuffer *pass1[] = { vka_vk_buf (in), vka_vk_buf (dout), vka_vk_buf (partial) };
  VkaVkBuffer *pass2[] = { vka_vk_buf (partial), vka_vk_buf (dweight), vka_vk_buf (dbias) };
  /* _partial: an invocation per 16 output channels × 1 input channel and chunk (its
   * TCO × TCI); _final: one per gradient */
  guint32 blocks = CEIL_DIV (pc.out_channels, 16) * CEIL_DIV (pc.in_channels, 1);
  /* texel buffers on the direct variant (tensors are sized for them there) */
  VkaShaderId partial_kernel = b->conv3x3 == VKA_VK_CONV3X3_DIRECT
                                 ? VKA_SHADER_CONV3X3_BACKWARD_WEIGHT_PARTIAL_TEXELS
                                 : VKA_SHADER_CONV3X3_BACKWARD_WEIGHT_PARTIAL;
  return vka_vk_dispatch (b, partial_kernel, pass1, &pc, CEIL_DIV (blocks, 64), pc.n_chunks,
                          1, error)
      && vka_vk_dispatch (b, VKA_SHADER_CONV3X3_BACKWARD_WEIGHT_FINAL, pass2, &pc,
                          CEIL_DIV (per_chunk, 256), 1, 1, error);
}

/* A 1-D op over count values on a 2-D grid (a row holds at most 65,535 groups). */
static gboolean
elementwise (VkaBackend *backend, VkaShaderId kernel, VkaVkBuffer *const *bufs,
             gsize count, float scale, GError **error)
{
  guint32 groups = CEIL_DIV (count, 256);
  guint32 rows = CEIL_DIV (groups, 32768);
  VkaPushElementwise pc = {
    .count = (guint32) count, .row = CEIL_DIV (groups, rows) * 256, .scale = scale,
  };
  return vka_vk_dispatch (vka_vk_backend (backend), kernel, bufs, &pc, pc.row / 256, rows, 1,
                          error);
}

gboolean
vka_vk_relu_backward (VkaBackend *backend, VkaTensor *y, VkaTensor *dy, VkaTensor *dx,
                      GError **error)
{
  if (!vka_check_same_shape ("relu_backward", y, dy, error)
      || !vka_check_same_shape ("relu_backward", y, dx, error))
    return FALSE;
  VkaVkBuffer *bufs[] = { vka_vk_buf (y), vka_vk_buf (dy), vka_vk_buf (dx) };
  /* relu_backward: one invocation per value */
  return elementwise (backend, VKA_SHADER_RELU_BACKWARD, bufs, vka_tensor_numel (y), 0,
                      error);
}

gboolean
vka_vk_mse_backward (VkaBackend *backend, VkaTensor *a, VkaTensor *b, float scale,
                     VkaTensor *da, GError **error)
{
  if (!vka_check_same_shape ("mse_backward", a, b, error)
      || !vka_check_same_shape ("mse_backward", a, da, error))
    return FALSE;
  VkaVkBuffer *bufs[] = { vka_vk_buf (a), vka_vk_buf (b), vka_vk_buf (da) };
  /* mse_backward: one invocation per value */
  return elementwise (backend, VKA_SHADER_MSE_BACKWARD, bufs, vka_tensor_numel (a), scale,
                      error);
}

gboolean
vka_vk_maxpool2x2_backward (VkaBackend *backend, VkaTensor *in, VkaTensor *dout,
                            VkaTensor *din, GError **error)
{
  if (!vka_check_maxpool2x2 (in, dout, error)
      || !vka_check_same_shape ("maxpool2x2_backward", in, din, error))
    return FALSE;
  VkaPushResample pc = {
    .planes = in->n * in->c, .in_height = in->h, .in_width = in->w,
    .out_height = dout->h, .out_width = dout->w,
  };
  VkaVkBuffer *bufs[] = { vka_vk_buf (in), vka_vk_buf (dout), vka_vk_buf (din) };
  /* maxpool2x2_backward: one invocation per input pixel */
  return vka_vk_dispatch (vka_vk_backend (backend), VKA_SHADER_MAXPOOL2X2_BACKWARD, bufs,
                          &pc, CEIL_DIV (in->w, 8), CEIL_DIV (in->h, 8), pc.planes, error);
}

/* din from dout with a ×2 upsampling's backward shader: one invocation
 * per input pixel, a gather (no atomics) */
static gboolean
upsample2x_backward_with (VkaBackend *backend, VkaShaderId shader, VkaTensor *dout,
                          VkaTensor *din, GError **error)
{
  if (!vka_check_upsample2x (din, dout, error))
    return FALSE;
  VkaPushResample pc = {
    .planes = din->n * din->c, .in_height = din->h, .in_width = din->w,
    .out_height = dout->h, .out_width = dout->w,
  };
  VkaVkBuffer *bufs[] = { vka_vk_buf (dout), vka_vk_buf (din) };
  return vka_vk_dispatch (vka_vk_backend (backend), shader, bufs, &pc, CEIL_DIV (din->w, 8),
                          CEIL_DIV (din->h, 8), pc.planes, error);
}

gboolean
vka_vk_upsample2x_backward (VkaBackend *backend, VkaTensor *dout, VkaTensor *din,
                            GError **error)
{
  return upsample2x_backward_with (backend, VKA_SHADER_UPSAMPLE2X_BACKWARD, dout, din, error);
}

gboolean
vka_vk_upsample2x_bilinear_backward (VkaBackend *backend, VkaTensor *dout, VkaTensor *din,
                                     GError **error)
{
  return upsample2x_backward_with (backend, VKA_SHADER_UPSAMPLE2X_BILINEAR_BACKWARD, dout, din,
                                   error);
}

gboolean
vka_vk_channel_stats_backward (VkaBackend *backend, VkaTensor *in, VkaTensor *stats,
                               VkaTensor *dstats, VkaTensor *din, GError **error)
{
  if (!vka_check_channel_stats (in, stats, error)
      || !vka_check_channel_stats (in, dstats, error)
      || !vka_check_same_shape ("channel_stats_backward", in, din, error))
    return FALSE;
  VkaPushStats pc = {
    .planes = in->n * in->c, .pixels = (guint32) in->h * (guint32) in->w,
  };
  VkaVkBuffer *bufs[] = { vka_vk_buf (in), vka_vk_buf (stats), vka_vk_buf (dstats),
                          vka_vk_buf (din) };
  /* channel_stats_backward: 256 pixels per workgroup, a row per plane */
  return vka_vk_dispatch (vka_vk_backend (backend), VKA_SHADER_CHANNEL_STATS_BACKWARD, bufs,
                          &pc, CEIL_DIV (pc.pixels, 256), pc.planes, 1, error);
}

gboolean
vka_vk_add (VkaBackend *backend, VkaTensor *a, VkaTensor *b, VkaTensor *out, GError **error)
{
  if (!vka_check_same_shape ("add", a, b, error) || !vka_check_same_shape ("add", a, out, error))
    return FALSE;
  VkaVkBuffer *bufs[] = { vka_vk_buf (a), vka_vk_buf (b), vka_vk_buf (out) };
  /* add: one invocation per value */
  return elementwise (backend, VKA_SHADER_ADD, bufs, vka_tensor_numel (a), 0, error);
}

gboolean
vka_vk_optimizer_step (VkaBackend *backend, VkaTensor *param, VkaTensor *grad, VkaTensor *m,
                       VkaTensor *v, const VkaOptimizer *opt, int step, GError **error)
{
  if (!vka_check_optimizer_step (param, grad, m, v, error))
    return FALSE;
  gsize count = vka_tensor_numel (param);
  guint32 groups = CEIL_DIV (count, 256);
  guint32 rows = CEIL_DIV (groups, 32768);
  /* bias corrections come from the host, in double */
  double bc1 = 1.0 - pow (opt->beta1, step), bc2 = 1.0 - pow (opt->beta2, step);
  VkaPushOptimizer pc = {
    .count = (guint32) count, .row = CEIL_DIV (groups, rows) * 256,
    .sgd = opt->sgd ? 1 : 0,
    .step_size = (float) (opt->sgd ? opt->lr : opt->lr / bc1),
    .beta1 = (float) opt->beta1, .beta2 = (float) opt->beta2,
    .one_minus_beta1 = (float) (1.0 - opt->beta1), .one_minus_beta2 = (float) (1.0 - opt->beta2),
    .eps = (float) opt->eps, .inv_sqrt_bc2 = (float) (1.0 / sqrt (bc2)),
  };
  VkaVkBuffer *bufs[] = { vka_vk_buf (param), vka_vk_buf (grad), vka_vk_buf (m),
                          vka_vk_buf (v) };
  vka_vk_tensor_release_packed (param);
  /* optimizer_step: one invocation per parameter */
  return vka_vk_dispatch (vka_vk_backend (backend), VKA_SHADER_OPTIMIZER_STEP, bufs, &pc,
                          pc.row / 256, rows, 1, error);
}
