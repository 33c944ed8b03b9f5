/* style-cache.c — style statistics kept on disk between runs, so that a
 * style used before is not encoded again. The key is a SHA-256 of the
 * model's encoder and of the exact pixels that would be encoded, so a
 * changed picture, size, crop or encoder never meets a stale entry. */
#include "vka.h"
#include "stylize-private.h"

#include <glib/gstdio.h>
#include <errno.h>
#include <string.h>

static char *
cache_path (VkaModel *model, const VkaImage *image)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (sum, (const guchar *) vka_model_encoder_fingerprint (model), -1);
  gint32 header[3] = { image->width, image->height, image->channels };
  g_checksum_update (sum, (const guchar *) header, sizeof header);
  g_checksum_update (sum, (const guchar *) image->pixels,
                     (gssize) image->width * image->height * image->channels * sizeof (float));
  g_autofree char *name = g_strconcat (g_checksum_get_string (sum), ".safetensors", NULL);
  return g_build_filename (g_get_user_cache_dir (), "vk-adain", "styles", name, NULL);
}

static gboolean
cache_enabled (void)
{
  const char *env = g_getenv ("VKA_STYLE_CACHE");
  return !env || strcmp (env, "0") != 0;
}

VkaStyle *
vka_style_from_image_cached (VkaModel *model, const VkaImage *image,
                             GCancellable *cancellable, GError **error)
{
  if (!cache_enabled ())
    return vka_style_from_image (model, image, cancellable, error);
  g_autofree char *path = cache_path (model, image);
  if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_autoptr (GError) e = NULL;
      VkaStyle *style = vka_style_load (path, &e);
      if (style && vka_style_channels (style) == vka_model_feature_channels (model))
        return style;
      /* a damaged entry costs one encode and is replaced below */
      g_debug ("style cache: ignoring %s: %s", path, e ? e->message : "wrong channel count");
      vka_style_free (style);
    }
  VkaStyle *style = vka_style_from_image (model, image, cancellable, error);
  if (!style)
    return NULL;
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr (GError) e = NULL;
  if (g_mkdir_with_parents (dir, 0700) != 0 || !vka_style_save (style, path, &e))
    g_debug ("style cache: not saved in %s: %s", dir, e ? e->message : g_strerror (errno));
  return style;
}
