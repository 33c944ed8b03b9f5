/* tensor.h — the Vulkan backend's tensors (tensor.c): a device buffer, and
 * for convolution weights their packed forms, made on first use. */
#pragma once

#include "vk-private.h"

typedef struct
{
  VkaTensor   base;
  VkaVkBuffer buf;           /* dim(n, c, h, w) float32 */
  VkaVkBuffer packed;        /* conv weights repacked for packed_for, or empty */
  VkaVkConv3x3Kernel packed_for;
  VkaVkBuffer packed_backward;  /* ... and for its backward-data convolution */
} VkaVkTensor;

static inline VkaVkTensor *
vka_vk_tensor (VkaTensor *t)
{
  return (VkaVkTensor *) t;
}

static inline VkaVkBuffer *
vka_vk_buf (VkaTensor *t)
{
  return &vka_vk_tensor (t)->buf;
}

/* The op table's tensor entries. */
VkaTensor *vka_vk_tensor_new (VkaBackend *backend, int n, int c, int h, int w,
                              GError **error);
void       vka_vk_tensor_free (VkaTensor *tensor);
gboolean   vka_vk_tensor_write (VkaTensor *tensor, const float *src, GError **error);
gboolean   vka_vk_tensor_read (VkaTensor *tensor, float *dst, GError **error);
VkaPendingRead *vka_vk_tensor_read_begin (VkaTensor *tensor, GError **error);
gboolean   vka_vk_tensor_read_end (VkaPendingRead *read, float *dst, GError **error);
/* Drops the packed weights: stale once the values change. */
void       vka_vk_tensor_release_packed (VkaTensor *tensor);
