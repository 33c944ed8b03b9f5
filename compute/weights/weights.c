/* weights.c — VkaWeights: an ordered set of named float32 tensors. */
#include "vka.h"

#include <string.h>

struct VkaWeights
{
  GPtrArray  *tensors;   /* VkaTensorData*, insertion order */
  GHashTable *by_name;   /* name -> VkaTensorData* (borrowed) */
};

static void
tensor_data_free (gpointer p)
{
  VkaTensorData *t = p;
  g_free (t->name);
  g_free (t->data);
  g_free (t);
}

VkaWeights *
vka_weights_new (void)
{
  VkaWeights *w = g_new0 (VkaWeights, 1);
  w->tensors = g_ptr_array_new_with_free_func (tensor_data_free);
  w->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  return w;
}

void
vka_weights_free (VkaWeights *weights)
{
  if (!weights)
    return;
  g_hash_table_destroy (weights->by_name);
  g_ptr_array_unref (weights->tensors);
  g_free (weights);
}

gint64
vka_tensor_data_numel (const VkaTensorData *tensor)
{
  gint64 n = 1;
  for (int i = 0; i < tensor->ndim; i++)
    n *= tensor->shape[i];
  return n;
}

gboolean
vka_weights_insert (VkaWeights *weights, const char *name, int ndim,
                    const gint64 *shape, float *data, GError **error)
{
  if (ndim < 0 || ndim > VKA_MAX_DIMS)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                   "tensor %s has %d dimensions; at most %d are supported",
                   name, ndim, VKA_MAX_DIMS);
      g_free (data);
      return FALSE;
    }
  gint64 numel = 1;
  for (int i = 0; i < ndim; i++)
    {
      if (shape[i] < 0 || (shape[i] > 0 && numel > G_MAXINT64 / shape[i] / 4))
        {
          g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                       "tensor %s has an invalid size %" G_GINT64_FORMAT
                       " in dimension %d", name, shape[i], i);
          g_free (data);
          return FALSE;
        }
      numel *= shape[i];
    }

  VkaTensorData *t = g_new0 (VkaTensorData, 1);
  t->name = g_strdup (name);
  t->ndim = ndim;
  memcpy (t->shape, shape, sizeof (gint64) * (gsize) ndim);
  t->data = data;

  VkaTensorData *old = g_hash_table_lookup (weights->by_name, name);
  if (old)
    {
      g_hash_table_remove (weights->by_name, name);
      g_ptr_array_remove (weights->tensors, old);
    }
  g_ptr_array_add (weights->tensors, t);
  g_hash_table_insert (weights->by_name, t->name, t);
  return TRUE;
}

const VkaTensorData *
vka_weights_get (const VkaWeights *weights, const char *name)
{
  return g_hash_table_lookup (weights->by_name, name);
}

guint
vka_weights_count (const VkaWeights *weights)
{
  return weights->tensors->len;
}

const VkaTensorData *
vka_weights_nth (const VkaWeights *weights, guint index)
{
  g_return_val_if_fail (index < weights->tensors->len, NULL);
  return g_ptr_array_index (weights->tensors, index);
}
