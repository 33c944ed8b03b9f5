/* pth-legacy.c — PyTorch's pre-1.6 serialisation (the official
 * vgg_normalised.pth): pickles for the magic number, the protocol version,
 * the system info, the state dict and the list of storage keys, then each
 * storage in that order as an 8-byte little-endian element count followed by
 * its raw little-endian data. */
#include "state-dict.h"

#include <string.h>

#define LEGACY_PROTOCOL_VERSION 1001

/* 0x1950a86a20f9469cfc6c, as LONG1 writes it (little-endian). */
static const guint8 magic_bytes[10] = {
  0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19,
};

typedef struct
{
  const guint8 *data;
  gsize         size;
} Bytes;

typedef struct
{
  GHashTable *storages;  /* key -> Bytes* */
  const char *display_name;
} LegacyStorages;

static gboolean
resolve_storage (gpointer user_data, const char *key, VkaDtype dtype,
                 gint64 numel, const guint8 **data, gsize *size, GError **error)
{
  LegacyStorages *ls = user_data;
  Bytes *b = g_hash_table_lookup (ls->storages, key);
  if (!b)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_FILE_FORMAT,
                   "%s: storage '%s' is not in the file", ls->display_name, key);
      return FALSE;
    }
  *data = b->data;
  *size = b->size;
  return TRUE;
}

static gboolean
format_error (GError **error, const char *display_name, const char *what)
{
  g_set_error (error, VKA_ERROR, VKA_ERROR_FILE_FORMAT, "%s: %s",
               display_name, what);
  return FALSE;
}

static gboolean
check_header (PkArena *arena, const guint8 *data, gsize size, gsize *pos,
              const char *display_name, GError **error)
{
  PkValue *magic = pk_load (arena, data, size, pos, display_name, error);
  if (!magic)
    return FALSE;
  if (magic->kind != PK_BIGINT || magic->str.len != sizeof magic_bytes ||
      memcmp (magic->str.s, magic_bytes, sizeof magic_bytes) != 0)
    return format_error (error, display_name,
                         "wrong magic number; not a PyTorch file");

  PkValue *version = pk_load (arena, data, size, pos, display_name, error);
  if (!version)
    return FALSE;
  if (version->kind != PK_INT || version->i != LEGACY_PROTOCOL_VERSION)
    return format_error (error, display_name,
                         "unsupported PyTorch legacy protocol version");

  PkValue *sys_info = pk_load (arena, data, size, pos, display_name, error);
  if (!sys_info)
    return FALSE;
  PkValue *little = pk_dict_lookup (sys_info, "little_endian");
  if (little && little->kind == PK_BOOL && !little->b)
    return format_error (error, display_name,
                         "big-endian PyTorch files are not supported");
  return TRUE;
}

/* The element size of each storage, from the references in the state dict. */
static void
collect_storage_types (const PkValue *v, GHashTable *types)
{
  /* Tensors sit at most a couple of levels down (wrappers): look at a
   * bounded number of dicts, which also ends cycles. */
  const PkValue *stack[16];
  int n = 0, visits = 0;
  stack[n++] = v;
  while (n > 0 && visits++ < 64)
    {
      const PkValue *d = stack[--n];
      if (d->kind != PK_DICT)
        continue;
      for (guint i = 1; i < d->items->len; i += 2)
        {
          const PkValue *x = g_ptr_array_index (d->items, i);
          if (x->kind == PK_TENSOR)
            g_hash_table_insert (types, x->tensor.storage->storage.key,
                                 GUINT_TO_POINTER (x->tensor.storage->storage.dtype + 1));
          else if (x->kind == PK_DICT && n < (int) G_N_ELEMENTS (stack))
            stack[n++] = x;
        }
    }
}

static gboolean
read_storages (const PkValue *keys, GHashTable *types, const guint8 *data,
               gsize size, gsize pos, GHashTable *storages,
               const char *display_name, GError **error)
{
  if (keys->kind != PK_LIST)
    return format_error (error, display_name, "the storage key list is missing");

  for (guint i = 0; i < keys->items->len; i++)
    {
      const PkValue *key = g_ptr_array_index (keys->items, i);
      if (key->kind != PK_STR)
        return format_error (error, display_name, "a storage key is not a string");
      guint t = GPOINTER_TO_UINT (g_hash_table_lookup (types, key->str.s));
      if (t == 0)
        return format_error (error, display_name,
                             "a storage is listed but never used");
      gsize esize = vka_dtype_size ((VkaDtype) (t - 1));
      if (size - pos < 8)
        return format_error (error, display_name, "storage data is truncated");
      guint64 count = vka_read_u64 (data + pos);
      pos += 8;
      if (count > (size - pos) / esize)
        {
          g_set_error (error, VKA_ERROR, VKA_ERROR_FILE_FORMAT,
                       "%s: storage '%s' declares %" G_GUINT64_FORMAT
                       " elements but the file ends first", display_name,
                       key->str.s, count);
          return FALSE;
        }
      Bytes *b = g_new (Bytes, 1);
      b->data = data + pos;
      b->size = (gsize) count * esize;
      g_hash_table_insert (storages, key->str.s, b);
      pos += b->size;
    }
  return TRUE;
}

VkaWeights *
vka_pth_legacy_load (const guint8 *data, gsize size, const char *display_name,
                     GError **error)
{
  g_autoptr (PkArena) arena = pk_arena_new ();
  gsize pos = 0;
  if (!check_header (arena, data, size, &pos, display_name, error))
    return NULL;

  PkValue *root = pk_load (arena, data, size, &pos, display_name, error);
  if (!root)
    return NULL;
  PkValue *keys = pk_load (arena, data, size, &pos, display_name, error);
  if (!keys)
    return NULL;

  g_autoptr (GHashTable) types = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) storages = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                           NULL, g_free);
  collect_storage_types (root, types);
  if (!read_storages (keys, types, data, size, pos, storages, display_name, error))
    return NULL;

  LegacyStorages ls = { storages, display_name };
  VkaBudget budget;
  vka_budget_init (&budget, size);
  return vka_state_dict_to_weights (root, resolve_storage, &ls, &budget,
                                    display_name, error);
}
