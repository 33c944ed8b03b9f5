/* backend.c — the Vulkan backend: device set-up, tensors, and one short
 * record function per op (shader named in each). */
#include "vk-private.h"
#include "push-constants.h"

#include <math.h>
#include <string.h>

#define CEIL_DIV(a, b) (((a) + (b) - 1) / (b))

static VkaVkBackend *
vkb (VkaBackend *backend)
{
  return (VkaVkBackend *) backend;
}

static VkaVkBuffer *
buf_of (VkaTensor *t)
{
  return &((VkaVkTensor *) t)->buf;
}

/* ---- tensors ---- */

static VkaTensor *
vk_tensor_new (VkaBackend *backend, int n, int c, int h, int w, GError **error)
{
  VkaVkBackend *b = vkb (backend);
  if (n <= 0 || c <= 0 || h <= 0 || w <= 0)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                   "tensor shape %d×%d×%d×%d has an empty dimension", n, c, h, w);
      return NULL;
    }
  guint64 numel = (guint64) n * (guint64) c * (guint64) h * (guint64) w;
  if (numel > G_MAXINT32)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_TOO_LARGE,
                   "a %d×%d×%d×%d tensor has more than 2^31 elements", n, c, h, w);
      return NULL;
    }
  VkaVkTensor *t = g_new0 (VkaVkTensor, 1);
  t->base = (VkaTensor) { backend, n, c, h, w };
  if (!vka_vk_buffer_alloc (b, numel * sizeof (float), b->guards, &t->buf, error))
    {
      g_free (t);
      return NULL;
    }
  return &t->base;
}

/* Gives a buffer to the pool (see memory.c), or without the pool frees it
 * now or after the flush when queued work may use it. */
void
vka_vk_release_later (VkaVkBackend *b, VkaVkBuffer *buf)
{
  if (!buf->buffer)
    return;
  if (b->recording && !vka_vk_pool_enabled ())
    g_ptr_array_add (b->deferred, g_memdup2 (buf, sizeof *buf));
  else
    vka_vk_buffer_release (b, buf);
  memset (buf, 0, sizeof *buf);
}

/* conv weights packed from old values are stale once the values change */
static void
release_packed (VkaVkBackend *b, VkaVkTensor *t)
{
  vka_vk_release_later (b, &t->packed);
  vka_vk_release_later (b, &t->packed_backward);
}

static void
vk_tensor_free (VkaTensor *tensor)
{
  VkaVkBackend *b = vkb (tensor->backend);
  VkaVkTensor *t = (VkaVkTensor *) tensor;
  vka_vk_release_later (b, &t->buf);
  release_packed (b, t);
  g_free (t);
}

static gboolean
vk_tensor_write (VkaTensor *tensor, const float *src, GError **error)
{
  VkaVkBuffer *buf = buf_of (tensor);
  release_packed (vkb (tensor->backend), (VkaVkTensor *) tensor);
  return vka_vk_buffer_write (vkb (tensor->backend), buf, buf->offset, buf->bytes, src,
                              error);
}

static gboolean
vk_tensor_read (VkaTensor *tensor, float *dst, GError **error)
{
  VkaVkBuffer *buf = buf_of (tensor);
  return vka_vk_buffer_read (vkb (tensor->backend), buf, buf->offset, buf->bytes, dst,
                             error);
}

gboolean
vka_vk_tensor_check_guards (VkaTensor *tensor, GError **error)
{
  VkaVkBackend *b = vkb (tensor->backend);
  VkaVkBuffer *buf = buf_of (tensor);
  if (!b->guards)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                   "the backend was made without guard words");
      return FALSE;
    }
  if (!vka_vk_flush (tensor->backend, error))
    return FALSE;
  VkDeviceSize tail = buf->offset + ((buf->bytes + 3) & ~(VkDeviceSize) 3);
  const guint32 *words = buf->mapped;
  for (VkDeviceSize i = 0; i < buf->total / 4; i++)
    {
      if (i * 4 >= buf->offset && i * 4 < tail)
        continue;
      if (words[i] != VKA_VK_GUARD_WORD)
        {
          g_set_error (error, VKA_ERROR, VKA_ERROR_DEVICE,
                       "guard word at byte %" G_GINT64_FORMAT " of a %d×%d×%d×%d "
                       "tensor was overwritten (0x%08x)",
                       (gint64) (i * 4) - (gint64) buf->offset,
                       tensor->n, tensor->c, tensor->h, tensor->w, words[i]);
          return FALSE;
        }
    }
  return TRUE;
}

/* ---- ops ---- */

/* How a 3×3 convolution is laid out for one kernel. */
typedef struct
{
  VkaShaderId kernel, pack;
  VkaShaderId upsampled;  /* kernel with an ×2 upsampling folded into its loads
                           * (Winograd: its input transform) */
  int         tco;        /* output channels per packed group */
  int         taps;       /* packed values per (co, ci) */
  gsize       value_bytes;  /* of a packed value: 4, or 2 in the fp16 forms */
} Conv3x3Plan;

static Conv3x3Plan
plan_of (VkaVkBackend *b, VkaVkConv3x3Kernel kernel)
{
  gboolean fp16 = b->conv3x3_fp16;
  gsize value_bytes = fp16 ? 2 : sizeof (float);
  switch (kernel)
    {
    case VKA_VK_KERNEL_WINOGRAD:
      return (Conv3x3Plan) {
        fp16 ? VKA_SHADER_CONV3X3_WINO_GEMM_F16 : VKA_SHADER_CONV3X3_WINO_GEMM,
        fp16 ? VKA_SHADER_CONV3X3_WINO_PACK_F16 : VKA_SHADER_CONV3X3_WINO_PACK,
        fp16 ? VKA_SHADER_CONV3X3_WINO_INPUT_UP_F16 : VKA_SHADER_CONV3X3_WINO_INPUT_UP,
        VKA_WINO_TCO, 16, value_bytes };
    case VKA_VK_KERNEL_WINOGRAD4:
      /* float32 only (callers fall back to F(2,3) under fp16) */
      return (Conv3x3Plan) {
        VKA_SHADER_CONV3X3_WINO_GEMM, VKA_SHADER_CONV3X3_WINO4_PACK,
        VKA_SHADER_CONV3X3_WINO4_INPUT_UP, VKA_WINO_TCO, 36, sizeof (float) };
    case VKA_VK_KERNEL_GEMM4:
      return (Conv3x3Plan) {
        fp16 ? VKA_SHADER_CONV3X3_GEMM4_F16 : VKA_SHADER_CONV3X3_GEMM4,
        fp16 ? VKA_SHADER_CONV3X3_PACK_GEMM4_F16 : VKA_SHADER_CONV3X3_PACK_GEMM4,
        fp16 ? VKA_SHADER_CONV3X3_GEMM4_UP_F16 : VKA_SHADER_CONV3X3_GEMM4_UP,
        64, 9, value_bytes };
    case VKA_VK_KERNEL_GEMM8:
      return (Conv3x3Plan) {
        fp16 ? VKA_SHADER_CONV3X3_GEMM8_F16 : VKA_SHADER_CONV3X3_GEMM8,
        fp16 ? VKA_SHADER_CONV3X3_PACK_GEMM8_F16 : VKA_SHADER_CONV3X3_PACK_GEMM8,
        fp16 ? VKA_SHADER_CONV3X3_GEMM8_UP_F16 : VKA_SHADER_CONV3X3_GEMM8_UP,
        128, 9, value_bytes };
    case VKA_VK_KERNEL_DIRECT:
    default:
      /* the direct kernel has no fp16 form */
      return (Conv3x3Plan) { VKA_SHADER_CONV3X3_REFLECT, VKA_SHADER_CONV3X3_PACK,
                             VKA_SHADER_CONV3X3_REFLECT_UP, VKA_CONV3X3_TCO, 9,
                             sizeof (float) };
    }
}

/* The kernel the backend's variant gives a layer when nothing was measured. */
static VkaVkConv3x3Kernel
default_kernel (VkaVkBackend *b, int in_channels, int out_channels)
{
  gboolean wide = in_channels >= b->wino_min_channels
                  && out_channels >= b->wino_min_channels;
  if (b->conv3x3 == VKA_VK_CONV3X3_WINOGRAD4 && wide)
    return VKA_VK_KERNEL_WINOGRAD4;   /* under fp16, F(2,3) (kernel_that_runs) */
  if (b->conv3x3 == VKA_VK_CONV3X3_WINOGRAD && wide)
    return VKA_VK_KERNEL_WINOGRAD;
  if (b->conv3x3 != VKA_VK_CONV3X3_GEMM)
    return VKA_VK_KERNEL_DIRECT;
  /* 128-channel tiles waste half their work below 65 channels */
  return out_channels <= 64 ? VKA_VK_KERNEL_GEMM4 : VKA_VK_KERNEL_GEMM8;
}

/* The weights packed into *packed (for a kernel with pc's channel counts,
 * in groups of tco output channels, taps values of value_bytes per channel
 * pair) on first use. */
static VkaVkBuffer *
pack_once (VkaVkBackend *b, VkaTensor *weight, VkaVkBuffer *packed, VkaShaderId pack,
           int tco, int taps, gsize value_bytes, const VkaPushConv *pc, GError **error)
{
  if (packed->buffer)
    return packed;
  guint64 n = (guint64) CEIL_DIV (pc->out_channels, tco) * tco * pc->in_channels * taps;
  if (!vka_vk_buffer_alloc (b, n * value_bytes, b->guards, packed, error))
    return NULL;
  VkaVkBuffer *bufs[] = { buf_of (weight), packed };
  /* conv3x3_pack: one invocation per packed value; conv3x3_wino_pack: one
   * per (co, ci), making its 16 (F(4,3): 36) */
  guint64 invocations = taps == 9 ? n : n / taps;
  if (!vka_vk_dispatch (b, pack, bufs, pc, CEIL_DIV (invocations, 256), 1, 1, error))
    return NULL;
  return packed;
}

gboolean
vka_vk_conv3x3_pack (VkaVkBackend *b, VkaVkConv3x3Kernel kernel, VkaTensor *weight,
                     const VkaPushConv *pc, VkaVkBuffer *packed, GError **error)
{
  Conv3x3Plan plan = plan_of (b, kernel);
  return pack_once (b, weight, packed, plan.pack, plan.tco, plan.taps, plan.value_bytes, pc,
                    error) != NULL;
}

/* The weight tensor's own packing, for kernel: made again when a layer
 * changes kernel (another size measured faster with another). */
static VkaVkBuffer *
packed_weights (VkaVkBackend *b, VkaTensor *weight, VkaVkConv3x3Kernel kernel,
                const VkaPushConv *pc, GError **error)
{
  VkaVkTensor *t = (VkaVkTensor *) weight;
  if (t->packed.buffer && t->packed_for != kernel)
    vka_vk_release_later (b, &t->packed);
  t->packed_for = kernel;
  return vka_vk_conv3x3_pack (b, kernel, weight, pc, &t->packed, error) ? &t->packed : NULL;
}

static gboolean
fits (VkaVkBackend *b, VkaVkConv3x3Kernel kernel, guint64 in_values, guint64 out_values)
{
  if (kernel == VKA_VK_KERNEL_GEMM4 || kernel == VKA_VK_KERNEL_GEMM8)
    return TRUE;
  /* F(4,3) has no fp16 form: with fp16 on it is no candidate */
  if (kernel == VKA_VK_KERNEL_WINOGRAD4 && b->conv3x3_fp16)
    return FALSE;
  /* the direct and Winograd kernels read tensors as texel buffers */
  guint64 texels = b->props.limits.maxTexelBufferElements;
  return in_values <= texels && out_values <= texels;
}

gboolean
vka_vk_conv3x3_fits (VkaVkBackend *b, VkaVkConv3x3Kernel kernel, VkaTensor *in,
                     VkaTensor *out)
{
  return fits (b, kernel, vka_tensor_numel (in), vka_tensor_numel (out));
}

/* The kernel that runs where kernel was measured or is the default: F(2,3)'s
 * fp16 form for F(4,3) under fp16, GEMM for maps too large for texel
 * buffers. */
static VkaVkConv3x3Kernel
kernel_that_runs (VkaVkBackend *b, VkaVkConv3x3Kernel kernel, guint64 in_values,
                  guint64 out_values, int out_channels)
{
  if (kernel == VKA_VK_KERNEL_WINOGRAD4 && b->conv3x3_fp16)
    kernel = VKA_VK_KERNEL_WINOGRAD;
  if (!fits (b, kernel, in_values, out_values))
    kernel = out_channels <= 64 ? VKA_VK_KERNEL_GEMM4 : VKA_VK_KERNEL_GEMM8;
  return kernel;
}

/* One 3×3 convolution by kernel (upsampled: its form with an ×2 nearest
 * upsampling of in folded into the loads), with the grid over out. */
gboolean
vka_vk_conv3x3_dispatch (VkaVkBackend *b, VkaVkConv3x3Kernel kernel, gboolean upsampled,
                         VkaTensor *in, VkaVkBuffer *packed, VkaTensor *bias,
                         VkaTensor *out, const VkaPushConv *pc, GError **error)
{
  Conv3x3Plan plan = plan_of (b, kernel);
  if (kernel == VKA_VK_KERNEL_WINOGRAD || kernel == VKA_VK_KERNEL_WINOGRAD4)
    return vka_vk_conv3x3_winograd (b, buf_of (in), packed, buf_of (bias), buf_of (out), pc,
                                    upsampled, kernel == VKA_VK_KERNEL_WINOGRAD4, error);
  VkaShaderId shader = upsampled ? plan.upsampled : plan.kernel;
  VkaVkBuffer *bufs[] = { buf_of (in), packed, buf_of (bias), buf_of (out) };
  if (kernel == VKA_VK_KERNEL_DIRECT)
    /* conv3x3_reflect: TCO channels × TPX pixels per invocation, 64 per group */
    return vka_vk_dispatch (b, shader, bufs, pc,
                            CEIL_DIV (CEIL_DIV (out->w, VKA_CONV3X3_TPX) * out->h, 64),
                            (guint32) (out->n * CEIL_DIV (out->c, VKA_CONV3X3_TCO)), 1,
                            error);
  /* conv3x3_gemm: tco channels × BN pixels per workgroup; the pixel blocks
   * fold into x and y to stay under the 65535 groups a dimension may have */
  guint32 blocks = CEIL_DIV ((guint64) out->w * out->h, VKA_CONV3X3_GEMM_BN);
  guint32 gx = MIN (blocks, 32768u);
  return vka_vk_dispatch (b, shader, bufs, pc, gx, CEIL_DIV (blocks, gx),
                          (guint32) (out->n * CEIL_DIV (out->c, plan.tco)), error);
}

/* A 3×3 convolution by the kernel measured fastest for its shape on this
 * device (measuring the candidates first when tuning and the shape is new),
 * else by the backend's variant. */
static gboolean
conv3x3 (VkaVkBackend *b, gboolean upsampled, VkaTensor *in, VkaTensor *weight,
         VkaTensor *bias, VkaTensor *out, const VkaPushConv *pc, GError **error)
{
  VkaVkConv3x3Kernel kernel = default_kernel (b, in->c, out->c);
  if (b->tuning && !vka_vk_tuned_kernel (b, pc, upsampled, &kernel)
      && !vka_vk_tune_conv3x3 (b, upsampled, in, weight, bias, out, pc, &kernel, error))
    return FALSE;
  kernel = kernel_that_runs (b, kernel, vka_tensor_numel (in), vka_tensor_numel (out),
                             out->c);
  VkaVkBuffer *packed = packed_weights (b, weight, kernel, pc, error);
  return packed && vka_vk_conv3x3_dispatch (b, kernel, upsampled, in, packed, bias, out, pc,
                                            error);
}

const char *
vka_vk_backend_conv3x3_kernel (VkaBackend *backend, int batch, int in_channels,
                               int out_channels, int height, int width, gboolean upsampled)
{
  VkaVkBackend *b = vkb (backend);
  VkaPushConv pc = {
    .batch = batch, .in_channels = in_channels, .out_channels = out_channels,
    .height = height, .width = width,
  };
  VkaVkConv3x3Kernel kernel = default_kernel (b, in_channels, out_channels);
  if (b->tuning)
    vka_vk_tuned_kernel (b, &pc, upsampled, &kernel);
  int scale = upsampled ? 2 : 1;
  guint64 in_values = (guint64) batch * in_channels * (height / scale) * (width / scale);
  guint64 out_values = (guint64) batch * out_channels * height * width;
  return vka_vk_kernel_name (kernel_that_runs (b, kernel, in_values, out_values,
                                               out_channels));
}

static gboolean
vk_conv2d (VkaBackend *backend, VkaTensor *in, VkaTensor *weight, VkaTensor *bias,
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
      VkaVkBuffer *bufs[] = { buf_of (in), buf_of (weight), buf_of (bias), buf_of (out) };
      /* conv1x1: one invocation per output value */
      return vka_vk_dispatch (vkb (backend), VKA_SHADER_CONV1X1, bufs, &pc,
                              CEIL_DIV (in->w, 8), CEIL_DIV (in->h, 8),
                              (guint32) (out->n * out->c), error);
    }
  return conv3x3 (vkb (backend), FALSE, in, weight, bias, out, &pc, error);
}

static gboolean
vk_conv3x3_upsampled (VkaBackend *backend, VkaTensor *in, VkaTensor *weight,
                      VkaTensor *bias, gboolean relu, VkaTensor *out, GError **error)
{
  if (!vka_check_conv3x3_upsampled (in, weight, bias, out, error))
    return FALSE;
  /* the push constants describe the convolution: the output's size */
  VkaPushConv pc = {
    .batch = in->n, .in_channels = in->c, .out_channels = out->c,
    .height = out->h, .width = out->w, .relu = relu ? 1 : 0,
  };
  return conv3x3 (vkb (backend), TRUE, in, weight, bias, out, &pc, error);
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
  VkaVkBuffer *bufs[] = { buf_of (in), buf_of (out) };
  /* one invocation per output value */
  return vka_vk_dispatch (vkb (backend), kernel, bufs, &pc, CEIL_DIV (out->w, 8),
                          CEIL_DIV (out->h, 8), pc.planes, error);
}

static gboolean
vk_maxpool2x2 (VkaBackend *backend, VkaTensor *in, VkaTensor *out, GError **error)
{
  return vka_check_maxpool2x2 (in, out, error)
      && resample (backend, VKA_SHADER_MAXPOOL2X2_CEIL, in, out, error);
}

static gboolean
vk_upsample2x (VkaBackend *backend, VkaTensor *in, VkaTensor *out, GError **error)
{
  return vka_check_upsample2x (in, out, error)
      && resample (backend, VKA_SHADER_UPSAMPLE2X, in, out, error);
}

/* Pixels each stats_partial workgroup reduces: 64 threads × 256 iterations. */
#define STATS_CHUNK (64 * 256)

static gboolean
vk_channel_stats (VkaBackend *backend, VkaTensor *in, VkaTensor *stats, GError **error)
{
  if (!vka_check_channel_stats (in, stats, error))
    return FALSE;
  guint32 pixels = (guint32) in->h * (guint32) in->w;
  VkaPushStats pc = {
    .planes = in->n * in->c,
    .pixels = pixels,
    .chunk = STATS_CHUNK,
    .n_chunks = CEIL_DIV (pixels, STATS_CHUNK),
  };
  /* partials: (mean, M2) per plane and chunk */
  g_autoptr (VkaTensor) partial = vka_tensor_new (backend, 1, pc.planes, pc.n_chunks, 2,
                                                  error);
  if (!partial)
    return FALSE;
  VkaVkBuffer *pass1[] = { buf_of (in), buf_of (partial) };
  VkaVkBuffer *pass2[] = { buf_of (partial), buf_of (stats) };
  /* stats_partial: workgroup per (chunk, plane); stats_final: one per plane */
  return vka_vk_dispatch (vkb (backend), VKA_SHADER_STATS_PARTIAL, pass1, &pc,
                          pc.n_chunks, pc.planes, 1, error)
      && vka_vk_dispatch (vkb (backend), VKA_SHADER_STATS_FINAL, pass2, &pc,
                          pc.planes, 1, 1, error);
}

static gboolean
vk_adain (VkaBackend *backend, VkaTensor *x, VkaTensor *x_stats, VkaTensor *target_stats,
          float alpha, VkaTensor *out, GError **error)
{
  if (!vka_check_adain (x, x_stats, target_stats, out, error))
    return FALSE;
  VkaPushAdain pc = {
    .batch = x->n, .channels = x->c,
    .pixels = (guint32) x->h * (guint32) x->w, .alpha = alpha,
  };
  VkaVkBuffer *bufs[] = { buf_of (x), buf_of (x_stats), buf_of (target_stats),
                          buf_of (out) };
  /* adain: 256 pixels per workgroup, one row of workgroups per plane */
  return vka_vk_dispatch (vkb (backend), VKA_SHADER_ADAIN, bufs, &pc,
                          CEIL_DIV (pc.pixels, 256), pc.batch * pc.channels, 1, error);
}

static gboolean
vk_image_to_tensor (VkaBackend *backend, VkaTensor *image, int channels, VkaTensor *out,
                    GError **error)
{
  if (!vka_check_image_to_tensor (image, channels, out, error))
    return FALSE;
  VkaPushImage pc = {
    .image_width = out->w, .image_height = out->h, .image_channels = channels,
    .tensor_width = out->w, .tensor_height = out->h,
  };
  VkaVkBuffer *bufs[] = { buf_of (image), buf_of (out) };
  /* image_to_tensor: one invocation per pixel */
  return vka_vk_dispatch (vkb (backend), VKA_SHADER_IMAGE_TO_TENSOR, bufs, &pc,
                          CEIL_DIV (out->w, 16), CEIL_DIV (out->h, 16), 1, error);
}

static gboolean
vk_tensor_to_image (VkaBackend *backend, VkaTensor *in, int y0, int x0, VkaTensor *image,
                    GError **error)
{
  if (!vka_check_tensor_to_image (in, y0, x0, image, error))
    return FALSE;
  VkaPushImage pc = {
    .image_width = image->w / 3, .image_height = image->h, .image_channels = 3,
    .tensor_width = in->w, .tensor_height = in->h, .origin_x = x0, .origin_y = y0,
  };
  VkaVkBuffer *bufs[] = { buf_of (in), buf_of (image) };
  /* tensor_to_image: one invocation per pixel */
  return vka_vk_dispatch (vkb (backend), VKA_SHADER_TENSOR_TO_IMAGE, bufs, &pc,
                          CEIL_DIV (pc.image_width, 16), CEIL_DIV (pc.image_height, 16),
                          1, error);
}

static gboolean
vk_mask_blend (VkaBackend *backend, VkaTensor *a, VkaTensor *b, VkaTensor *mask,
               VkaTensor *out, GError **error)
{
  if (!vka_check_mask_blend (a, b, mask, out, error))
    return FALSE;
  VkaPushBlend pc = {
    .batch = a->n, .channels = a->c, .pixels = (guint32) a->h * (guint32) a->w,
  };
  VkaVkBuffer *bufs[] = { buf_of (a), buf_of (b), buf_of (mask), buf_of (out) };
  /* mask_blend: 256 pixels per workgroup, one row of workgroups per plane */
  return vka_vk_dispatch (vkb (backend), VKA_SHADER_MASK_BLEND, bufs, &pc,
                          CEIL_DIV (pc.pixels, 256), pc.batch * pc.channels, 1, error);
}

/* ---- training ops ---- */

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
  VkaVkBuffer *packed = pack_once (b, weight, &((VkaVkTensor *) weight)->packed_backward,
                                   VKA_SHADER_CONV3X3_PACK_FULL, VKA_CONV3X3_TCO, 9,
                                   sizeof (float), &pc, error);
  if (!packed)
    return FALSE;
  g_autoptr (VkaTensor) padded = vka_tensor_new (din->backend, din->n, din->c, din->h + 2,
                                                 din->w + 2, error);
  if (!padded)
    return FALSE;
  VkaVkBuffer *full[] = { buf_of (dout), packed, buf_of (padded) };
  VkaVkBuffer *fold[] = { buf_of (padded), buf_of (din) };
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

static gboolean
vk_conv2d_backward_data (VkaBackend *backend, VkaTensor *dout, VkaTensor *weight,
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
      VkaVkBuffer *bufs[] = { buf_of (dout), buf_of (weight), buf_of (din) };
      /* conv1x1_backward_data: one invocation per input-gradient value */
      return vka_vk_dispatch (vkb (backend), VKA_SHADER_CONV1X1_BACKWARD_DATA, bufs, &pc,
                              CEIL_DIV (din->w, 8), CEIL_DIV (din->h, 8),
                              (guint32) (din->n * din->c), error);
    }
  return conv3x3_backward_data (vkb (backend), dout, weight, din, error);
}

/* Pixels (of N·H·W) per partial sum of the weight gradient. */
#define CONV_GRAD_CHUNK 4096

static gboolean
vk_conv3x3_backward_weight (VkaBackend *backend, VkaTensor *in, VkaTensor *dout,
                            VkaTensor *dweight, VkaTensor *dbias, GError **error)
{
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
  VkaVkBuffer *pass1[] = { buf_of (in), buf_of (dout), buf_of (partial) };
  VkaVkBuffer *pass2[] = { buf_of (partial), buf_of (dweight), buf_of (dbias) };
  /* _partial: an invocation per 16 output channels × 1 input channel and chunk (its
   * TCO × TCI); _final: one per gradient */
  guint32 blocks = CEIL_DIV (pc.out_channels, 16) * CEIL_DIV (pc.in_channels, 1);
  /* texel buffers on the direct variant (tensors are sized for them there) */
  VkaShaderId partial_kernel = vkb (backend)->conv3x3 == VKA_VK_CONV3X3_DIRECT
                                 ? VKA_SHADER_CONV3X3_BACKWARD_WEIGHT_PARTIAL_TEXELS
                                 : VKA_SHADER_CONV3X3_BACKWARD_WEIGHT_PARTIAL;
  return vka_vk_dispatch (vkb (backend), partial_kernel, pass1,
                          &pc, CEIL_DIV (blocks, 64), pc.n_chunks, 1, error)
      && vka_vk_dispatch (vkb (backend), VKA_SHADER_CONV3X3_BACKWARD_WEIGHT_FINAL, pass2,
                          &pc, CEIL_DIV (per_chunk, 256), 1, 1, error);
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
  return vka_vk_dispatch (vkb (backend), kernel, bufs, &pc, pc.row / 256, rows, 1, error);
}

static gboolean
vk_relu_backward (VkaBackend *backend, VkaTensor *y, VkaTensor *dy, VkaTensor *dx,
                  GError **error)
{
  if (!vka_check_same_shape ("relu_backward", y, dy, error)
      || !vka_check_same_shape ("relu_backward", y, dx, error))
    return FALSE;
  VkaVkBuffer *bufs[] = { buf_of (y), buf_of (dy), buf_of (dx) };
  /* relu_backward: one invocation per value */
  return elementwise (backend, VKA_SHADER_RELU_BACKWARD, bufs, vka_tensor_numel (y), 0,
                      error);
}

static gboolean
vk_mse_backward (VkaBackend *backend, VkaTensor *a, VkaTensor *b, float scale,
                 VkaTensor *da, GError **error)
{
  if (!vka_check_same_shape ("mse_backward", a, b, error)
      || !vka_check_same_shape ("mse_backward", a, da, error))
    return FALSE;
  VkaVkBuffer *bufs[] = { buf_of (a), buf_of (b), buf_of (da) };
  /* mse_backward: one invocation per value */
  return elementwise (backend, VKA_SHADER_MSE_BACKWARD, bufs, vka_tensor_numel (a), scale,
                      error);
}

static gboolean
vk_maxpool2x2_backward (VkaBackend *backend, VkaTensor *in, VkaTensor *dout,
                        VkaTensor *din, GError **error)
{
  if (!vka_check_maxpool2x2 (in, dout, error)
      || !vka_check_same_shape ("maxpool2x2_backward", in, din, error))
    return FALSE;
  VkaPushResample pc = {
    .planes = in->n * in->c, .in_height = in->h, .in_width = in->w,
    .out_height = dout->h, .out_width = dout->w,
  };
  VkaVkBuffer *bufs[] = { buf_of (in), buf_of (dout), buf_of (din) };
  /* maxpool2x2_backward: one invocation per input pixel */
  return vka_vk_dispatch (vkb (backend), VKA_SHADER_MAXPOOL2X2_BACKWARD, bufs, &pc,
                          CEIL_DIV (in->w, 8), CEIL_DIV (in->h, 8), pc.planes, error);
}

static gboolean
vk_upsample2x_backward (VkaBackend *backend, VkaTensor *dout, VkaTensor *din,
                        GError **error)
{
  if (!vka_check_upsample2x (din, dout, error))
    return FALSE;
  VkaPushResample pc = {
    .planes = din->n * din->c, .in_height = din->h, .in_width = din->w,
    .out_height = dout->h, .out_width = dout->w,
  };
  VkaVkBuffer *bufs[] = { buf_of (dout), buf_of (din) };
  /* upsample2x_backward: one invocation per input pixel */
  return vka_vk_dispatch (vkb (backend), VKA_SHADER_UPSAMPLE2X_BACKWARD, bufs, &pc,
                          CEIL_DIV (din->w, 8), CEIL_DIV (din->h, 8), pc.planes, error);
}

static gboolean
vk_channel_stats_backward (VkaBackend *backend, VkaTensor *in, VkaTensor *stats,
                           VkaTensor *dstats, VkaTensor *din, GError **error)
{
  if (!vka_check_channel_stats (in, stats, error)
      || !vka_check_channel_stats (in, dstats, error)
      || !vka_check_same_shape ("channel_stats_backward", in, din, error))
    return FALSE;
  VkaPushStats pc = {
    .planes = in->n * in->c, .pixels = (guint32) in->h * (guint32) in->w,
  };
  VkaVkBuffer *bufs[] = { buf_of (in), buf_of (stats), buf_of (dstats), buf_of (din) };
  /* channel_stats_backward: 256 pixels per workgroup, a row per plane */
  return vka_vk_dispatch (vkb (backend), VKA_SHADER_CHANNEL_STATS_BACKWARD, bufs, &pc,
                          CEIL_DIV (pc.pixels, 256), pc.planes, 1, error);
}

static gboolean
vk_add (VkaBackend *backend, VkaTensor *a, VkaTensor *b, VkaTensor *out, GError **error)
{
  if (!vka_check_same_shape ("add", a, b, error) || !vka_check_same_shape ("add", a, out, error))
    return FALSE;
  VkaVkBuffer *bufs[] = { buf_of (a), buf_of (b), buf_of (out) };
  /* add: one invocation per value */
  return elementwise (backend, VKA_SHADER_ADD, bufs, vka_tensor_numel (a), 0, error);
}

static gboolean
vk_optimizer_step (VkaBackend *backend, VkaTensor *param, VkaTensor *grad, VkaTensor *m,
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
  VkaVkBuffer *bufs[] = { buf_of (param), buf_of (grad), buf_of (m), buf_of (v) };
  release_packed (vkb (backend), (VkaVkTensor *) param);
  /* optimizer_step: one invocation per parameter */
  return vka_vk_dispatch (vkb (backend), VKA_SHADER_OPTIMIZER_STEP, bufs, &pc, pc.row / 256,
                          rows, 1, error);
}

static guint64
vk_max_tensor_bytes (VkaBackend *backend)
{
  /* a tile's largest activation may take an eighth of the device's memory */
  VkaVkBackend *b = vkb (backend);
  guint64 heap = 0;
  for (guint32 i = 0; i < b->mem_props.memoryHeapCount; i++)
    if (b->mem_props.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT)
      heap = MAX (heap, b->mem_props.memoryHeaps[i].size);
  guint64 hard = vka_vk_max_buffer_bytes (b, NULL);
  return heap > 0 ? MIN (hard, heap / 8) : hard;
}

/* ---- device ---- */

static void
vk_destroy (VkaBackend *backend)
{
  VkaVkBackend *b = vkb (backend);
  if (b->device)
    {
      vka_vk_flush (backend, NULL);
      b->vk->DeviceWaitIdle (b->device);
      for (guint i = 0; i < G_N_ELEMENTS (b->wino_scratch); i++)
        vka_vk_release_later (b, &b->wino_scratch[i]);
      vka_vk_pool_drain (b);
      vka_vk_pool_settle (b);
      vka_vk_pipelines_destroy (b);
      vka_vk_pipeline_cache_save (b);
      vka_vk_commands_destroy (b);
      b->vk->DestroyDevice (b->device, NULL);
    }
  g_ptr_array_unref (b->deferred);
  g_clear_pointer (&b->pool, g_ptr_array_unref);
  g_clear_pointer (&b->dead_views, g_array_unref);
  g_free (b->pipeline_cache_path);
  vka_vk_tuning_close (b);
  g_free (b);
}

static const VkaBackendOps vulkan_ops = {
  .name = "vulkan",
  .destroy = vk_destroy,
  .tensor_new = vk_tensor_new,
  .tensor_free = vk_tensor_free,
  .tensor_write = vk_tensor_write,
  .tensor_read = vk_tensor_read,
  .conv2d = vk_conv2d,
  .maxpool2x2 = vk_maxpool2x2,
  .upsample2x = vk_upsample2x,
  .conv3x3_upsampled = vk_conv3x3_upsampled,
  .channel_stats = vk_channel_stats,
  .adain = vk_adain,
  .image_to_tensor = vk_image_to_tensor,
  .tensor_to_image = vk_tensor_to_image,
  .mask_blend = vk_mask_blend,
  .max_tensor_bytes = vk_max_tensor_bytes,
  .conv2d_backward_data = vk_conv2d_backward_data,
  .conv3x3_backward_weight = vk_conv3x3_backward_weight,
  .relu_backward = vk_relu_backward,
  .maxpool2x2_backward = vk_maxpool2x2_backward,
  .upsample2x_backward = vk_upsample2x_backward,
  .channel_stats_backward = vk_channel_stats_backward,
  .mse_backward = vk_mse_backward,
  .add = vk_add,
  .optimizer_step = vk_optimizer_step,
  .flush = vka_vk_flush,
};

static gboolean
find_compute_queue (VkaVkBackend *b, GError **error)
{
  guint32 n = 0;
  b->vk->GetPhysicalDeviceQueueFamilyProperties (b->physical, &n, NULL);
  g_autofree VkQueueFamilyProperties *families = g_new0 (VkQueueFamilyProperties, MAX (n, 1));
  b->vk->GetPhysicalDeviceQueueFamilyProperties (b->physical, &n, families);
  for (guint32 i = 0; i < n; i++)
    if (families[i].queueFlags & VK_QUEUE_COMPUTE_BIT)
      {
        b->queue_family = i;
        return TRUE;
      }
  g_set_error (error, VKA_ERROR, VKA_ERROR_NO_DEVICE,
               "%s has no compute queue", b->props.deviceName);
  return FALSE;
}

/* $VKA_CONV3X3=direct|gemm|winograd|winograd4 forces a variant for every
 * 3×3 layer (winograd4: F(4,3), or F(2,3) where the fp16 forms are on)
 * (tests run each everywhere). By default GPUs run the GEMM kernel and CPU
 * drivers Winograd F(4,3) for layers of 64 channels or more in and out
 * (where it beats F(2,3), which beats the direct kernel, on lavapipe:
 * bench/RESULTS.md), the direct kernel for the rest.
 * $VKA_WINO_BAND_ROWS (tests) caps a Winograd band at that many rows. */
static gboolean
choose_conv3x3_variant (VkaVkBackend *b, GError **error)
{
  const char *rows = g_getenv ("VKA_WINO_BAND_ROWS");
  b->wino_band_rows = rows ? (int) CLAMP (g_ascii_strtoll (rows, NULL, 10), 0, G_MAXINT) : 0;
  b->wino_min_channels = 1;
  const char *forced = g_getenv ("VKA_CONV3X3");
  if (forced && *forced)
    {
      if (g_str_equal (forced, "direct"))
        b->conv3x3 = VKA_VK_CONV3X3_DIRECT;
      else if (g_str_equal (forced, "gemm"))
        b->conv3x3 = VKA_VK_CONV3X3_GEMM;
      else if (g_str_equal (forced, "winograd"))
        b->conv3x3 = VKA_VK_CONV3X3_WINOGRAD;
      else if (g_str_equal (forced, "winograd4"))
        b->conv3x3 = VKA_VK_CONV3X3_WINOGRAD4;
      else
        {
          g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                       "VKA_CONV3X3 is \"%s\"; it must be \"direct\", \"gemm\", "
                       "\"winograd\" or \"winograd4\"", forced);
          return FALSE;
        }
      return TRUE;
    }
  if (b->props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU)
    {
      b->conv3x3 = VKA_VK_CONV3X3_WINOGRAD4;
      b->wino_min_channels = 64;
    }
  else
    b->conv3x3 = VKA_VK_CONV3X3_GEMM;
  return TRUE;
}

/* What the fp16 forms need of a device: both pack their weights as float16
 * (16-bit storage buffers); Winograd reads its packHalf2x16 scratch through
 * R32G32_UINT texel views; the GEMM kernel's float16 shared tiles need
 * shaderFloat16 (from VK_KHR_shader_float16_int8: the instance asks for
 * Vulkan 1.1). */
typedef struct
{
  gboolean storage_16bit;
  gboolean uint2_texels;
  gboolean float16;         /* shaderFloat16, and its extension is there */
  gboolean storage_needed;  /* what the chosen forms use, for the device */
  gboolean float16_needed;
} Fp16Features;

static gboolean
has_device_extension (VkaVkBackend *b, const char *name)
{
  guint32 n = 0;
  b->vk->EnumerateDeviceExtensionProperties (b->physical, NULL, &n, NULL);
  g_autofree VkExtensionProperties *exts = g_new0 (VkExtensionProperties, MAX (n, 1));
  b->vk->EnumerateDeviceExtensionProperties (b->physical, NULL, &n, exts);
  for (guint32 i = 0; i < n; i++)
    if (g_str_equal (exts[i].extensionName, name))
      return TRUE;
  return FALSE;
}

static void
query_fp16_features (VkaVkBackend *b, Fp16Features *f)
{
  gboolean has_float16_ext = has_device_extension (b,
                                                   VK_KHR_SHADER_FLOAT16_INT8_EXTENSION_NAME);
  VkPhysicalDeviceShaderFloat16Int8Features float16 = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES };
  VkPhysicalDevice16BitStorageFeatures storage = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES,
    .pNext = has_float16_ext ? &float16 : NULL };
  VkPhysicalDeviceFeatures2 features = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, .pNext = &storage };
  b->vk->GetPhysicalDeviceFeatures2 (b->physical, &features);
  VkFormatProperties uint2;
  b->vk->GetPhysicalDeviceFormatProperties (b->physical, VK_FORMAT_R32G32_UINT, &uint2);
  *f = (Fp16Features) {
    .storage_16bit = storage.storageBuffer16BitAccess,
    .uint2_texels = (uint2.bufferFeatures & VK_FORMAT_FEATURE_UNIFORM_TEXEL_BUFFER_BIT) != 0,
    .float16 = has_float16_ext && float16.shaderFloat16,
  };
}

/* $VKA_FP16=0|1 turns the fp16 forms of the Winograd and GEMM kernels off or
 * on (on: an error where the device lacks what they need). The direct
 * kernel has none. By default they are off: on lavapipe Winograd's ran about
 * 10% slower and GEMM's no faster (bench/RESULTS.md), and no GPU has been
 * measured. */
static gboolean
choose_conv3x3_precision (VkaVkBackend *b, Fp16Features *f, GError **error)
{
  const char *forced = g_getenv ("VKA_FP16");
  gboolean wanted = FALSE;
  if (forced && *forced)
    {
      if (!g_str_equal (forced, "0") && !g_str_equal (forced, "1"))
        {
          g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                       "VKA_FP16 is \"%s\"; it must be \"0\" or \"1\"", forced);
          return FALSE;
        }
      wanted = g_str_equal (forced, "1");
    }
  /* a device that measures its kernels may run either */
  gboolean tunes = vka_vk_tuning_wanted (b);
  gboolean gemm = b->conv3x3 == VKA_VK_CONV3X3_GEMM || tunes;
  gboolean winograd = b->conv3x3 == VKA_VK_CONV3X3_WINOGRAD
                      || b->conv3x3 == VKA_VK_CONV3X3_WINOGRAD4 || tunes;
  if (!wanted || (!gemm && !winograd))
    return TRUE;
  query_fp16_features (b, f);
  const char *missing = NULL;
  if (!f->storage_16bit)
    missing = "storageBuffer16BitAccess";
  else if (winograd && !f->uint2_texels)
    missing = "R32G32_UINT uniform texel buffers";
  else if (gemm && !f->float16)
    missing = "shaderFloat16 (VK_KHR_shader_float16_int8)";
  if (missing)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_NO_DEVICE,
                   "VKA_FP16=1, but %s lacks %s, which the fp16 %s needs",
                   b->props.deviceName, missing,
                   gemm && winograd ? "GEMM and Winograd kernels"
                   : gemm ? "GEMM kernel" : "Winograd kernel");
      return FALSE;
    }
  b->conv3x3_fp16 = TRUE;
  f->storage_needed = TRUE;
  f->float16_needed = gemm;
  return TRUE;
}

VkaBackend *
vka_vk_backend_new (VkaVkInstance *inst, int index, gboolean guards, GError **error)
{
  VkaVkBackend *b = g_new0 (VkaVkBackend, 1);
  b->base.ops = &vulkan_ops;
  b->inst = inst;
  b->vk = &inst->vk;
  b->guards = guards;
  const char *limit = g_getenv ("VKA_TEST_ALLOC_LIMIT");
  b->fail_alloc_over = limit ? g_ascii_strtoull (limit, NULL, 10) : 0;
  b->deferred = g_ptr_array_new ();
  b->physical = inst->physical->pdata[index];
  VkaVkFuncs *vk = b->vk;
  VkPhysicalDeviceMaintenance3Properties m3 = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES };
  VkPhysicalDeviceProperties2 props2 = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, .pNext = &m3 };
  vk->GetPhysicalDeviceProperties2 (b->physical, &props2);
  b->props = props2.properties;
  b->max_allocation = m3.maxMemoryAllocationSize;
  vk->GetPhysicalDeviceMemoryProperties (b->physical, &b->mem_props);
  Fp16Features fp16 = { 0 };
  if (!find_compute_queue (b, error) || !choose_conv3x3_variant (b, error)
      || !choose_conv3x3_precision (b, &fp16, error))
    goto fail;

  float priority = 1.0f;
  VkDeviceQueueCreateInfo queue = {
    .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
    .queueFamilyIndex = b->queue_family,
    .queueCount = 1,
    .pQueuePriorities = &priority,
  };
  /* only the features the chosen kernels use */
  VkPhysicalDeviceShaderFloat16Int8Features float16 = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES,
    .shaderFloat16 = VK_TRUE,
  };
  VkPhysicalDevice16BitStorageFeatures storage = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES,
    .pNext = fp16.float16_needed ? &float16 : NULL,
    .storageBuffer16BitAccess = VK_TRUE,
  };
  const char *float16_extension = VK_KHR_SHADER_FLOAT16_INT8_EXTENSION_NAME;
  VkDeviceCreateInfo info = {
    .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
    .pNext = fp16.storage_needed ? &storage : NULL,
    .queueCreateInfoCount = 1,
    .pQueueCreateInfos = &queue,
    .enabledExtensionCount = fp16.float16_needed ? 1 : 0,
    .ppEnabledExtensionNames = &float16_extension,
  };
  if (!vka_vk_check (vk->CreateDevice (b->physical, &info, NULL, &b->device),
                     "creating the device", error))
    goto fail;
#define LOAD_DEVICE(fn) \
  vk->fn = (PFN_vk##fn) vk->GetDeviceProcAddr (b->device, "vk" #fn);
  VKA_VK_DEVICE_FUNCS (LOAD_DEVICE)
#undef LOAD_DEVICE
  vk->GetDeviceQueue (b->device, b->queue_family, 0, &b->queue);
  if (!vka_vk_commands_init (b, error))
    goto fail;
  vka_vk_pipeline_cache_open (b);
  vka_vk_tuning_open (b);
  return &b->base;

fail:
  vk_destroy (&b->base);
  return NULL;
}

guint64
vka_vk_backend_peak_bytes (VkaBackend *backend)
{
  return vkb (backend)->peak_bytes;
}

gboolean
vka_vk_backend_conv3x3_fp16 (VkaBackend *backend)
{
  return vkb (backend)->conv3x3_fp16;
}

guint64
vka_vk_backend_reset_peak (VkaBackend *backend)
{
  VkaVkBackend *b = vkb (backend);
  vka_vk_flush (backend, NULL);
  vka_vk_pool_drain (b);
  b->peak_bytes = b->bytes_allocated;
  return b->bytes_allocated;
}
