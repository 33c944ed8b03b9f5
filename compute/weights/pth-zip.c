/* pth-zip.c — PyTorch >= 1.6 files: a stored ZIP with <prefix>/data.pkl and
 * the storages as <prefix>/data/<key>. */
#include "state-dict.h"
#include "zip.h"

#include <string.h>

typedef struct
{
  VkaZip     *zip;
  const char *prefix;   /* "archive/" */
} ZipStorages;

static gboolean
resolve_entry (gpointer user_data, const char *key, VkaDtype dtype,
               gint64 numel, const guint8 **data, gsize *size, GError **error)
{
  ZipStorages *z = user_data;
  g_autofree char *name = g_strconcat (z->prefix, "data/", key, NULL);
  return vka_zip_get (z->zip, name, data, size, error);
}

VkaWeights *
vka_pth_zip_load (const guint8 *data, gsize size, const char *display_name,
                  GError **error)
{
  g_autoptr (VkaZip) zip = vka_zip_open (data, size, display_name, error);
  if (!zip)
    return NULL;

  /* The pickle is "<prefix>/data.pkl" with a one-level prefix. */
  g_autofree char *prefix = NULL;
  for (guint i = 0; i < vka_zip_count (zip) && !prefix; i++)
    {
      const char *name = vka_zip_nth (zip, i)->name;
      const char *slash = strchr (name, '/');
      if (slash && strcmp (slash, "/data.pkl") == 0)
        prefix = g_strndup (name, (gsize) (slash - name) + 1);
    }
  if (!prefix)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_FILE_FORMAT,
                   "%s: zip archive has no */data.pkl; not a PyTorch file",
                   display_name);
      return NULL;
    }

  const guint8 *bytes;
  gsize nbytes;
  g_autofree char *byteorder = g_strconcat (prefix, "byteorder", NULL);
  if (vka_zip_get (zip, byteorder, &bytes, &nbytes, NULL) &&
      nbytes == 3 && memcmp (bytes, "big", 3) == 0)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_FILE_FORMAT,
                   "%s: big-endian PyTorch files are not supported", display_name);
      return NULL;
    }

  g_autofree char *pkl = g_strconcat (prefix, "data.pkl", NULL);
  if (!vka_zip_get (zip, pkl, &bytes, &nbytes, error))
    return NULL;

  g_autoptr (PkArena) arena = pk_arena_new ();
  gsize pos = 0;
  PkValue *root = pk_load (arena, bytes, nbytes, &pos, display_name, error);
  if (!root)
    return NULL;

  ZipStorages z = { zip, prefix };
  VkaBudget budget;
  vka_budget_init (&budget, size);
  return vka_state_dict_to_weights (root, resolve_entry, &z, &budget,
                                    display_name, error);
}
