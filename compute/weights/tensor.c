/* tensor.c — turn a strided view of file bytes into a contiguous float32
 * tensor: bounds and overflow checks, dtype conversion (f32, f16, bf16, f64). */
#include "weights-private.h"

#include <string.h>

gsize
vka_dtype_size (VkaDtype dtype)
{
  switch (dtype)
    {
    case VKA_DTYPE_F64:
    case VKA_DTYPE_I64:
      return 8;
    case VKA_DTYPE_F32:
    case VKA_DTYPE_I32:
      return 4;
    case VKA_DTYPE_F16:
    case VKA_DTYPE_BF16:
    case VKA_DTYPE_I16:
      return 2;
    case VKA_DTYPE_I8:
    case VKA_DTYPE_U8:
    case VKA_DTYPE_BOOL:
      return 1;
    }
  return 1;
}

gboolean
vka_dtype_is_float (VkaDtype dtype)
{
  return dtype == VKA_DTYPE_F32 || dtype == VKA_DTYPE_F16 ||
         dtype == VKA_DTYPE_BF16 || dtype == VKA_DTYPE_F64;
}

void
vka_budget_init (VkaBudget *budget, gsize file_size)
{
  /* float16 data doubles in size as float32; allow twice that for slack. */
  if (file_size > G_MAXSIZE / 4 - 65536)
    budget->bytes_left = G_MAXSIZE;
  else
    budget->bytes_left = file_size * 4 + 65536;
}

static float
half_to_float (guint16 h)
{
  guint32 sign = (guint32) (h & 0x8000) << 16;
  guint32 exp = (h >> 10) & 0x1f;
  guint32 mant = h & 0x3ff;
  guint32 bits;

  if (exp == 0x1f)
    bits = sign | 0x7f800000 | (mant << 13);          /* inf / nan */
  else if (exp != 0)
    bits = sign | ((exp + 112) << 23) | (mant << 13);  /* normal */
  else if (mant == 0)
    bits = sign;                                       /* zero */
  else
    {
      /* subnormal: normalise the mantissa */
      int e = -1;
      do
        {
          e++;
          mant <<= 1;
        }
      while ((mant & 0x400) == 0);
      bits = sign | ((guint32) (112 - e) << 23) | ((mant & 0x3ff) << 13);
    }
  float f;
  memcpy (&f, &bits, sizeof f);
  return f;
}

static float
element_to_float (const guint8 *p, VkaDtype dtype)
{
  guint32 u32;
  guint64 u64;
  float f;
  double d;

  switch (dtype)
    {
    case VKA_DTYPE_F32:
      u32 = vka_read_u32 (p);
      memcpy (&f, &u32, sizeof f);
      return f;
    case VKA_DTYPE_F16:
      return half_to_float (vka_read_u16 (p));
    case VKA_DTYPE_BF16:
      u32 = (guint32) vka_read_u16 (p) << 16;
      memcpy (&f, &u32, sizeof f);
      return f;
    case VKA_DTYPE_F64:
      u64 = vka_read_u64 (p);
      memcpy (&d, &u64, sizeof d);
      return (float) d;
    default:
      return 0.0f;
    }
}

static gboolean
fail (GError **error, const char *display_name, const char *name,
      const char *what)
{
  g_set_error (error, VKA_ERROR, VKA_ERROR_FILE_FORMAT, "%s: tensor %s: %s",
               display_name, name, what);
  return FALSE;
}

gboolean
vka_strided_tensor_insert (const VkaStridedTensor *t, VkaWeights *weights,
                           const char *name, VkaBudget *budget,
                           const char *display_name, GError **error)
{
  if (!vka_dtype_is_float (t->dtype))
    return fail (error, display_name, name, "not a float tensor");
  if (t->ndim < 0 || t->ndim > VKA_MAX_DIMS)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_FILE_FORMAT,
                   "%s: tensor %s has %d dimensions; at most %d are supported",
                   display_name, name, t->ndim, VKA_MAX_DIMS);
      return FALSE;
    }

  gsize esize = vka_dtype_size (t->dtype);
  gint64 elements = (gint64) MIN (t->storage_bytes / esize, (gsize) G_MAXINT64);
  gint64 numel = 1;
  gint64 nonzero_numel = 1;  /* a zero size must not hide an overflowing one */
  gint64 last = t->offset;   /* index of the last element read */

  if (t->offset < 0)
    return fail (error, display_name, name, "negative storage offset");
  for (int i = 0; i < t->ndim; i++)
    {
      gint64 n = t->size[i], s = t->stride[i];
      if (n < 0)
        return fail (error, display_name, name, "negative size");
      if (s < 0)
        return fail (error, display_name, name, "negative stride");
      if (n > 0 && nonzero_numel > G_MAXINT64 / (gint64) sizeof (float) / n)
        return fail (error, display_name, name, "size overflows");
      if (n > 0)
        nonzero_numel *= n;
      numel *= n;
    }
  if (numel > 0)
    for (int i = 0; i < t->ndim; i++)
      {
        gint64 n = t->size[i], s = t->stride[i];
        if (s > 0 && n - 1 > (G_MAXINT64 - last) / s)
          return fail (error, display_name, name, "strides overflow");
        last += (n - 1) * s;
      }
  /* Never produce more elements than the storage holds: state dicts have no
   * broadcast (stride 0) weights, and this bounds what a file can allocate. */
  if (numel > 0 && (last >= elements || numel > elements))
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_FILE_FORMAT,
                   "%s: tensor %s reads past the end of its storage (%"
                   G_GINT64_FORMAT " elements)", display_name, name, elements);
      return FALSE;
    }
  if ((guint64) numel > budget->bytes_left / sizeof (float))
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_FILE_FORMAT,
                   "%s: tensor %s: the tensors add up to more data than the "
                   "file holds", display_name, name);
      return FALSE;
    }
  budget->bytes_left -= (gsize) numel * sizeof (float);

  float *out = g_try_new (float, MAX (numel, 1));
  if (!out)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_OUT_OF_MEMORY,
                   "%s: tensor %s: out of memory for %" G_GINT64_FORMAT
                   " floats", display_name, name, numel);
      return FALSE;
    }

  /* Walk the index space in C order with an odometer. */
  gint64 idx[VKA_MAX_DIMS] = { 0 };
  gint64 pos = t->offset;
  for (gint64 k = 0; k < numel; k++)
    {
      out[k] = element_to_float (t->storage + (gsize) pos * esize, t->dtype);
      for (int d = t->ndim - 1; d >= 0; d--)
        {
          if (++idx[d] < t->size[d])
            {
              pos += t->stride[d];
              break;
            }
          pos -= (idx[d] - 1) * t->stride[d];
          idx[d] = 0;
        }
    }
  if (!vka_weights_insert (weights, name, t->ndim, t->size, out, error))
    {
      g_prefix_error (error, "%s: ", display_name);
      return FALSE;
    }
  return TRUE;
}
