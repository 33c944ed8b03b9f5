/* weights-private.h — shared by the weight-file readers in compute/weights/.
 * Not installed; nothing outside compute/weights/ includes it. */
#pragma once

#include "vka.h"

G_BEGIN_DECLS

/* Element types found in weight files. Only the float ones become tensors;
 * integer tensors (e.g. BatchNorm's num_batches_tracked) are skipped. */
typedef enum
{
  VKA_DTYPE_F32,
  VKA_DTYPE_F16,
  VKA_DTYPE_BF16,
  VKA_DTYPE_F64,
  VKA_DTYPE_I64,
  VKA_DTYPE_I32,
  VKA_DTYPE_I16,
  VKA_DTYPE_I8,
  VKA_DTYPE_U8,
  VKA_DTYPE_BOOL,
} VkaDtype;

gsize        vka_dtype_size (VkaDtype dtype);
gboolean     vka_dtype_is_float (VkaDtype dtype);

/* Most dimensions a tensor may have while it is parsed (VKA_MAX_DIMS is
 * enforced when it is stored). */
#define VKA_PARSE_MAX_DIMS 8

/* A strided view into raw little-endian storage bytes, as the formats
 * describe tensors. offset and strides are in elements. */
typedef struct
{
  const guint8 *storage;       /* first byte of the storage */
  gsize         storage_bytes; /* bytes available from storage */
  VkaDtype      dtype;
  gint64        offset;
  int           ndim;
  gint64        size[VKA_PARSE_MAX_DIMS];
  gint64        stride[VKA_PARSE_MAX_DIMS];
} VkaStridedTensor;

/* Output budget: how many bytes of float32 the readers may still allocate.
 * Starts at a small multiple of the file size, so a file can never make us
 * allocate much more than it holds (e.g. many tensors sharing one storage). */
typedef struct
{
  gsize bytes_left;
} VkaBudget;

void     vka_budget_init (VkaBudget *budget, gsize file_size);

/* Checks the view against its storage (sizes, strides, offset, overflow),
 * then gathers it into a new C-contiguous float32 array and inserts it into
 * weights under name. */
gboolean vka_strided_tensor_insert (const VkaStridedTensor *tensor,
                                    VkaWeights *weights, const char *name,
                                    VkaBudget *budget, const char *display_name,
                                    GError **error);

/* Little-endian readers on unaligned bytes. */
static inline guint16
vka_read_u16 (const guint8 *p)
{
  return (guint16) (p[0] | (p[1] << 8));
}

static inline guint32
vka_read_u32 (const guint8 *p)
{
  return (guint32) p[0] | ((guint32) p[1] << 8) | ((guint32) p[2] << 16) |
         ((guint32) p[3] << 24);
}

static inline guint64
vka_read_u64 (const guint8 *p)
{
  return (guint64) vka_read_u32 (p) | ((guint64) vka_read_u32 (p + 4) << 32);
}

/* Writes size bytes to a temporary file in path's folder, syncs it and
 * renames it over path, so a reader never sees half a file. Errors are
 * VKA_ERROR_IO naming display_name. */
gboolean vka_weights_write_file (const char *path, const guint8 *data, gsize size,
                                 const char *display_name, GError **error);

/* Copies a tensor's floats to dst as little-endian float32; returns the
 * byte after them. */
guint8  *vka_weights_put_f32_le (guint8 *dst, const VkaTensorData *tensor);

/* The format readers. data/size is the whole file. */
VkaWeights *vka_pth_zip_load (const guint8 *data, gsize size,
                              const char *display_name, GError **error);
VkaWeights *vka_pth_legacy_load (const guint8 *data, gsize size,
                                 const char *display_name, GError **error);
VkaWeights *vka_torch7_load (const guint8 *data, gsize size,
                             const char *display_name, GError **error);
VkaWeights *vka_safetensors_load (const guint8 *data, gsize size,
                                  const char *display_name, GError **error);

G_END_DECLS
