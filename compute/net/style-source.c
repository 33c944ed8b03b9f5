/* style-source.c — a style from a picture, a statistics file or pixels,
 * prepared, colour-transferred and encoded (vka-prepare.h). */
#include "vka-prepare.h"
#include "vka-imageio.h"
#include "vka-i18n.h"

struct VkaStyleSource
{
  char     *display;  /* the file or the pixels' name, for messages */
  VkaImage *image;    /* the prepared picture; NULL for a statistics file */
  VkaStyle *style;    /* statistics without colour transfer, made on first use */
};

VkaStyleSource *
vka_style_source_new_file (const char *path, int size, gboolean crop, GError **error)
{
  g_autoptr (VkaStyleSource) s = g_new0 (VkaStyleSource, 1);
  s->display = g_filename_display_name (path);
  if (vka_style_file_probe (path))
    s->style = vka_style_load (path, error);
  else
    s->image = vka_image_load_transformed (path, size, crop, error);
  return s->style || s->image ? g_steal_pointer (&s) : NULL;
}

VkaStyleSource *
vka_style_source_new_image (const VkaImage *image, const char *name, gboolean is_8bit,
                            int size, gboolean crop, GError **error)
{
  g_autoptr (VkaStyleSource) s = g_new0 (VkaStyleSource, 1);
  s->display = g_strdup (name);
  s->image = vka_image_transform (image, size, crop, is_8bit, error);
  return s->image ? g_steal_pointer (&s) : NULL;
}

void
vka_style_source_free (VkaStyleSource *source)
{
  if (!source)
    return;
  g_free (source->display);
  vka_image_free (source->image);
  vka_style_free (source->style);
  g_free (source);
}

const VkaImage *
vka_style_source_image (const VkaStyleSource *source)
{
  return source->image;
}

static VkaStyle *
encode_picture (VkaModel *model, const VkaImage *image, const VkaStyleEncodeOptions *o,
                GCancellable *cancellable, GError **error)
{
  if (!o->cache)
    return vka_style_from_image (model, image, cancellable, error);
  if (o->cache_folder)
    return vka_style_from_image_cached_in (model, image, o->cache_folder, cancellable, error);
  return vka_style_from_image_cached (model, image, cancellable, error);
}

static VkaStyle *
encode_coral (VkaModel *model, VkaStyleSource *s, const VkaStyleEncodeOptions *o,
              GCancellable *cancellable, GError **error)
{
  if (!s->image)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                   _("colour transfer (coral) needs a style picture, and %s is a "
                     "statistics file"), s->display);
      return NULL;
    }
  g_autoptr (VkaImage) moved = vka_color_coral_source (s->image, o->content, error);
  return moved ? vka_style_from_image (model, moved, cancellable, error) : NULL;
}

static VkaStyle *
copy_style (const VkaStyle *style)
{
  return vka_style_new (vka_style_channels (style), vka_style_mean (style),
                        vka_style_std (style));
}

VkaStyle *
vka_style_source_encode (VkaModel *model, VkaStyleSource *source,
                         const VkaStyleEncodeOptions *options, GCancellable *cancellable,
                         GError **error)
{
  VkaStyleEncodeOptions defaults = VKA_STYLE_ENCODE_OPTIONS_DEFAULT;
  const VkaStyleEncodeOptions *o = options ? options : &defaults;
  if (o->color == VKA_COLOR_CORAL)
    return encode_coral (model, source, o, cancellable, error);
  if (!source->style)
    {
      g_autoptr (GError) e = NULL;
      source->style = encode_picture (model, source->image, o, cancellable, &e);
      if (!source->style)
        {
          g_set_error (error, e->domain, e->code, _("style %s: %s"), source->display,
                       e->message);
          return NULL;
        }
    }
  return copy_style (source->style);
}
