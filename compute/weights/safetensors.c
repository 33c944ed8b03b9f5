/* safetensors.c — read and write safetensors: an 8-byte little-endian header
 * length, a JSON header {name: {dtype, shape, data_offsets: [begin, end]},
 * "__metadata__": {...}}, then the data (offsets are relative to its start). */
#include "json.h"
#include "weights-private.h"

#include <errno.h>
#include <string.h>

/* Far above any real header (the official VGG's would be ~5 KB). */
#define MAX_HEADER_BYTES (100u << 20)

static const struct
{
  const char *name;
  VkaDtype    dtype;
} dtypes[] = {
  { "F32", VKA_DTYPE_F32 }, { "F16", VKA_DTYPE_F16 }, { "BF16", VKA_DTYPE_BF16 },
  { "F64", VKA_DTYPE_F64 }, { "I64", VKA_DTYPE_I64 }, { "I32", VKA_DTYPE_I32 },
  { "I16", VKA_DTYPE_I16 }, { "I8", VKA_DTYPE_I8 }, { "U8", VKA_DTYPE_U8 },
  { "BOOL", VKA_DTYPE_BOOL },
};

static gboolean G_GNUC_PRINTF (3, 4)
fail (GError **error, const char *display_name, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, VKA_ERROR, VKA_ERROR_FILE_FORMAT, "%s: safetensors: %s",
               display_name, msg);
  return FALSE;
}

static gboolean
int_array (const VkaJson *v, guint max, gint64 *out, guint *n)
{
  if (!v || v->kind != VKA_JSON_ARRAY || v->items->len > max)
    return FALSE;
  for (guint i = 0; i < v->items->len; i++)
    {
      const VkaJson *x = g_ptr_array_index (v->items, i);
      if (x->kind != VKA_JSON_NUMBER || !x->is_integer || x->integer < 0)
        return FALSE;
      out[i] = x->integer;
    }
  *n = v->items->len;
  return TRUE;
}

static gboolean
load_entry (VkaWeights *weights, const char *name, const VkaJson *info,
            const guint8 *data, gsize data_size, VkaBudget *budget,
            const char *display_name, GError **error)
{
  const VkaJson *dtype_v = vka_json_get (info, "dtype");
  gint64 offsets[2];
  guint n_offsets = 0, ndim = 0;
  VkaStridedTensor view = { 0 };

  if (info->kind != VKA_JSON_OBJECT || !dtype_v || dtype_v->kind != VKA_JSON_STRING)
    return fail (error, display_name, "tensor %s has no dtype", name);
  if (!int_array (vka_json_get (info, "shape"), VKA_PARSE_MAX_DIMS, view.size, &ndim))
    return fail (error, display_name, "tensor %s has a bad shape", name);
  if (!int_array (vka_json_get (info, "data_offsets"), 2, offsets, &n_offsets) ||
      n_offsets != 2 || offsets[0] > offsets[1] || (guint64) offsets[1] > data_size)
    return fail (error, display_name, "tensor %s has bad data offsets", name);

  gboolean known = FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (dtypes) && !known; i++)
    if (strcmp (dtype_v->string, dtypes[i].name) == 0)
      {
        view.dtype = dtypes[i].dtype;
        known = TRUE;
      }
  if (!known)
    return TRUE;   /* e.g. F8 types: not weights we can use */

  /* The byte range must hold exactly the shape's elements. */
  guint64 numel = 1;
  for (guint i = 0; i < ndim; i++)
    {
      if (view.size[i] > 0 && numel > (guint64) G_MAXINT64 / (guint64) view.size[i])
        return fail (error, display_name, "tensor %s's shape overflows", name);
      numel *= (guint64) view.size[i];
    }
  gsize esize = vka_dtype_size (view.dtype);
  guint64 nbytes = (guint64) (offsets[1] - offsets[0]);
  if (numel > nbytes / esize || numel * esize != nbytes)
    return fail (error, display_name, "tensor %s's shape does not match its "
                 "%" G_GUINT64_FORMAT " bytes", name, nbytes);
  if (!vka_dtype_is_float (view.dtype))
    return TRUE;

  view.storage = data + offsets[0];
  view.storage_bytes = (gsize) nbytes;
  view.ndim = (int) ndim;
  gint64 stride = 1;
  for (int i = view.ndim - 1; i >= 0; i--)
    {
      view.stride[i] = stride;
      stride *= MAX (view.size[i], 1);
    }
  return vka_strided_tensor_insert (&view, weights, name, budget, display_name,
                                    error);
}

VkaWeights *
vka_safetensors_load (const guint8 *data, gsize size, const char *display_name,
                      GError **error)
{
  if (size < 8)
    {
      fail (error, display_name, "file is shorter than its header length");
      return NULL;
    }
  guint64 header_len = vka_read_u64 (data);
  if (header_len > size - 8 || header_len > MAX_HEADER_BYTES)
    {
      fail (error, display_name, "header length %" G_GUINT64_FORMAT
            " exceeds the file", header_len);
      return NULL;
    }

  g_autofree char *message = NULL;
  g_autoptr (VkaJson) header = vka_json_parse ((const char *) data + 8,
                                               (gsize) header_len, &message);
  if (!header)
    {
      fail (error, display_name, "%s", message);
      return NULL;
    }
  if (header->kind != VKA_JSON_OBJECT)
    {
      fail (error, display_name, "header is not a JSON object");
      return NULL;
    }

  const guint8 *payload = data + 8 + header_len;
  gsize payload_size = size - 8 - (gsize) header_len;
  VkaBudget budget;
  vka_budget_init (&budget, size);
  g_autoptr (VkaWeights) weights = vka_weights_new ();
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i + 1 < header->items->len; i += 2)
    {
      const VkaJson *key = g_ptr_array_index (header->items, i);
      const VkaJson *info = g_ptr_array_index (header->items, i + 1);
      if (strlen (key->string) != key->string_len)
        {
          fail (error, display_name, "a tensor name contains a NUL byte");
          return NULL;
        }
      if (strcmp (key->string, "__metadata__") == 0)
        continue;
      if (!g_hash_table_add (seen, key->string))
        {
          fail (error, display_name, "tensor %s appears twice", key->string);
          return NULL;
        }
      if (!load_entry (weights, key->string, info, payload, payload_size,
                       &budget, display_name, error))
        return NULL;
    }
  if (vka_weights_count (weights) == 0)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_MODEL,
                   "%s: the file holds no float tensors", display_name);
      return NULL;
    }
  return g_steal_pointer (&weights);
}

/* ---- Writing ------------------------------------------------------------ */

static void
append_json_string (GString *out, const char *s)
{
  g_string_append_c (out, '"');
  for (const unsigned char *c = (const unsigned char *) s; *c; c++)
    {
      if (*c == '"' || *c == '\\')
        g_string_append_printf (out, "\\%c", *c);
      else if (*c < 0x20)
        g_string_append_printf (out, "\\u%04x", *c);
      else
        g_string_append_c (out, (char) *c);
    }
  g_string_append_c (out, '"');
}

gboolean
vka_weights_save_safetensors (const VkaWeights *weights, const char *path,
                              GError **error)
{
  g_autofree char *display_name = g_filename_display_basename (path);
  GString *header = g_string_new ("{\"__metadata__\":{\"format\":\"pt\"}");
  guint n = vka_weights_count (weights);
  guint64 offset = 0;

  for (guint i = 0; i < n; i++)
    {
      const VkaTensorData *t = vka_weights_nth (weights, i);
      guint64 bytes = (guint64) vka_tensor_data_numel (t) * sizeof (float);
      if (!g_utf8_validate (t->name, -1, NULL))
        {
          g_string_free (header, TRUE);
          g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                       "%s: tensor name is not valid UTF-8", display_name);
          return FALSE;
        }
      g_string_append_c (header, ',');
      append_json_string (header, t->name);
      g_string_append (header, ":{\"dtype\":\"F32\",\"shape\":[");
      for (int d = 0; d < t->ndim; d++)
        g_string_append_printf (header, "%s%" G_GINT64_FORMAT, d ? "," : "",
                                t->shape[d]);
      g_string_append_printf (header, "],\"data_offsets\":[%" G_GUINT64_FORMAT
                              ",%" G_GUINT64_FORMAT "]}", offset, offset + bytes);
      offset += bytes;
    }
  g_string_append_c (header, '}');
  while (header->len % 8 != 0)   /* keep the data 8-byte aligned */
    g_string_append_c (header, ' ');

  gsize total = 8 + header->len + (gsize) offset;
  guint8 *buf = g_try_malloc (total);
  if (!buf)
    {
      g_string_free (header, TRUE);
      g_set_error (error, VKA_ERROR, VKA_ERROR_OUT_OF_MEMORY,
                   "%s: out of memory for %" G_GSIZE_FORMAT " bytes",
                   display_name, total);
      return FALSE;
    }
  guint64 len_le = GUINT64_TO_LE ((guint64) header->len);
  memcpy (buf, &len_le, 8);
  memcpy (buf + 8, header->str, header->len);
  guint8 *p = buf + 8 + header->len;
  g_string_free (header, TRUE);
  for (guint i = 0; i < n; i++)
    p = vka_weights_put_f32_le (p, vka_weights_nth (weights, i));

  gboolean ok = vka_weights_write_file (path, buf, total, display_name, error);
  g_free (buf);
  return ok;
}
