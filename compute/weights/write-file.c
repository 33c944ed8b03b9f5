/* write-file.c — pieces shared by the weight-file writers: float32 output
 * and the atomic file write. */
#include "weights-private.h"

#include <string.h>

gboolean
vka_weights_write_file (const char *path, const guint8 *data, gsize size,
                        const char *display_name, GError **error)
{
  /* Temporary file in the same folder, fsync, rename (GLib does all three). */
  GError *local = NULL;
  if (g_file_set_contents_full (path, (const char *) data, (gssize) size,
                                G_FILE_SET_CONTENTS_CONSISTENT |
                                G_FILE_SET_CONTENTS_DURABLE,
                                0644, &local))
    return TRUE;
  g_set_error (error, VKA_ERROR, VKA_ERROR_IO, "%s: cannot write: %s",
               display_name, local->message);
  g_error_free (local);
  return FALSE;
}

gboolean
vka_file_write_atomic (const char *path, const void *data, gsize size, GError **error)
{
  g_autofree char *display = g_filename_display_name (path);
  return vka_weights_write_file (path, data, size, display, error);
}

guint8 *
vka_weights_put_f32_le (guint8 *dst, const VkaTensorData *tensor)
{
  gint64 numel = vka_tensor_data_numel (tensor);
  for (gint64 k = 0; k < numel; k++, dst += 4)
    {
      guint32 bits;
      memcpy (&bits, &tensor->data[k], 4);
      bits = GUINT32_TO_LE (bits);
      memcpy (dst, &bits, 4);
    }
  return dst;
}
