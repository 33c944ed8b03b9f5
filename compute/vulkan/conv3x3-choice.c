/* conv3x3-choice.c — which 3×3 kernel each layer runs: the backend's
 * variant (by device, or forced), the kernel measured fastest for the
 * layer's shape when tuning (tuning.c), else the variant's default; then
 * what the layer's tensors and precision allow. */
#include "conv3x3.h"
#include "tensor.h"
#include "vulkan-backend.h"

/* $VKA_CONV3X3=direct|gemm|winograd|winograd4|coopmat forces a variant for
 * every 3×3 layer (winograd4: F(4,3), or F(2,3) where the fp16 forms are
 * on; coopmat: an error where the device or the build lacks it) (tests run
 * each everywhere). By default GPUs run the GEMM kernel and CPU
 * drivers Winograd F(4,3) for layers of 64 channels or more in and out
 * (where it beats F(2,3), which beats the direct kernel, on lavapipe:
 * bench/RESULTS.md), the direct kernel for the rest.
 * $VKA_WINO_BAND_ROWS (tests) caps a Winograd band at that many rows. */
gboolean
vka_vk_conv3x3_choose_variant (VkaVkBackend *b, GError **error)
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
      else if (g_str_equal (forced, "coopmat"))
        b->conv3x3 = VKA_VK_CONV3X3_COOPMAT;
      else
        {
          g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                       "VKA_CONV3X3 is \"%s\"; it must be \"direct\", \"gemm\", "
                       "\"winograd\", \"winograd4\" or \"coopmat\"", forced);
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
  if (b->conv3x3 == VKA_VK_CONV3X3_COOPMAT)
    return VKA_VK_KERNEL_COOPMAT;
  if (b->conv3x3 != VKA_VK_CONV3X3_GEMM)
    return VKA_VK_KERNEL_DIRECT;
  /* 128-channel tiles waste half their work below 65 channels */
  return out_channels <= 64 ? VKA_VK_KERNEL_GEMM4 : VKA_VK_KERNEL_GEMM8;
}

/* The weight tensor's own packing, for kernel: made again when a layer
 * changes kernel (another size measured faster with another). */
static VkaVkBuffer *
packed_weights (VkaVkBackend *b, VkaTensor *weight, VkaVkConv3x3Kernel kernel,
                const VkaPushConv *pc, GError **error)
{
  VkaVkTensor *t = vka_vk_tensor (weight);
  if (t->packed.buffer && t->packed_for != kernel)
    vka_vk_buffer_release (b, &t->packed);
  t->packed_for = kernel;
  return vka_vk_conv3x3_pack (b, kernel, weight, pc, &t->packed, error) ? &t->packed : NULL;
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
  if (!vka_vk_conv3x3_fits (b, kernel, in_values, out_values))
    kernel = out_channels <= 64 ? VKA_VK_KERNEL_GEMM4 : VKA_VK_KERNEL_GEMM8;
  return kernel;
}

gboolean
vka_vk_conv3x3_run (VkaVkBackend *b, gboolean upsampled, VkaTensor *in, VkaTensor *weight,
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
  VkaVkBackend *b = vka_vk_backend (backend);
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
