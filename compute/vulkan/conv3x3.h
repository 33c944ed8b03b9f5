/* conv3x3.h — the Vulkan backend's 3×3 convolutions, in three layers that
 * call only downwards:
 *   conv3x3-choice.c  which kernel a layer runs (variant, tuning, defaults)
 *   tuning.c          the kernels timed on the device, kept in a file
 *   conv3x3.c         each kernel on its own: packing, limits, dispatch
 *                     (winograd.c: the Winograd kernels' bands) */
#pragma once

#include "vk-private.h"

/* ---- conv3x3.c ---- */

const char *vka_vk_kernel_name (VkaVkConv3x3Kernel kernel);
/* The weights (Cout, Cin, 3, 3) packed by the shader pack into *packed (in
 * groups of tco output channels, taps values of value_bytes per channel
 * pair), unless *packed is made already; NULL on failure. */
VkaVkBuffer *vka_vk_conv3x3_pack_weights (VkaVkBackend *b, VkaTensor *weight,
                                          VkaVkBuffer *packed, VkaShaderId pack, int tco,
                                          int taps, gsize value_bytes,
                                          const VkaPushConv *pc, GError **error);
/* The weights packed for a kernel into an empty buffer. */
gboolean    vka_vk_conv3x3_pack (VkaVkBackend *b, VkaVkConv3x3Kernel kernel,
                                 VkaTensor *weight, const VkaPushConv *pc,
                                 VkaVkBuffer *packed, GError **error);
/* Whether the kernel can bind an input and an output of these many values. */
gboolean    vka_vk_conv3x3_fits (VkaVkBackend *b, VkaVkConv3x3Kernel kernel,
                                 guint64 in_values, guint64 out_values);
/* One convolution by kernel, the grid over out (upsampled: in is half
 * out's size, read as if upsampled ×2 (nearest) first). */
gboolean    vka_vk_conv3x3_dispatch (VkaVkBackend *b, VkaVkConv3x3Kernel kernel,
                                     gboolean upsampled, VkaTensor *in, VkaVkBuffer *packed,
                                     VkaTensor *bias, VkaTensor *out, const VkaPushConv *pc,
                                     GError **error);

/* ---- winograd.c ----
 * A 3×3 convolution (reflection padding, bias, optional ReLU) as Winograd
 * F(2,3), or F(4,3) where wino4 (float32 only), with weights packed by
 * conv3x3_wino_pack (conv3x3_wino4_pack); upsampled as above. */
gboolean    vka_vk_conv3x3_winograd (VkaVkBackend *b, VkaVkBuffer *in, VkaVkBuffer *packed,
                                     VkaVkBuffer *bias, VkaVkBuffer *out,
                                     const VkaPushConv *conv, gboolean upsampled,
                                     gboolean wino4, GError **error);

/* ---- tuning.c ----
 * The 3×3 kernel for each layer shape measured on the device, kept in a
 * file per device and driver in the user's cache. Tuning is on for GPUs
 * (off for CPU drivers, where the defaults were measured by hand);
 * $VKA_TUNE=0|1 turns it off or on, and a forced $VKA_CONV3X3 turns it off. */
gboolean    vka_vk_tuning_wanted (VkaVkBackend *b);
void        vka_vk_tuning_open (VkaVkBackend *b);
void        vka_vk_tuning_close (VkaVkBackend *b);
/* The kernel measured for a convolution of pc's shape, if any. */
gboolean    vka_vk_tuned_kernel (VkaVkBackend *b, const VkaPushConv *pc, gboolean upsampled,
                                 VkaVkConv3x3Kernel *kernel);
/* Times every kernel that fits on this very convolution (finishing the
 * queued work first), keeps the fastest in the tuning file and returns it. */
gboolean    vka_vk_tune_conv3x3 (VkaVkBackend *b, gboolean upsampled, VkaTensor *in,
                                 VkaTensor *weight, VkaTensor *bias, VkaTensor *out,
                                 const VkaPushConv *pc, VkaVkConv3x3Kernel *kernel,
                                 GError **error);

/* ---- conv3x3-choice.c ---- */

/* The variant (b->conv3x3) for the device, or the one $VKA_CONV3X3 forces. */
gboolean    vka_vk_conv3x3_choose_variant (VkaVkBackend *b, GError **error);
/* A 3×3 convolution by the kernel measured fastest for its shape on this
 * device (measuring the candidates first when tuning and the shape is new),
 * else by the backend's variant; the weights packed for it on first use. */
gboolean    vka_vk_conv3x3_run (VkaVkBackend *b, gboolean upsampled, VkaTensor *in,
                                VkaTensor *weight, VkaTensor *bias, VkaTensor *out,
                                const VkaPushConv *pc, GError **error);
