/* cpu-private.h — the oneDNN CPU backend's internal types (private to
 * compute/cpu/).
 *
 * A tensor's value is NCHW float32 as everywhere; its storage takes one of
 * two layouts and changes between them on demand:
 *   PLAIN   dim(n, c, h, w), dense NCHW: what tensor_read/write, statistics,
 *           AdaIN and the image ops see;
 *   PADDED  oneDNN's nChw16c over dim(n, ⌈c/16⌉·16, h+2, w+2): channel blocks
 *           of 16 floats per pixel and a one-pixel border that holds the
 *           reflection of the interior, so that a 3×3 convolution with
 *           reflection padding is oneDNN's convolution with no padding.
 *           Channels past c are zero (oneDNN's rule for padded blocks).
 * Convolutions, pooling and upsampling read and write PADDED, so the network
 * stays in one layout from the first convolution to the last. */
#pragma once

#include "backend.h"
#include "cpu-backend.h"
#include "dnnl-compat.h"

#define VKA_CPU_BLOCK 16

typedef enum
{
  VKA_CPU_PLAIN,
  VKA_CPU_PADDED,
} VkaCpuLayout;

typedef struct
{
  VkaTensor     base;
  VkaCpuLayout  layout;
  float        *data;      /* NULL until first used: the value is all zeros */
  gsize         bytes;
  GPtrArray    *packed;    /* VkaCpuPacked*: this tensor as conv weights, per layout */
} VkaCpuTensor;

typedef struct
{
  VkaMd  md;
  float *data;
} VkaCpuPacked;

typedef struct
{
  VkaBackend     base;
  dnnl_engine_t  engine;
  dnnl_stream_t  stream;
  int            threads;
  GHashTable    *plans;            /* shape key → VkaCpuConvPlan* */
  guint64        bytes_allocated;
  guint64        peak_bytes;
  guint64        fail_alloc_over;  /* tests: refuse tensors larger than this */
  GQueue         spare;            /* VkaCpuSpare*: freed storage kept for reuse */
} VkaCpuBackend;

/* Freed storage kept for the next tensor of about its size: a fresh large
 * allocation is a fresh mmap, and touching its pages costs as much as a
 * layer's pooling or upsampling. */
typedef struct
{
  float *data;
  gsize  bytes;
} VkaCpuSpare;

#define VKA_CPU_MAX_SPARES 24

static inline VkaCpuTensor *
vka_cpu_tensor (VkaTensor *t)
{
  return (VkaCpuTensor *) t;
}

static inline int
vka_cpu_blocks (int c)
{
  return (c + VKA_CPU_BLOCK - 1) / VKA_CPU_BLOCK;
}

/* backend.c */
/* Host memory through the spare list; floats, not bytes. */
float   *vka_cpu_storage_alloc (VkaCpuBackend *b, gsize floats, GError **error);
void     vka_cpu_storage_free (VkaCpuBackend *b, float *data, gsize floats);
gboolean vka_cpu_tensor_set_layout (VkaCpuTensor *t, VkaCpuLayout layout, gboolean keep,
                                    GError **error);
void     vka_cpu_fill_border (VkaCpuTensor *t);
gboolean vka_cpu_dnnl_check (dnnl_status_t s, const char *what, GError **error);

/* conv.c */
gboolean vka_cpu_conv2d (VkaBackend *backend, VkaTensor *in, VkaTensor *weight,
                         VkaTensor *bias, gboolean relu, VkaTensor *out, GError **error);
void     vka_cpu_plan_free (gpointer plan);
void     vka_cpu_packed_free (gpointer packed);
