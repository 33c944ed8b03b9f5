/* ops.c — the Vulkan backend's forward ops: one short record function
 * each, the shader and grid named at each dispatch. The 3×3 convolutions
 * go through conv3x3-choice.c. */
#include "conv3x3.h"
#include "ops.h"
#include "tensor.h"

gboolean
vka_vk_conv2d (VkaBackend *backend, VkaTensor *in, VkaTensor *weight, VkaTensor *bias,
               gboolean relu, VkaTensor *out, GError **error)
{
  int k;
  if (!vka_check_conv (in, weight, bias, out, &k, error))
    return FALSE;
  VkaPushConv pc = {
    .batch = in->n, .in_channels = in->c, .out_channels = out->c,
    .height = in->h, .width = in->w, .relu = relu ? 1 : 0,
  };
  if (k == 1)
    {
      VkaVkBuffer *bufs[] = { vka_vk_buf (in), vka_vk_buf (weight), vka_vk_buf (bias),
                              vka_vk_buf (out) };
      /* conv1x1: one invocation per output value */
      return vka_vk_dispatch (vka_vk_backend (backend), VKA_SHADER_CONV1X1, bufs, &pc,
                              CEIL_DIV (in->w, 8), CEIL_DIV (in->h, 8),
                              (guint32) (out->n * out->c), error);
    }
  return vka_vk_conv3x3_run (vka_vk_backend (backend), FALSE, in, weight, bias, out, &pc,
                             error);
}

gboolean
vka_vk_conv3x3_upsampled (VkaBackend *backend, VkaTensor *in, VkaTensor *weight,
                          VkaTensor *bias, gboolean relu, VkaTensor *out, GError **error)
{
  if (!vka_check_conv3x3_upsampled (in, weight, bias, out, error))
    return FALSE;
  /* the push constants describe the convolution: the output's size */
  VkaPushConv pc = {
    .batch = in->n, .in_channels = in->c, .out_channels = out->c,
    .height = out->h, .width = out->w, .relu = relu ? 1 : 0,
  };
  return vka_vk_conv3x3_run (vka_vk_backend (backend), TRUE, in, weight, bias, out, &pc,
                             error);
}

static gboolean
resample (VkaBackend *backend, VkaShaderId kernel, VkaTensor *in, VkaTensor *out,
          GError **error)
{
  VkaPushResample pc = {
    .planes = in->n * in->c,
    .in_height = in->h, .in_width = in->w,
    .out_height = out->h, .out_width = out->w,
  };
  VkaVkBuffer *bufs[] = { vka_vk_buf (in), vka_vk_buf (out) };
  /* one invocation per output value */
  return vka_vk_dispatch (vka_vk_backend (backend), kernel, bufs, &pc, CEIL_DIV (out->w, 8),
                          CEIL_DIV (out->h, 8), pc.planes, error);
}

gboolean
vka_vk_maxpool2x2 (VkaBackend *backend, VkaTensor *in, VkaTensor *out, GError **error)
{
  return vka_check_maxpool2x2 (in, out, error)
      && resample (backend, VKA_SHADER_MAXPOOL2X2_CEIL, in, out, error);
}

gboolean
vka_vk_upsample2x (VkaBackend *backend, VkaTensor *in, VkaTensor *out, GError **error)
{
  return vka_check_upsample2x (in, out, error)
      && resample (backend, VKA_SHADER_UPSAMPLE2X, in, out, error);
}

gboolean
vka_vk_upsample2x_bilinear (VkaBackend *backend, VkaTensor *in, VkaTensor *out,
                            GError **error)
{
  return vka_check_upsample2x (in, out, error)
      && resample (backend, VKA_SHADER_UPSAMPLE2X_BILINEAR, in, out, error);
}

/* Pixels each stats_partial workgroup reduces: 64 threads × 256 iterations. */
#define STATS_CHUNK (64 * 256)

/* Per plane of in, over the h × w window at (y0, x0): (mean, std), or with
 * moments (mean, M2). */
static gboolean
window_stats (VkaBackend *backend, VkaTensor *in, int y0, int x0, int h, int w,
              gboolean moments, VkaTensor *stats, GError **error)
{
  guint32 pixels = (guint32) h * (guint32) w;
  VkaPushStats pc = {
    .planes = in->n * in->c,
    .pixels = pixels,
    .chunk = STATS_CHUNK,
    .n_chunks = CEIL_DIV (pixels, STATS_CHUNK),
    .plane_pixels = (guint32) in->h * (guint32) in->w,
    .width = in->w,
    .x0 = x0, .y0 = y0,
    .window_w = w,
    .moments = moments,
  };
  /* partials: (mean, M2) per plane and chunk */
  g_autoptr (VkaTensor) partial = vka_tensor_new (backend, 1, pc.planes, pc.n_chunks, 2,
                                                  error);
  if (!partial)
    return FALSE;
  VkaVkBuffer *pass1[] = { vka_vk_buf (in), vka_vk_buf (partial) };
  VkaVkBuffer *pass2[] = { vka_vk_buf (partial), vka_vk_buf (stats) };
  /* stats_partial: workgroup per (chunk, plane); stats_final: one per plane */
  return vka_vk_dispatch (vka_vk_backend (backend), VKA_SHADER_STATS_PARTIAL, pass1, &pc,
                          pc.n_chunks, pc.planes, 1, error)
      && vka_vk_dispatch (vka_vk_backend (backend), VKA_SHADER_STATS_FINAL, pass2, &pc,
                          pc.planes, 1, 1, error);
}

gboolean
vka_vk_channel_stats (VkaBackend *backend, VkaTensor *in, VkaTensor *stats, GError **error)
{
  return vka_check_channel_stats (in, stats, error)
      && window_stats (backend, in, 0, 0, in->h, in->w, FALSE, stats, error);
}

gboolean
vka_vk_channel_moments (VkaBackend *backend, VkaTensor *in, int y0, int x0, int h, int w,
                        VkaTensor *moments, GError **error)
{
  return vka_check_channel_moments (in, y0, x0, h, w, moments, error)
      && window_stats (backend, in, y0, x0, h, w, TRUE, moments, error);
}

gboolean
vka_vk_adain (VkaBackend *backend, VkaTensor *x, VkaTensor *x_stats,
              VkaTensor *target_stats, float alpha, VkaTensor *out, GError **error)
{
  if (!vka_check_adain (x, x_stats, target_stats, out, error))
    return FALSE;
  VkaPushAdain pc = {
    .batch = x->n, .channels = x->c,
    .pixels = (guint32) x->h * (guint32) x->w, .alpha = alpha,
  };
  VkaVkBuffer *bufs[] = { vka_vk_buf (x), vka_vk_buf (x_stats), vka_vk_buf (target_stats),
                          vka_vk_buf (out) };
  /* adain: 256 pixels per workgroup, one row of workgroups per plane */
  return vka_vk_dispatch (vka_vk_backend (backend), VKA_SHADER_ADAIN, bufs, &pc,
                          CEIL_DIV (pc.pixels, 256), pc.batch * pc.channels, 1, error);
}

gboolean
vka_vk_image_to_tensor (VkaBackend *backend, VkaTensor *image, int channels, VkaTensor *out,
                        GError **error)
{
  if (!vka_check_image_to_tensor (image, channels, out, error))
    return FALSE;
  VkaPushImage pc = {
    .image_width = out->w, .image_height = out->h, .image_channels = channels,
    .tensor_width = out->w, .tensor_height = out->h,
  };
  VkaVkBuffer *bufs[] = { vka_vk_buf (image), vka_vk_buf (out) };
  /* image_to_tensor: one invocation per pixel */
  return vka_vk_dispatch (vka_vk_backend (backend), VKA_SHADER_IMAGE_TO_TENSOR, bufs, &pc,
                          CEIL_DIV (out->w, 16), CEIL_DIV (out->h, 16), 1, error);
}

gboolean
vka_vk_tensor_to_image (VkaBackend *backend, VkaTensor *in, int y0, int x0,
                        VkaTensor *image, GError **error)
{
  if (!vka_check_tensor_to_image (in, y0, x0, image, error))
    return FALSE;
  VkaPushImage pc = {
    .image_width = image->w / 3, .image_height = image->h, .image_channels = 3,
    .tensor_width = in->w, .tensor_height = in->h, .origin_x = x0, .origin_y = y0,
  };
  VkaVkBuffer *bufs[] = { vka_vk_buf (in), vka_vk_buf (image) };
  /* tensor_to_image: one invocation per pixel */
  return vka_vk_dispatch (vka_vk_backend (backend), VKA_SHADER_TENSOR_TO_IMAGE, bufs, &pc,
                          CEIL_DIV (pc.image_width, 16), CEIL_DIV (pc.image_height, 16),
                          1, error);
}

gboolean
vka_vk_mask_blend (VkaBackend *backend, VkaTensor *a, VkaTensor *b, VkaTensor *mask,
                   VkaTensor *out, GError **error)
{
  if (!vka_check_mask_blend (a, b, mask, out, error))
    return FALSE;
  VkaPushBlend pc = {
    .batch = a->n, .channels = a->c, .pixels = (guint32) a->h * (guint32) a->w,
  };
  VkaVkBuffer *bufs[] = { vka_vk_buf (a), vka_vk_buf (b), vka_vk_buf (mask),
                          vka_vk_buf (out) };
  /* mask_blend: 256 pixels per workgroup, one row of workgroups per plane */
  return vka_vk_dispatch (vka_vk_backend (backend), VKA_SHADER_MASK_BLEND, bufs, &pc,
                          CEIL_DIV (pc.pixels, 256), pc.batch * pc.channels, 1, error);
}
