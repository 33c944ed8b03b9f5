/* torch7.c — Torch7 binary files (the original AdaIN .t7 models).
 *
 * Typed objects, all little-endian: a 32-bit type tag, then
 *   0 nil | 1 number: double | 2 string: int32 length + bytes |
 *   3 table: int32 object index, int32 entry count, (key, value) objects |
 *   4 torch class: int32 object index, "V <n>" version string, class name,
 *     then the class payload | 5 boolean: int32 | 6, 7, 8 functions (refused).
 * An object index seen before is a reference to that table/class object.
 * Tensors: int32 nDim, int64 sizes[nDim], int64 strides[nDim], int64 1-based
 * storage offset, storage object. Storages: int64 element count + raw data.
 * Other classes (nn modules) carry one object, their field table.
 *
 * An nn.Sequential's convolutions become "{i-1}.weight" / "{i-1}.bias" for
 * module i of `modules`, matching the PyTorch sequential layouts. */
#include "weights-private.h"

#include <string.h>

#define T7_MAX_DEPTH 64

typedef enum
{
  T7_NIL,
  T7_NUMBER,
  T7_STRING,
  T7_BOOLEAN,
  T7_TABLE,    /* items: key, value, ... */
  T7_OBJECT,   /* a torch class other than tensors and storages */
  T7_TENSOR,
  T7_STORAGE,
} T7Kind;

typedef struct T7Value T7Value;

struct T7Value
{
  T7Kind     kind;
  double     number;
  gboolean   boolean;
  char      *str;          /* T7_STRING; class name for T7_OBJECT */
  GPtrArray *items;        /* T7_TABLE */
  T7Value   *payload;      /* T7_OBJECT */
  VkaDtype   dtype;        /* T7_TENSOR, T7_STORAGE */
  int        ndim;
  gint64     size[VKA_PARSE_MAX_DIMS];
  gint64     stride[VKA_PARSE_MAX_DIMS];
  gint64     offset;       /* 0-based */
  T7Value   *storage;      /* T7_TENSOR; NULL for an empty tensor */
  const guint8 *data;      /* T7_STORAGE */
  gsize      nbytes;
};

typedef struct
{
  const guint8 *data;
  gsize         size;
  gsize         pos;
  const char   *display_name;
  GPtrArray    *arena;     /* every T7Value */
  GHashTable   *objects;   /* index -> T7Value* */
} Reader;

static void
value_free (gpointer p)
{
  T7Value *v = p;
  g_free (v->str);
  if (v->items)
    g_ptr_array_unref (v->items);
  g_free (v);
}

static T7Value *
value_new (Reader *r, T7Kind kind)
{
  T7Value *v = g_new0 (T7Value, 1);
  v->kind = kind;
  g_ptr_array_add (r->arena, v);
  return v;
}

static gboolean G_GNUC_PRINTF (3, 4)
fail (Reader *r, GError **error, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, VKA_ERROR, VKA_ERROR_FILE_FORMAT, "%s: Torch7 file: %s",
               r->display_name, msg);
  return FALSE;
}

static gboolean
need (Reader *r, gsize n, GError **error)
{
  if (n > r->size - r->pos)
    return fail (r, error, "truncated at byte %" G_GSIZE_FORMAT, r->size);
  return TRUE;
}

static gboolean
read_i32 (Reader *r, gint32 *out, GError **error)
{
  if (!need (r, 4, error))
    return FALSE;
  *out = (gint32) vka_read_u32 (r->data + r->pos);
  r->pos += 4;
  return TRUE;
}

static gboolean
read_i64 (Reader *r, gint64 *out, GError **error)
{
  if (!need (r, 8, error))
    return FALSE;
  *out = (gint64) vka_read_u64 (r->data + r->pos);
  r->pos += 8;
  return TRUE;
}

static char *
read_string (Reader *r, GError **error)
{
  gint32 len;
  if (!read_i32 (r, &len, error))
    return NULL;
  if (len < 0 || !need (r, (gsize) len, error))
    {
      if (len < 0)
        fail (r, error, "negative string length");
      return NULL;
    }
  char *s = g_strndup ((const char *) r->data + r->pos, (gsize) len);
  r->pos += (gsize) len;
  return s;
}

/* "torch.FloatTensor" -> F32 and is_tensor; FALSE if not a tensor/storage. */
static gboolean
class_dtype (const char *name, VkaDtype *dtype, gboolean *is_tensor)
{
  static const struct
  {
    const char *prefix;
    VkaDtype    dtype;
  } types[] = {
    { "Float", VKA_DTYPE_F32 }, { "Double", VKA_DTYPE_F64 },
    { "Half", VKA_DTYPE_F16 }, { "Long", VKA_DTYPE_I64 },
    { "Int", VKA_DTYPE_I32 }, { "Short", VKA_DTYPE_I16 },
    { "Char", VKA_DTYPE_I8 }, { "Byte", VKA_DTYPE_U8 },
    { "", VKA_DTYPE_F32 },   /* torch.CudaTensor / torch.CudaStorage */
  };
  if (!g_str_has_prefix (name, "torch."))
    return FALSE;
  name += strlen ("torch.");
  gboolean cuda = g_str_has_prefix (name, "Cuda");
  if (cuda)
    name += strlen ("Cuda");
  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      if (!cuda && types[i].prefix[0] == '\0')
        continue;
      if (!g_str_has_prefix (name, types[i].prefix))
        continue;
      const char *rest = name + strlen (types[i].prefix);
      if (strcmp (rest, "Tensor") == 0 || strcmp (rest, "Storage") == 0)
        {
          *dtype = types[i].dtype;
          *is_tensor = rest[0] == 'T';
          return TRUE;
        }
    }
  return FALSE;
}

static T7Value *read_object (Reader *r, int depth, GError **error);

static gboolean
read_storage (Reader *r, T7Value *v, GError **error)
{
  gint64 count;
  if (!read_i64 (r, &count, error))
    return FALSE;
  gsize esize = vka_dtype_size (v->dtype);
  if (count < 0 || (guint64) count > (r->size - r->pos) / esize)
    return fail (r, error, "a storage declares %" G_GINT64_FORMAT
                 " elements but the file ends first", count);
  v->data = r->data + r->pos;
  v->nbytes = (gsize) count * esize;
  r->pos += v->nbytes;
  return TRUE;
}

static gboolean
read_tensor (Reader *r, T7Value *v, int depth, GError **error)
{
  gint32 ndim;
  if (!read_i32 (r, &ndim, error))
    return FALSE;
  if (ndim < 0 || ndim > VKA_PARSE_MAX_DIMS)
    return fail (r, error, "a tensor has %d dimensions", ndim);
  v->ndim = ndim;
  for (int i = 0; i < ndim; i++)
    if (!read_i64 (r, &v->size[i], error))
      return FALSE;
  for (int i = 0; i < ndim; i++)
    if (!read_i64 (r, &v->stride[i], error))
      return FALSE;
  gint64 offset;
  if (!read_i64 (r, &offset, error))
    return FALSE;
  if (offset < 1)   /* Torch7 offsets are 1-based */
    return fail (r, error, "a tensor has storage offset %" G_GINT64_FORMAT, offset);
  v->offset = offset - 1;

  T7Value *storage = read_object (r, depth + 1, error);
  if (!storage)
    return FALSE;
  if (storage->kind == T7_NIL)
    return TRUE;
  if (storage->kind != T7_STORAGE || storage->dtype != v->dtype)
    return fail (r, error, "a tensor's storage has the wrong type");
  v->storage = storage;
  return TRUE;
}

static T7Value *
read_torch (Reader *r, int depth, GError **error)
{
  gint32 index;
  if (!read_i32 (r, &index, error))
    return NULL;
  T7Value *seen = g_hash_table_lookup (r->objects, GINT_TO_POINTER (index));
  if (seen)
    return seen;

  g_autofree char *version = read_string (r, error);
  if (!version)
    return NULL;
  g_autofree char *name = NULL;
  if (g_str_has_prefix (version, "V "))
    {
      name = read_string (r, error);
      if (!name)
        return NULL;
    }
  else
    name = g_steal_pointer (&version);   /* version-0 files: no tag */

  VkaDtype dtype;
  gboolean is_tensor = FALSE;
  T7Value *v;
  if (class_dtype (name, &dtype, &is_tensor))
    {
      v = value_new (r, is_tensor ? T7_TENSOR : T7_STORAGE);
      v->dtype = dtype;
      g_hash_table_insert (r->objects, GINT_TO_POINTER (index), v);
      if (!(is_tensor ? read_tensor (r, v, depth, error) : read_storage (r, v, error)))
        return NULL;
      return v;
    }
  if (g_str_has_prefix (name, "torch."))
    {
      fail (r, error, "unsupported class '%s'", name);
      return NULL;
    }
  v = value_new (r, T7_OBJECT);
  v->str = g_steal_pointer (&name);
  g_hash_table_insert (r->objects, GINT_TO_POINTER (index), v);
  v->payload = read_object (r, depth + 1, error);
  return v->payload ? v : NULL;
}

static T7Value *
read_table (Reader *r, int depth, GError **error)
{
  gint32 index, count;
  if (!read_i32 (r, &index, error))
    return NULL;
  T7Value *seen = g_hash_table_lookup (r->objects, GINT_TO_POINTER (index));
  if (seen)
    return seen;
  if (!read_i32 (r, &count, error))
    return NULL;
  /* Each entry takes at least two 4-byte type tags. */
  if (count < 0 || (gsize) count > (r->size - r->pos) / 8)
    {
      fail (r, error, "a table declares %d entries but the file ends first", count);
      return NULL;
    }
  T7Value *v = value_new (r, T7_TABLE);
  v->items = g_ptr_array_sized_new ((guint) count * 2);
  g_hash_table_insert (r->objects, GINT_TO_POINTER (index), v);
  for (gint32 i = 0; i < 2 * count; i++)
    {
      T7Value *x = read_object (r, depth + 1, error);
      if (!x)
        return NULL;
      g_ptr_array_add (v->items, x);
    }
  return v;
}

static T7Value *
read_object (Reader *r, int depth, GError **error)
{
  gint32 type;
  T7Value *v;

  if (depth > T7_MAX_DEPTH)
    {
      fail (r, error, "objects nest more than %d levels deep", T7_MAX_DEPTH);
      return NULL;
    }
  if (!read_i32 (r, &type, error))
    return NULL;
  switch (type)
    {
    case 0:
      return value_new (r, T7_NIL);
    case 1:
      {
        gint64 bits;
        if (!read_i64 (r, &bits, error))
          return NULL;
        v = value_new (r, T7_NUMBER);
        memcpy (&v->number, &bits, sizeof v->number);
        return v;
      }
    case 2:
      {
        char *s = read_string (r, error);
        if (!s)
          return NULL;
        v = value_new (r, T7_STRING);
        v->str = s;
        return v;
      }
    case 3:
      return read_table (r, depth, error);
    case 4:
      return read_torch (r, depth, error);
    case 5:
      {
        gint32 b;
        if (!read_i32 (r, &b, error))
          return NULL;
        v = value_new (r, T7_BOOLEAN);
        v->boolean = b != 0;
        return v;
      }
    case 6:
    case 7:
    case 8:
      fail (r, error, "contains a Lua function, which is never loaded");
      return NULL;
    default:
      fail (r, error, "unknown object type %d at byte %" G_GSIZE_FORMAT,
            type, r->pos - 4);
      return NULL;
    }
}

/* ---- nn.Sequential -> weights ------------------------------------------ */

static T7Value *
table_get (const T7Value *table, const char *key)
{
  if (!table || table->kind != T7_TABLE)
    return NULL;
  for (guint i = 0; i + 1 < table->items->len; i += 2)
    {
      T7Value *k = g_ptr_array_index (table->items, i);
      if (k->kind == T7_STRING && strcmp (k->str, key) == 0)
        return g_ptr_array_index (table->items, i + 1);
    }
  return NULL;
}

/* The array part of a Lua table: slot i-1 holds t[i] for i in 1..n. */
static GPtrArray *
table_array (const T7Value *table)
{
  guint n = table->items->len / 2;
  GPtrArray *array = g_ptr_array_new ();
  g_ptr_array_set_size (array, n);
  for (guint i = 0; i + 1 < table->items->len; i += 2)
    {
      T7Value *k = g_ptr_array_index (table->items, i);
      if (k->kind == T7_NUMBER && k->number >= 1 && k->number <= n &&
          k->number == (guint) k->number)
        array->pdata[(guint) k->number - 1] = g_ptr_array_index (table->items, i + 1);
    }
  return array;
}

static gint64
field_int (const T7Value *fields, const char *key)
{
  T7Value *v = table_get (fields, key);
  if (!v || v->kind != T7_NUMBER || !(v->number >= 0 && v->number < 1e15))
    return -1;
  return (gint64) v->number;
}

static gboolean
insert_tensor (Reader *r, VkaWeights *weights, const char *name,
               const T7Value *t, const T7Value *fields, VkaBudget *budget,
               GError **error)
{
  VkaStridedTensor view = {
    .storage = t->storage ? t->storage->data : NULL,
    .storage_bytes = t->storage ? t->storage->nbytes : 0,
    .dtype = t->dtype,
    .offset = t->storage ? t->offset : 0,
    .ndim = t->ndim,
  };
  memcpy (view.size, t->size, sizeof view.size);
  memcpy (view.stride, t->stride, sizeof view.stride);

  /* Old SpatialConvolution(MM) keeps weight as nOut x (nIn*kH*kW): view it
   * as nOut x nIn x kH x kW (the inner dimension splits with its stride). */
  gint64 out = field_int (fields, "nOutputPlane"), in = field_int (fields, "nInputPlane");
  gint64 kh = field_int (fields, "kH"), kw = field_int (fields, "kW");
  if (g_str_has_suffix (name, ".weight") && t->ndim == 2 && out > 0 && in > 0 &&
      kh > 0 && kw > 0 && t->size[0] == out && in <= G_MAXINT32 &&
      kh <= G_MAXINT32 && kw <= G_MAXINT32 && t->size[1] == in * kh * kw &&
      t->stride[1] >= 0 && t->stride[1] <= G_MAXINT32)
    {
      gint64 s = t->stride[1];
      view.ndim = 4;
      view.size[1] = in;
      view.size[2] = kh;
      view.size[3] = kw;
      view.stride[1] = kh * kw * s;
      view.stride[2] = kw * s;
      view.stride[3] = s;
    }
  return vka_strided_tensor_insert (&view, weights, name, budget,
                                    r->display_name, error);
}

static gboolean
is_convolution (const char *class_name)
{
  return g_str_has_suffix (class_name, ".SpatialConvolution") ||
         g_str_has_suffix (class_name, ".SpatialConvolutionMM");
}

static VkaWeights *
sequential_to_weights (Reader *r, const T7Value *root, VkaBudget *budget,
                       GError **error)
{
  if (root->kind != T7_OBJECT || !g_str_has_suffix (root->str, "Sequential"))
    {
      fail (r, error, "the top object is not an nn.Sequential");
      return NULL;
    }
  T7Value *modules = table_get (root->payload, "modules");
  if (!modules || modules->kind != T7_TABLE)
    {
      fail (r, error, "the nn.Sequential has no modules table");
      return NULL;
    }

  g_autoptr (VkaWeights) weights = vka_weights_new ();
  g_autoptr (GPtrArray) list = table_array (modules);
  for (guint i = 1; i <= list->len; i++)
    {
      T7Value *m = g_ptr_array_index (list, i - 1);
      if (!m)
        break;
      if (m->kind != T7_OBJECT || !is_convolution (m->str))
        continue;   /* padding, ReLU, pooling, upsampling: index still counts */

      static const char *const params[] = { "weight", "bias" };
      for (guint p = 0; p < G_N_ELEMENTS (params); p++)
        {
          T7Value *t = table_get (m->payload, params[p]);
          if (!t || t->kind == T7_NIL)
            continue;
          g_autofree char *name = g_strdup_printf ("%u.%s", i - 1, params[p]);
          if (t->kind != T7_TENSOR)
            {
              fail (r, error, "module %u's %s is not a tensor", i, params[p]);
              return NULL;
            }
          if (!insert_tensor (r, weights, name, t, m->payload, budget, error))
            return NULL;
        }
    }
  if (vka_weights_count (weights) == 0)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_MODEL,
                   "%s: the Torch7 model holds no convolutions", r->display_name);
      return NULL;
    }
  return g_steal_pointer (&weights);
}

VkaWeights *
vka_torch7_load (const guint8 *data, gsize size, const char *display_name,
                 GError **error)
{
  Reader r = {
    .data = data,
    .size = size,
    .display_name = display_name,
    .arena = g_ptr_array_new_with_free_func (value_free),
    .objects = g_hash_table_new (g_direct_hash, g_direct_equal),
  };
  VkaWeights *weights = NULL;
  T7Value *root = read_object (&r, 0, error);
  if (root)
    {
      VkaBudget budget;
      vka_budget_init (&budget, size);
      weights = sequential_to_weights (&r, root, &budget, error);
    }
  g_hash_table_unref (r.objects);
  g_ptr_array_unref (r.arena);
  return weights;
}
