/* state-dict.c — from an unpickled state dict to named float32 tensors. */
#include "state-dict.h"

#include <string.h>

static gboolean
has_tensors (const PkValue *dict)
{
  for (guint i = 1; i < dict->items->len; i += 2)
    if (((PkValue *) g_ptr_array_index (dict->items, i))->kind == PK_TENSOR)
      return TRUE;
  return FALSE;
}

static const PkValue *
unwrap (const PkValue *root)
{
  static const char *const wrappers[] = { "state_dict", "model" };
  /* Checkpoints nest at most a couple of levels; bounded, never recursive. */
  for (int depth = 0; depth < 4 && root->kind == PK_DICT && !has_tensors (root); depth++)
    {
      const PkValue *inner = NULL;
      for (guint w = 0; w < G_N_ELEMENTS (wrappers) && !inner; w++)
        {
          const PkValue *v = pk_dict_lookup (root, wrappers[w]);
          if (v && v->kind == PK_DICT)
            inner = v;
        }
      if (!inner)
        break;
      root = inner;
    }
  return root;
}

static gboolean
insert_tensor (VkaWeights *weights, const char *name, const PkValue *t,
               VkaStorageResolver resolve, gpointer user_data,
               VkaBudget *budget, const char *display_name, GError **error)
{
  const PkValue *s = t->tensor.storage;
  const guint8 *bytes;
  gsize nbytes;

  if (!vka_dtype_is_float (s->storage.dtype))
    return TRUE;   /* integer buffers are not weights */
  if (!resolve (user_data, s->storage.key, s->storage.dtype,
                s->storage.elem_offset + s->storage.numel, &bytes, &nbytes, error))
    return FALSE;

  gsize esize = vka_dtype_size (s->storage.dtype);
  guint64 want = (guint64) (s->storage.elem_offset + s->storage.numel);
  if (want > nbytes / esize)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_FILE_FORMAT,
                   "%s: storage '%s' declares %" G_GINT64_FORMAT " elements "
                   "but holds %" G_GSIZE_FORMAT, display_name, s->storage.key,
                   (gint64) want, nbytes / esize);
      return FALSE;
    }

  VkaStridedTensor view = {
    .storage = bytes + (gsize) s->storage.elem_offset * esize,
    .storage_bytes = (gsize) s->storage.numel * esize,
    .dtype = s->storage.dtype,
    .offset = t->tensor.offset,
    .ndim = t->tensor.ndim,
  };
  memcpy (view.size, t->tensor.size, sizeof view.size);
  memcpy (view.stride, t->tensor.stride, sizeof view.stride);
  return vka_strided_tensor_insert (&view, weights, name, budget, display_name,
                                    error);
}

VkaWeights *
vka_state_dict_to_weights (const PkValue *root, VkaStorageResolver resolve,
                           gpointer user_data, VkaBudget *budget,
                           const char *display_name, GError **error)
{
  const PkValue *dict = unwrap (root);
  if (dict->kind != PK_DICT)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_FILE_FORMAT,
                   "%s: the pickle holds no state dict", display_name);
      return NULL;
    }

  g_autoptr (VkaWeights) weights = vka_weights_new ();
  for (guint i = 0; i + 1 < dict->items->len; i += 2)
    {
      const PkValue *key = g_ptr_array_index (dict->items, i);
      const PkValue *value = g_ptr_array_index (dict->items, i + 1);
      if (key->kind != PK_STR || value->kind != PK_TENSOR)
        continue;
      const char *name = key->str.s;
      if (g_str_has_prefix (name, "module."))
        name += strlen ("module.");
      if (!insert_tensor (weights, name, value, resolve, user_data, budget,
                          display_name, error))
        return NULL;
    }
  if (vka_weights_count (weights) == 0)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_MODEL,
                   "%s: the state dict holds no float tensors", display_name);
      return NULL;
    }
  return g_steal_pointer (&weights);
}
