/* style-cache.c — style statistics kept on disk between runs, so that a
 * style used before is not encoded again. The key is a SHA-256 of the
 * model's encoder and of the exact pixels that would be encoded, so a
 * changed picture, size, crop or encoder never meets a stale entry.
 *
 * The folder may be shared by several processes at once (the tasks of a
 * job array): an entry is written to a temporary file of its own in the same
 * folder, synced and renamed over the entry's name (vka_style_save does all
 * three), so two writers of one entry both succeed, the last rename wins
 * with a complete file, and a reader sees the old file, the new one or none,
 * never half of one. Both writers write the same statistics anyway. */
#include "vka.h"
#include "stylize-private.h"

#include <glib/gstdio.h>
#include <errno.h>
#include <string.h>

static char *
cache_path (VkaModel *model, const VkaImage *image, const char *folder)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (sum, (const guchar *) vka_model_encoder_fingerprint (model), -1);
  gint32 header[3] = { image->width, image->height, image->channels };
  g_checksum_update (sum, (const guchar *) header, sizeof header);
  g_checksum_update (sum, (const guchar *) image->pixels,
                     (gssize) image->width * image->height * image->channels * sizeof (float));
  g_autofree char *name = g_strconcat (g_checksum_get_string (sum), ".safetensors", NULL);
  if (folder)
    return g_build_filename (folder, name, NULL);
  return g_build_filename (g_get_user_cache_dir (), "vk-adain", "styles", name, NULL);
}

static gboolean
cache_enabled (void)
{
  const char *env = g_getenv ("VKA_STYLE_CACHE");
  return !env || strcmp (env, "0") != 0;
}

VkaStyle *
vka_style_cache_read (const char *path, int channels)
{
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return NULL;
  g_autoptr (GError) e = NULL;
  VkaStyle *style = vka_style_load (path, &e);
  if (style && vka_style_channels (style) == channels)
    return style;
  /* a damaged entry costs one encode and is replaced */
  g_debug ("style cache: ignoring %s: %s", path, e ? e->message : "wrong channel count");
  vka_style_free (style);
  return NULL;
}

gboolean
vka_style_cache_write (const char *path, const VkaStyle *style, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int e = errno;
      g_autofree char *disp = g_filename_display_name (dir);
      g_set_error (error, VKA_ERROR, VKA_ERROR_IO, "cannot create %s: %s", disp,
                   g_strerror (e));
      return FALSE;
    }
  return vka_style_save (style, path, error);
}

VkaStyle *
vka_style_from_image_cached_in (VkaModel *model, const VkaImage *image, const char *folder,
                                GCancellable *cancellable, GError **error)
{
  g_autofree char *path = cache_path (model, image, folder);
  VkaStyle *style = vka_style_cache_read (path, vka_model_feature_channels (model));
  if (style)
    return style;
  style = vka_style_from_image (model, image, cancellable, error);
  if (!style)
    return NULL;
  g_autoptr (GError) e = NULL;
  if (!vka_style_cache_write (path, style, &e))
    g_debug ("style cache: %s not saved: %s", path, e->message);
  return style;
}

VkaStyle *
vka_style_from_image_cached (VkaModel *model, const VkaImage *image,
                             GCancellable *cancellable, GError **error)
{
  if (!cache_enabled ())
    return vka_style_from_image (model, image, cancellable, error);
  return vka_style_from_image_cached_in (model, image, NULL, cancellable, error);
}
