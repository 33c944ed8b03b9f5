/* pth-write.c — save a state dict as PyTorch >= 1.6 does (torch.save's zip
 * serialisation), so that torch.load (also with weights_only=True) and our
 * own reader both take it.
 *
 * A ZIP archive, every entry stored, all under one folder "<stem>/":
 *   data.pkl    pickle protocol 2: an OrderedDict of name -> tensor, each
 *               torch._utils._rebuild_tensor_v2 (storage, 0, size, stride,
 *               False, OrderedDict ()) whose storage is the persistent id
 *               ('storage', torch.FloatStorage, '<key>', 'cpu', numel)
 *   data/<key>  the tensor's float32 values, little-endian (keys 0, 1, ...)
 *   version     "3\n"
 *   byteorder   "little"
 * As torch does, each entry's data starts on a 64-byte boundary, padded by
 * the local header's extra field (id "FB", filled with 'Z'). The sizes and
 * CRC-32 go in the local headers (no data descriptors); no ZIP64, so the
 * archive must stay below 4 GiB. */
#include "weights-private.h"

#include <string.h>

#define RECORD_ALIGNMENT  64
#define LOCAL_HEADER_SIZE 30
#define CENTRAL_RECORD_SIZE 46
#define END_RECORD_SIZE   22
#define ZIP32_LIMIT       G_GUINT64_CONSTANT (0xffffffff)
#define DOS_DATE_1980     0x0021   /* 1980-01-01: the zip epoch */
#define ENTRY_FIELDS_SIZE 22       /* version .. sizes, as put_entry_fields writes */

/* ---- The pickle -------------------------------------------------------- */

static void
put_byte (GByteArray *out, guint8 b)
{
  g_byte_array_append (out, &b, 1);
}

static void
put_u32_le (GByteArray *out, guint32 v)
{
  guint8 b[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24 };
  g_byte_array_append (out, b, 4);
}

/* GLOBAL: "c" module "\n" name "\n" */
static void
pickle_global (GByteArray *out, const char *module, const char *name)
{
  put_byte (out, 'c');
  g_byte_array_append (out, (const guint8 *) module, (guint) strlen (module));
  put_byte (out, '\n');
  g_byte_array_append (out, (const guint8 *) name, (guint) strlen (name));
  put_byte (out, '\n');
}

/* BINUNICODE: "X", a 32-bit length, UTF-8 bytes */
static void
pickle_string (GByteArray *out, const char *s)
{
  gsize len = strlen (s);
  put_byte (out, 'X');
  put_u32_le (out, (guint32) len);
  g_byte_array_append (out, (const guint8 *) s, (guint) len);
}

static void
pickle_int (GByteArray *out, gint64 v)
{
  if (v >= 0 && v <= 0xff)
    {
      put_byte (out, 'K');   /* BININT1 */
      put_byte (out, (guint8) v);
    }
  else if (v >= G_MININT32 && v <= G_MAXINT32)
    {
      put_byte (out, 'J');   /* BININT: signed 32-bit */
      put_u32_le (out, (guint32) v);
    }
  else
    {
      put_byte (out, 0x8a);  /* LONG1: 8 bytes of two's complement */
      put_byte (out, 8);
      for (int i = 0; i < 8; i++)
        put_byte (out, (guint8) ((guint64) v >> (8 * i)));
    }
}

static void
pickle_int_tuple (GByteArray *out, const gint64 *values, int n)
{
  put_byte (out, '(');   /* MARK */
  for (int i = 0; i < n; i++)
    pickle_int (out, values[i]);
  put_byte (out, 't');   /* TUPLE */
}

static void
pickle_empty_ordered_dict (GByteArray *out)
{
  pickle_global (out, "collections", "OrderedDict");
  put_byte (out, ')');   /* EMPTY_TUPLE */
  put_byte (out, 'R');   /* REDUCE */
}

/* _rebuild_tensor_v2 (storage, 0, size, stride, False, OrderedDict ()) */
static void
pickle_tensor (GByteArray *out, const VkaTensorData *t, guint storage_index)
{
  gint64 stride[VKA_MAX_DIMS];
  gint64 step = 1;
  for (int d = t->ndim - 1; d >= 0; d--)
    {
      stride[d] = step;
      step *= t->shape[d];
    }
  char key[16];
  g_snprintf (key, sizeof key, "%u", storage_index);

  pickle_global (out, "torch._utils", "_rebuild_tensor_v2");
  put_byte (out, '(');
  put_byte (out, '(');
  pickle_string (out, "storage");
  pickle_global (out, "torch", "FloatStorage");
  pickle_string (out, key);
  pickle_string (out, "cpu");
  pickle_int (out, vka_tensor_data_numel (t));
  put_byte (out, 't');
  put_byte (out, 'Q');   /* BINPERSID */
  pickle_int (out, 0);
  pickle_int_tuple (out, t->shape, t->ndim);
  pickle_int_tuple (out, stride, t->ndim);
  put_byte (out, 0x89);  /* NEWFALSE: requires_grad */
  pickle_empty_ordered_dict (out);   /* backward hooks */
  put_byte (out, 't');
  put_byte (out, 'R');
}

static GByteArray *
pickle_state_dict (const VkaWeights *weights)
{
  GByteArray *out = g_byte_array_new ();
  put_byte (out, 0x80);  /* PROTO 2 */
  put_byte (out, 2);
  pickle_empty_ordered_dict (out);
  put_byte (out, '(');
  for (guint i = 0; i < vka_weights_count (weights); i++)
    {
      const VkaTensorData *t = vka_weights_nth (weights, i);
      pickle_string (out, t->name);
      pickle_tensor (out, t, i);
    }
  put_byte (out, 'u');   /* SETITEMS */
  put_byte (out, '.');   /* STOP */
  return out;
}

/* ---- The archive --------------------------------------------------------- */

typedef struct
{
  char                *name;     /* "<stem>/data/0" */
  const guint8        *bytes;    /* small entries: their content */
  const VkaTensorData *tensor;   /* tensor entries: written from here */
  guint64              size;
  guint32              crc;
  guint64              header_offset;
  guint16              extra_len;
} Record;

static void
record_clear (gpointer p)
{
  g_free (((Record *) p)->name);
}

static guint32
crc32_update (const guint32 table[256], guint32 crc, const guint8 *p, gsize n)
{
  for (gsize i = 0; i < n; i++)
    crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return crc;
}

/* CRC-32 (the ZIP one: reflected polynomial 0xEDB88320) of bytes already in
 * their final place. */
static guint32
crc32_of (const guint8 *p, gsize n)
{
  guint32 table[256];
  for (guint32 i = 0; i < 256; i++)
    {
      guint32 c = i;
      for (int k = 0; k < 8; k++)
        c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
      table[i] = c;
    }
  return crc32_update (table, 0xffffffffu, p, n) ^ 0xffffffffu;
}

/* torch's own choice: the file name up to its first dot, e.g.
 * "decoder_iter_100" for decoder_iter_100.pth.tar; "archive" when that
 * leaves nothing portable. */
static char *
archive_folder (const char *path)
{
  g_autofree char *base = g_path_get_basename (path);
  GString *stem = g_string_new (NULL);
  for (const char *c = base; *c && *c != '.'; c++)
    if (g_ascii_isalnum (*c) || *c == '_' || *c == '-')
      g_string_append_c (stem, *c);
  if (stem->len == 0)
    g_string_assign (stem, "archive");
  return g_string_free (stem, FALSE);
}

static void
add_record (GArray *records, char *name, const guint8 *bytes,
            const VkaTensorData *tensor, guint64 size)
{
  Record r = { name, bytes, tensor, size, 0, 0, 0 };
  g_array_append_val (records, r);
}

/* Places every record; returns the archive's total size. */
static guint64
lay_out (GArray *records, guint64 *central_offset, guint64 *central_size)
{
  guint64 pos = 0, central = 0;
  for (guint i = 0; i < records->len; i++)
    {
      Record *r = &g_array_index (records, Record, i);
      guint64 name_end = pos + LOCAL_HEADER_SIZE + strlen (r->name);
      /* the extra field holds at least its own 4-byte header */
      r->extra_len = (guint16) ((RECORD_ALIGNMENT - (name_end + 4) % RECORD_ALIGNMENT)
                                % RECORD_ALIGNMENT + 4);
      r->header_offset = pos;
      pos = name_end + r->extra_len + r->size;
      central += CENTRAL_RECORD_SIZE + strlen (r->name);
    }
  *central_offset = pos;
  *central_size = central;
  return pos + central + END_RECORD_SIZE;
}

static guint8 *
put_u16 (guint8 *p, guint16 v)
{
  p[0] = v & 0xff;
  p[1] = v >> 8;
  return p + 2;
}

static guint8 *
put_u32 (guint8 *p, guint32 v)
{
  return put_u16 (put_u16 (p, v & 0xffff), v >> 16);
}

static guint8 *
put_bytes (guint8 *p, const void *src, gsize n)
{
  memcpy (p, src, n);
  return p + n;
}

/* Version 2.0, no flags, stored, time 00:00 on 1980-01-01; then CRC and sizes. */
static guint8 *
put_entry_fields (guint8 *p, const Record *r)
{
  p = put_u16 (p, 20);
  p = put_u16 (p, 0);
  p = put_u16 (p, 0);
  p = put_u16 (p, 0);
  p = put_u16 (p, DOS_DATE_1980);
  p = put_u32 (p, r->crc);
  p = put_u32 (p, (guint32) r->size);
  return put_u32 (p, (guint32) r->size);
}

static void
write_local_record (guint8 *archive, Record *r)
{
  guint8 *p = archive + r->header_offset;
  gsize name_len = strlen (r->name);
  p = put_u32 (p, 0x04034b50);
  guint8 *fields = p;
  p += ENTRY_FIELDS_SIZE;   /* CRC and sizes are known once the data is in */
  p = put_u16 (p, (guint16) name_len);
  p = put_u16 (p, r->extra_len);
  p = put_bytes (p, r->name, name_len);
  p = put_u16 (p, 0x4246);  /* "FB" */
  p = put_u16 (p, (guint16) (r->extra_len - 4));
  memset (p, 'Z', r->extra_len - 4u);
  p += r->extra_len - 4u;

  if (r->tensor)
    vka_weights_put_f32_le (p, r->tensor);
  else
    memcpy (p, r->bytes, r->size);
  r->crc = crc32_of (p, r->size);
  put_entry_fields (fields, r);
}

static guint8 *
put_central_record (guint8 *p, const Record *r)
{
  gsize name_len = strlen (r->name);
  p = put_u32 (p, 0x02014b50);
  p = put_u16 (p, 20);      /* made by: version 2.0, MS-DOS attributes */
  p = put_entry_fields (p, r);
  p = put_u16 (p, (guint16) name_len);
  p = put_u16 (p, 0);       /* extra */
  p = put_u16 (p, 0);       /* comment */
  p = put_u16 (p, 0);       /* disk */
  p = put_u16 (p, 0);       /* internal attributes */
  p = put_u32 (p, 0);       /* external attributes */
  p = put_u32 (p, (guint32) r->header_offset);
  return put_bytes (p, r->name, name_len);
}

static void
write_archive (guint8 *archive, GArray *records, guint64 central_offset,
               guint64 central_size)
{
  for (guint i = 0; i < records->len; i++)
    write_local_record (archive, &g_array_index (records, Record, i));
  guint8 *p = archive + central_offset;
  for (guint i = 0; i < records->len; i++)
    p = put_central_record (p, &g_array_index (records, Record, i));
  p = put_u32 (p, 0x06054b50);
  p = put_u16 (p, 0);       /* this disk */
  p = put_u16 (p, 0);       /* the directory's disk */
  p = put_u16 (p, (guint16) records->len);
  p = put_u16 (p, (guint16) records->len);
  p = put_u32 (p, (guint32) central_size);
  p = put_u32 (p, (guint32) central_offset);
  put_u16 (p, 0);           /* comment */
}

static gboolean
check_names (const VkaWeights *weights, const char *display_name, GError **error)
{
  for (guint i = 0; i < vka_weights_count (weights); i++)
    if (!g_utf8_validate (vka_weights_nth (weights, i)->name, -1, NULL))
      {
        g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                     "%s: tensor name is not valid UTF-8", display_name);
        return FALSE;
      }
  return TRUE;
}

gboolean
vka_weights_save_pth (const VkaWeights *weights, const char *path, GError **error)
{
  static const char version[] = "3\n", byteorder[] = "little";
  g_autofree char *display_name = g_filename_display_basename (path);
  guint n = vka_weights_count (weights);
  if (!check_names (weights, display_name, error))
    return FALSE;
  /* the directory's 16-bit entry count: tensors + data.pkl, version, byteorder */
  if (n >= 0xffff - 3)   /* 0xffff itself means ZIP64 */
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_TOO_LARGE,
                   "%s: %u tensors are more than a zip archive without ZIP64 "
                   "holds", display_name, n);
      return FALSE;
    }

  g_autofree char *folder = archive_folder (path);
  g_autoptr (GByteArray) pickle = pickle_state_dict (weights);
  g_autoptr (GArray) records = g_array_new (FALSE, TRUE, sizeof (Record));
  g_array_set_clear_func (records, record_clear);
  add_record (records, g_strconcat (folder, "/data.pkl", NULL), pickle->data, NULL,
              pickle->len);
  for (guint i = 0; i < n; i++)
    {
      const VkaTensorData *t = vka_weights_nth (weights, i);
      add_record (records, g_strdup_printf ("%s/data/%u", folder, i), NULL, t,
                  (guint64) vka_tensor_data_numel (t) * sizeof (float));
    }
  add_record (records, g_strconcat (folder, "/version", NULL),
              (const guint8 *) version, NULL, strlen (version));
  add_record (records, g_strconcat (folder, "/byteorder", NULL),
              (const guint8 *) byteorder, NULL, strlen (byteorder));

  guint64 central_offset, central_size;
  guint64 total = lay_out (records, &central_offset, &central_size);
  if (total > ZIP32_LIMIT)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_TOO_LARGE,
                   "%s: %" G_GUINT64_FORMAT " bytes are more than a zip archive "
                   "without ZIP64 holds (4 GiB)", display_name, total);
      return FALSE;
    }
  g_autofree guint8 *archive = g_try_malloc ((gsize) total);
  if (!archive)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_OUT_OF_MEMORY,
                   "%s: out of memory for %" G_GUINT64_FORMAT " bytes",
                   display_name, total);
      return FALSE;
    }
  write_archive (archive, records, central_offset, central_size);
  return vka_weights_write_file (path, archive, (gsize) total, display_name, error);
}
