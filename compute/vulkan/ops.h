/* ops.h — the Vulkan backend's record functions (ops.c: forward,
 * train-ops.c: training), which backend.c puts in its op table; each does
 * what backend.h says of the op of that name. */
#pragma once

#include "vk-private.h"

/* ---- ops.c ---- */
gboolean vka_vk_conv2d (VkaBackend *backend, VkaTensor *in, VkaTensor *weight,
                        VkaTensor *bias, gboolean relu, VkaTensor *out, GError **error);
gboolean vka_vk_conv3x3_upsampled (VkaBackend *backend, VkaTensor *in, VkaTensor *weight,
                                   VkaTensor *bias, gboolean relu, VkaTensor *out,
                                   GError **error);
gboolean vka_vk_maxpool2x2 (VkaBackend *backend, VkaTensor *in, VkaTensor *out,
                            GError **error);
gboolean vka_vk_upsample2x (VkaBackend *backend, VkaTensor *in, VkaTensor *out,
                            GError **error);
gboolean vka_vk_upsample2x_bilinear (VkaBackend *backend, VkaTensor *in, VkaTensor *out,
                                     GError **error);
gboolean vka_vk_channel_stats (VkaBackend *backend, VkaTensor *in, VkaTensor *stats,
                               GError **error);
gboolean vka_vk_channel_moments (VkaBackend *backend, VkaTensor *in, int y0, int x0, int h,
                                 int w, VkaTensor *moments, GError **error);
gboolean vka_vk_adain (VkaBackend *backend, VkaTensor *x, VkaTensor *x_stats,
                       VkaTensor *target_stats, float alpha, VkaTensor *out,
                       GError **error);
gboolean vka_vk_image_to_tensor (VkaBackend *backend, VkaTensor *image, int channels,
                                 VkaTensor *out, GError **error);
gboolean vka_vk_tensor_to_image (VkaBackend *backend, VkaTensor *in, int y0, int x0,
                                 VkaTensor *image, GError **error);
gboolean vka_vk_mask_blend (VkaBackend *backend, VkaTensor *a, VkaTensor *b,
                            VkaTensor *mask, VkaTensor *out, GError **error);

/* ---- train-ops.c ---- */
gboolean vka_vk_conv2d_backward_data (VkaBackend *backend, VkaTensor *dout,
                                      VkaTensor *weight, VkaTensor *din, GError **error);
gboolean vka_vk_conv3x3_backward_weight (VkaBackend *backend, VkaTensor *in,
                                         VkaTensor *dout, VkaTensor *dweight,
                                         VkaTensor *dbias, GError **error);
gboolean vka_vk_relu_backward (VkaBackend *backend, VkaTensor *y, VkaTensor *dy,
                               VkaTensor *dx, GError **error);
gboolean vka_vk_mse_backward (VkaBackend *backend, VkaTensor *a, VkaTensor *b, float scale,
                              VkaTensor *da, GError **error);
gboolean vka_vk_maxpool2x2_backward (VkaBackend *backend, VkaTensor *in, VkaTensor *dout,
                                     VkaTensor *din, GError **error);
gboolean vka_vk_upsample2x_backward (VkaBackend *backend, VkaTensor *dout, VkaTensor *din,
                                     GError **error);
gboolean vka_vk_upsample2x_bilinear_backward (VkaBackend *backend, VkaTensor *dout,
                                              VkaTensor *din, GError **error);
gboolean vka_vk_channel_stats_backward (VkaBackend *backend, VkaTensor *in,
                                        VkaTensor *stats, VkaTensor *dstats,
                                        VkaTensor *din, GError **error);
gboolean vka_vk_add (VkaBackend *backend, VkaTensor *a, VkaTensor *b, VkaTensor *out,
                     GError **error);
gboolean vka_vk_optimizer_step (VkaBackend *backend, VkaTensor *param, VkaTensor *grad,
                                VkaTensor *m, VkaTensor *v, const VkaOptimizer *opt,
                                int step, GError **error);
