/* zip.c — ZIP central-directory reader (stored entries only, no ZIP64).
 *
 * Layout used: the end-of-central-directory record (signature PK\5\6) in the
 * last 64 KiB + 22 bytes gives the directory's offset and entry count; each
 * directory record (PK\1\2) gives name, method, sizes and the offset of the
 * local header (PK\3\4), whose own name and extra lengths locate the data
 * (torch pads the local extra field to align data, so they differ). */
#include "zip.h"

#include <string.h>

struct VkaZip
{
  GArray     *entries;   /* VkaZipEntry */
  GHashTable *by_name;   /* name -> index + 1 */
  const char *display_name;
};

static void
entry_clear (gpointer p)
{
  VkaZipEntry *e = p;
  g_free (e->name);
}

void
vka_zip_free (VkaZip *zip)
{
  if (!zip)
    return;
  g_hash_table_unref (zip->by_name);
  g_array_unref (zip->entries);
  g_free (zip);
}

static gboolean
bad (GError **error, const char *display_name, const char *what)
{
  g_set_error (error, VKA_ERROR, VKA_ERROR_FILE_FORMAT, "%s: zip archive: %s",
               display_name, what);
  return FALSE;
}

static gboolean
read_entry (const guint8 *data, gsize size, gsize *cd, gsize cd_end,
            VkaZipEntry *e, const char *display_name, GError **error)
{
  const guint8 *c = data + *cd;
  if (cd_end - *cd < 46 || vka_read_u32 (c) != 0x02014b50)
    return bad (error, display_name, "corrupt central directory");

  guint16 method = vka_read_u16 (c + 10);
  guint32 csize = vka_read_u32 (c + 20), usize = vka_read_u32 (c + 24);
  gsize name_len = vka_read_u16 (c + 28);
  gsize rec_len = 46 + name_len + vka_read_u16 (c + 30) + vka_read_u16 (c + 32);
  guint32 local = vka_read_u32 (c + 42);

  if (rec_len > cd_end - *cd)
    return bad (error, display_name, "corrupt central directory");
  if (csize == 0xffffffffu || usize == 0xffffffffu || local == 0xffffffffu)
    return bad (error, display_name, "ZIP64 archives are not supported");

  /* Local header: data follows its name and extra field. */
  if (local > size || size - local < 30 || vka_read_u32 (data + local) != 0x04034b50)
    return bad (error, display_name, "an entry's local header is missing");
  gsize start = (gsize) local + 30 + vka_read_u16 (data + local + 26) +
                vka_read_u16 (data + local + 28);
  if (start > size || csize > size - start)
    return bad (error, display_name, "an entry extends past the end of the file");

  e->name = g_strndup ((const char *) c + 46, name_len);
  e->method = method;
  e->data = data + start;
  e->size = method == 0 ? MIN (csize, usize) : csize;
  if (method == 0 && csize != usize)
    {
      g_free (e->name);
      e->name = NULL;
      return bad (error, display_name, "a stored entry has two different sizes");
    }
  *cd += rec_len;
  return TRUE;
}

VkaZip *
vka_zip_open (const guint8 *data, gsize size, const char *display_name,
              GError **error)
{
  /* Find the end-of-central-directory record, scanning back over a comment. */
  gssize eocd = -1;
  if (size >= 22)
    for (gsize i = size - 22 + 1; i-- > 0 && size - i <= 22 + 65535;)
      if (vka_read_u32 (data + i) == 0x06054b50)
        {
          eocd = (gssize) i;
          break;
        }
  if (eocd < 0)
    {
      bad (error, display_name, "no end of central directory (truncated?)");
      return NULL;
    }

  const guint8 *e = data + eocd;
  guint n = vka_read_u16 (e + 10);
  guint32 cd_size = vka_read_u32 (e + 12), cd_off = vka_read_u32 (e + 16);
  if (n == 0xffff || cd_off == 0xffffffffu)
    {
      bad (error, display_name, "ZIP64 archives are not supported");
      return NULL;
    }
  if (cd_off > (gsize) eocd || cd_size > (gsize) eocd - cd_off ||
      (gsize) n * 46 > cd_size)
    {
      bad (error, display_name, "corrupt end of central directory");
      return NULL;
    }

  g_autoptr (VkaZip) zip = g_new0 (VkaZip, 1);
  zip->entries = g_array_sized_new (FALSE, TRUE, sizeof (VkaZipEntry), n);
  g_array_set_clear_func (zip->entries, entry_clear);
  zip->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  zip->display_name = display_name;

  gsize cd = cd_off;
  for (guint i = 0; i < n; i++)
    {
      VkaZipEntry entry = { 0 };
      if (!read_entry (data, size, &cd, (gsize) cd_off + cd_size, &entry,
                       display_name, error))
        return NULL;
      g_array_append_val (zip->entries, entry);
    }
  /* Index only after the array stops moving; the first of duplicates wins. */
  for (guint i = 0; i < zip->entries->len; i++)
    {
      VkaZipEntry *en = &g_array_index (zip->entries, VkaZipEntry, i);
      if (!g_hash_table_contains (zip->by_name, en->name))
        g_hash_table_insert (zip->by_name, en->name, GUINT_TO_POINTER (i + 1));
    }
  return g_steal_pointer (&zip);
}

guint
vka_zip_count (const VkaZip *zip)
{
  return zip->entries->len;
}

const VkaZipEntry *
vka_zip_nth (const VkaZip *zip, guint index)
{
  g_return_val_if_fail (index < zip->entries->len, NULL);
  return &g_array_index (zip->entries, VkaZipEntry, index);
}

gboolean
vka_zip_get (const VkaZip *zip, const char *name, const guint8 **data,
             gsize *size, GError **error)
{
  guint i = GPOINTER_TO_UINT (g_hash_table_lookup (zip->by_name, name));
  if (i == 0)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_FILE_FORMAT,
                   "%s: zip archive has no entry '%s'", zip->display_name, name);
      return FALSE;
    }
  const VkaZipEntry *e = vka_zip_nth (zip, i - 1);
  if (e->method != 0)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_FILE_FORMAT,
                   "%s: zip entry '%s' is compressed (method %u); only stored "
                   "entries are supported", zip->display_name, name, e->method);
      return FALSE;
    }
  *data = e->data;
  *size = e->size;
  return TRUE;
}
