/* conv3x3.c — the 3×3 convolution kernels, each on its own: how it packs
 * the weights, whether it can bind a layer's tensors, and its dispatch.
 * Which one a layer runs is conv3x3-choice.c's business. The kernels:
 * conv3x3_reflect (direct: texel buffers, registers only), conv3x3_gemm
 * (shared-memory tiles of 64 or 128 output channels; for GPUs), Winograd
 * F(2,3) and F(4,3) (winograd.c), cooperative matrices (coopmat.c). */
#include "conv3x3.h"
#include "coopmat.h"
#include "tensor.h"

static const char *const kernel_names[VKA_VK_KERNEL_COUNT] = {
  [VKA_VK_KERNEL_DIRECT] = "direct",
  [VKA_VK_KERNEL_GEMM4] = "gemm4",
  [VKA_VK_KERNEL_GEMM8] = "gemm8",
  [VKA_VK_KERNEL_WINOGRAD] = "winograd",
  [VKA_VK_KERNEL_WINOGRAD4] = "winograd4",
  [VKA_VK_KERNEL_COOPMAT] = "coopmat",
};

const char *
vka_vk_kernel_name (VkaVkConv3x3Kernel kernel)
{
  return kernel < VKA_VK_KERNEL_COUNT ? kernel_names[kernel] : "?";
}

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

VkaVkBuffer *
vka_vk_conv3x3_pack_weights (VkaVkBackend *b, VkaTensor *weight, VkaVkBuffer *packed,
                             VkaShaderId pack, int tco, int taps, gsize value_bytes,
                             const VkaPushConv *pc, GError **error)
{
  if (packed->buffer)
    return packed;
  guint64 n = (guint64) CEIL_DIV (pc->out_channels, tco) * tco * pc->in_channels * taps;
  if (!vka_vk_buffer_alloc (b, n * value_bytes, b->guards, packed, error))
    return NULL;
  VkaVkBuffer *bufs[] = { vka_vk_buf (weight), packed };
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
  if (kernel == VKA_VK_KERNEL_COOPMAT)
    return vka_vk_coopmat_pack (b, weight, pc, packed, error);
  Conv3x3Plan plan = plan_of (b, kernel);
  return vka_vk_conv3x3_pack_weights (b, weight, packed, plan.pack, plan.tco, plan.taps,
                                      plan.value_bytes, pc, error) != NULL;
}

gboolean
vka_vk_conv3x3_fits (VkaVkBackend *b, VkaVkConv3x3Kernel kernel, guint64 in_values,
                     guint64 out_values)
{
  if (kernel == VKA_VK_KERNEL_GEMM4 || kernel == VKA_VK_KERNEL_GEMM8)
    return TRUE;
  /* storage buffers, where the device runs it */
  if (kernel == VKA_VK_KERNEL_COOPMAT)
    return b->coopmat != NULL;
  /* F(4,3) has no fp16 form: with fp16 on it is no candidate */
  if (kernel == VKA_VK_KERNEL_WINOGRAD4 && b->conv3x3_fp16)
    return FALSE;
  /* the direct and Winograd kernels read tensors as texel buffers */
  guint64 texels = b->props.limits.maxTexelBufferElements;
  return in_values <= texels && out_values <= texels;
}

gboolean
vka_vk_conv3x3_dispatch (VkaVkBackend *b, VkaVkConv3x3Kernel kernel, gboolean upsampled,
                         VkaTensor *in, VkaVkBuffer *packed, VkaTensor *bias,
                         VkaTensor *out, const VkaPushConv *pc, GError **error)
{
  if (kernel == VKA_VK_KERNEL_COOPMAT)
    return vka_vk_coopmat_dispatch (b, upsampled, in, packed, bias, out, pc, error);
  Conv3x3Plan plan = plan_of (b, kernel);
  if (kernel == VKA_VK_KERNEL_WINOGRAD || kernel == VKA_VK_KERNEL_WINOGRAD4)
    return vka_vk_conv3x3_winograd (b, vka_vk_buf (in), packed, vka_vk_buf (bias),
                                    vka_vk_buf (out), pc, upsampled,
                                    kernel == VKA_VK_KERNEL_WINOGRAD4, error);
  VkaShaderId shader = upsampled ? plan.upsampled : plan.kernel;
  VkaVkBuffer *bufs[] = { vka_vk_buf (in), packed, vka_vk_buf (bias), vka_vk_buf (out) };
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
