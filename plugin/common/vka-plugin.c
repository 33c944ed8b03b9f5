/* vka-plugin.c — model and style folders, GEGL buffers <-> VkaImage, and
 * the stylise call shared by the GIMP 2.10 and 3.0 front-ends. */
#include "vka-plugin.h"
#include "vka-plugin-i18n.h"
#include "vka-color.h"
#include "vka-imageio.h"
#include "vka-prepare.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef VKA_DATADIR
#error "VKA_DATADIR must be defined by the build"
#endif


/* ---- Folders ---------------------------------------------------------------- */

gboolean
vka_plugin_find_model (const char *profile_dir, const char *model_dir,
                       char **encoder_path, char **decoder_path, GError **error)
{
  /* $VK_ADAIN_MODELS goes before the profile's folder (the order);
   * vka_model_files_find leaves it out of its own list then */
  g_autofree char *profile_models = profile_dir
    ? g_build_filename (profile_dir, "vk-adain", "models", NULL) : NULL;
  const char *env = g_getenv ("VK_ADAIN_MODELS");
  const char *extra[4] = { NULL, NULL, NULL, NULL };
  int n = 0;
  if (model_dir && model_dir[0])
    extra[n++] = model_dir;
  if (env && env[0])
    extra[n++] = env;
  if (profile_models)
    extra[n++] = profile_models;
  return vka_model_files_find (extra, encoder_path, decoder_path, error);
}

GStrv
vka_plugin_style_dirs (const char *profile_dir)
{
  GPtrArray *dirs = g_ptr_array_new ();
  const char *env = g_getenv ("VK_ADAIN_STYLES");
  if (env && env[0])
    g_ptr_array_add (dirs, g_strdup (env));
  if (profile_dir)
    g_ptr_array_add (dirs, g_build_filename (profile_dir, "vk-adain", "styles", NULL));
  g_ptr_array_add (dirs, g_build_filename (g_get_user_data_dir (), "vk-adain", "styles",
                                           NULL));
  g_ptr_array_add (dirs, g_build_filename (VKA_DATADIR, "styles", NULL));
  g_ptr_array_add (dirs, g_build_filename (VKA_DATADIR, "samples", NULL));
  g_ptr_array_add (dirs, NULL);
  return (GStrv) g_ptr_array_free (dirs, FALSE);
}

static gint
compare_paths (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

GPtrArray *
vka_plugin_list_styles (const char *profile_dir)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  g_auto (GStrv) dirs = vka_plugin_style_dirs (profile_dir);
  for (int i = 0; dirs[i]; i++)
    {
      g_autoptr (GDir) dir = g_dir_open (dirs[i], 0, NULL);
      if (!dir)
        continue;
      g_autoptr (GPtrArray) found = g_ptr_array_new ();
      const char *name;
      while ((name = g_dir_read_name (dir)))
        {
          char *full = g_build_filename (dirs[i], name, NULL);
          /* The installed samples folder also holds the sample content. */
          gboolean wanted = !g_str_has_suffix (dirs[i], "samples")
                            || g_str_has_prefix (name, "style");
          if (wanted && vka_picture_name_known (name) && g_file_test (full, G_FILE_TEST_IS_REGULAR))
            g_ptr_array_add (found, full);
          else
            g_free (full);
        }
      g_ptr_array_sort (found, compare_paths);
      for (guint k = 0; k < found->len; k++)
        g_ptr_array_add (out, found->pdata[k]);
    }
  return out;
}

/* ---- Devices and the model folder -------------------------------------------- */

static void
choice_free (gpointer p)
{
  VkaPluginChoice *c = p;
  g_free (c->id);
  g_free (c->label);
  g_free (c);
}

static void
add_choice (GPtrArray *out, const char *id, char *label)
{
  VkaPluginChoice *c = g_new (VkaPluginChoice, 1);
  c->id = g_strdup (id);
  c->label = label;
  g_ptr_array_add (out, c);
}

GPtrArray *
vka_plugin_device_choices (void)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (choice_free);
  add_choice (out, "", g_strdup (_("Automatic (a GPU first)")));
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) list = vka_list_devices (&error);
  if (!list)
    {
      g_debug ("no devices: %s", error->message);
      return out;
    }
  for (guint i = 0; i < list->len; i++)
    {
      const VkaDeviceInfo *d = list->pdata[i];
      /* The CPU backend (last, when built) is chosen by "cpu": its name
       * carries the thread count, which may change. Vulkan devices are
       * chosen by name (a substring match), which survives a change in
       * the loader's order. */
      gboolean cpu_backend = g_str_has_prefix (d->driver, "vk-adain CPU backend");
      add_choice (out, cpu_backend ? "cpu" : d->name,
                  cpu_backend ? g_strdup_printf (_("%s (CPU backend)"), d->name)
                              : g_strdup_printf ("%s (%s)", d->name,
                                                 vka_device_type_name (d->type)));
    }
  return out;
}

char *
vka_plugin_model_description (const char *profile_dir, const char *model_dir)
{
  g_autofree char *enc = NULL, *dec = NULL;
  g_autoptr (GError) error = NULL;
  if (!vka_plugin_find_model (profile_dir, model_dir, &enc, &dec, &error))
    return g_strdup (error->message);
  g_autofree char *dir = g_path_get_dirname (enc);
  g_autofree char *disp = g_filename_display_name (dir);
  return g_strdup_printf (_("Model: %s"), disp);
}

char *
vka_plugin_model_folder (const char *profile_dir, const char *model_dir)
{
  g_autofree char *enc = NULL, *dec = NULL;
  if (!vka_plugin_find_model (profile_dir, model_dir, &enc, &dec, NULL))
    return NULL;
  return g_path_get_dirname (enc);
}

/* ---- Pixels ----------------------------------------------------------------- */

VkaStyleLayer *
vka_plugin_style_layer_read (GeglBuffer *buffer, const char *name, gboolean is_8bit,
                             GError **error)
{
  static guint serial;
  const GeglRectangle *extent = gegl_buffer_get_extent (buffer);
  g_autoptr (VkaImage) image = vka_plugin_buffer_read (buffer, extent, FALSE, FALSE, error);
  if (!image)
    return NULL;
  VkaStyleLayer *layer = g_new0 (VkaStyleLayer, 1);
  layer->name = g_strdup (name);
  layer->is_8bit = is_8bit;
  layer->width = image->width;
  layer->height = image->height;
  layer->pixels = g_steal_pointer (&image->pixels);
  layer->serial = ++serial;
  return layer;
}


const char *
vka_plugin_format_name (int channels)
{
  static const char *const names[] = { "Y' float", "Y'A float", "R'G'B' float",
                                       "R'G'B'A float" };
  g_return_val_if_fail (channels >= 1 && channels <= 4, NULL);
  return names[channels - 1];
}

VkaImage *
vka_plugin_buffer_read (GeglBuffer *buffer, const GeglRectangle *rect, gboolean gray,
                        gboolean alpha, GError **error)
{
  int channels = (gray ? 1 : 3) + (alpha ? 1 : 0);
  VkaImage *image = vka_image_new (rect->width, rect->height, channels, error);
  if (!image)
    return NULL;
  gegl_buffer_get (buffer, rect, 1.0, babl_format (vka_plugin_format_name (channels)),
                   image->pixels, GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE);
  return image;
}

void
vka_plugin_buffer_write (GeglBuffer *buffer, const GeglRectangle *rect,
                         const VkaImage *image)
{
  g_return_if_fail (image->width == rect->width && image->height == rect->height);
  gegl_buffer_set (buffer, rect, 0, babl_format (vka_plugin_format_name (image->channels)),
                   image->pixels, GEGL_AUTO_ROWSTRIDE);
}

/* ---- The engine ----------------------------------------------------------------- */

typedef struct
{
  char           *key;      /* the path, or "\n" + a layer's serial */
  int             size;
  VkaStyleSource *source;
} StyleEntry;

struct VkaPluginEngine
{
  char       *profile_dir;
  char       *model_key;  /* model_dir + "\n" + device of the loaded model */
  VkaContext *context;
  VkaModel   *model;
  GPtrArray  *styles;     /* StyleEntry*, a small cache */
};

static void
style_entry_free (gpointer p)
{
  StyleEntry *e = p;
  g_free (e->key);
  vka_style_source_free (e->source);
  g_free (e);
}

VkaPluginEngine *
vka_plugin_engine_new (const char *profile_dir)
{
  VkaPluginEngine *engine = g_new0 (VkaPluginEngine, 1);
  engine->profile_dir = g_strdup (profile_dir);
  engine->styles = g_ptr_array_new_with_free_func (style_entry_free);
  return engine;
}

void
vka_plugin_engine_free (VkaPluginEngine *engine)
{
  if (!engine)
    return;
  g_ptr_array_unref (engine->styles);
  vka_model_free (engine->model);
  vka_context_free (engine->context);
  g_free (engine->model_key);
  g_free (engine->profile_dir);
  g_free (engine);
}

static gboolean
ensure_model (VkaPluginEngine *engine, const VkaPluginSettings *s, GError **error)
{
  g_autofree char *key = g_strdup_printf ("%s\n%s", s->model_dir ? s->model_dir : "",
                                          s->device ? s->device : "");
  if (engine->model && g_strcmp0 (key, engine->model_key) == 0)
    return TRUE;
  g_clear_pointer (&engine->model, vka_model_free);
  g_clear_pointer (&engine->context, vka_context_free);
  g_clear_pointer (&engine->model_key, g_free);

  g_autofree char *enc_path = NULL, *dec_path = NULL;
  if (!vka_plugin_find_model (engine->profile_dir, s->model_dir, &enc_path, &dec_path,
                              error))
    return FALSE;
  VkaContextOptions copt = { .device = s->device && s->device[0] ? s->device : NULL };
  g_autoptr (VkaContext) context = vka_context_new (&copt, error);
  if (!context)
    return FALSE;
  VkaModel *model = vka_model_load (context, enc_path, dec_path, error);
  if (!model)
    return FALSE;
  engine->context = g_steal_pointer (&context);
  engine->model = model;
  engine->model_key = g_steal_pointer (&key);
  return TRUE;
}


/* The style picture as the CLI prepares it: loaded through GEGL, shorter
 * side resized to size with PIL's arithmetic (8-bit files exactly). A
 * layer (path NULL) is resized the same way. */
static StyleEntry *
get_style (VkaPluginEngine *engine, const char *path, const VkaStyleLayer *layer, int size,
           GError **error)
{
  g_autofree char *key = path ? g_strdup (path) : g_strdup_printf ("\n%u", layer->serial);
  for (guint i = 0; i < engine->styles->len; i++)
    {
      StyleEntry *e = engine->styles->pdata[i];
      if (e->size == size && strcmp (e->key, key) == 0)
        return e;
    }
  g_autoptr (VkaStyleSource) source = NULL;
  if (layer)
    {
      VkaImage raw = { layer->width, layer->height, 3, layer->pixels };
      source = vka_style_source_new_image (&raw, layer->name, layer->is_8bit, size, FALSE,
                                           error);
    }
  else
    source = vka_style_source_new_file (path, size, FALSE, error);
  if (!source)
    return NULL;
  StyleEntry *e = g_new0 (StyleEntry, 1);
  e->key = g_steal_pointer (&key);
  e->size = size;
  e->source = g_steal_pointer (&source);
  if (engine->styles->len >= 4)
    g_ptr_array_remove_index (engine->styles, 0);
  g_ptr_array_add (engine->styles, e);
  return e;
}

/* vka_stylize reports progress between tiles (and checks the cancellable
 * there); Stage maps its [0,1] onto a part of the whole run. */
typedef struct
{
  VkaPluginProgress func;
  gpointer          data;
  double            from, to;
  GCancellable     *cancellable;
  int               reports;       /* tiles done so far (both passes) */
  int               cancel_after;  /* test hook: cancel after this many, 0 = never */
} Stage;

/* A number from a test-only environment variable; 0 when unset. */
static int
env_int (const char *name)
{
  const char *v = g_getenv (name);
  return v && v[0] ? MAX (0, atoi (v)) : 0;
}

static void
stage_progress (double fraction, gpointer data)
{
  Stage *st = data;
  if (st->func)
    st->func (st->from + (st->to - st->from) * CLAMP (fraction, 0.0, 1.0), NULL, st->data);
  /* VKA_PLUGIN_TEST_CANCEL_AFTER=N: the tests' stand-in for GIMP's Cancel
   * button, pressed once N tiles are done. */
  if (st->cancel_after > 0 && ++st->reports == st->cancel_after)
    {
      g_printerr ("vk-adain: test cancel after %d tile(s), at %.0f%%\n", st->reports,
                  100.0 * fraction);
      g_cancellable_cancel (st->cancellable);
    }
}

gboolean
vka_plugin_error_is_cancel (const GError *error)
{
  return g_error_matches (error, VKA_ERROR, VKA_ERROR_CANCELLED)
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
copy_alpha (VkaImage *out, const VkaImage *content)
{
  if (out->channels != 4)
    return;
  gboolean has = content->channels == 2 || content->channels == 4;
  gsize n = (gsize) out->width * out->height;
  for (gsize i = 0; i < n; i++)
    out->pixels[i * 4 + 3] = has ? content->pixels[i * content->channels
                                                   + content->channels - 1] : 1.0f;
}

gboolean
vka_plugin_engine_run (VkaPluginEngine *engine, const VkaPluginSettings *s,
                       const VkaImage *content, gboolean content_8bit, VkaImage *out,
                       VkaPluginProgress progress, gpointer progress_data,
                       GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (out->width == content->width && out->height == content->height
                        && out->channels >= 3, FALSE);
  if (!vka_plugin_settings_check (s, error))
    return FALSE;
  if (progress)
    progress (0.0, _("Loading the model"), progress_data);
  if (!ensure_model (engine, s, error))
    return FALSE;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  /* The content at the working resolution (the CLI's --content-size). */
  g_autoptr (VkaImage) small = NULL;
  const VkaImage *work = content;
  if (s->content_size > 0 && MIN (content->width, content->height) != s->content_size)
    {
      small = vka_image_resize_shorter (content, s->content_size, content_8bit, error);
      if (!small)
        return FALSE;
      work = small;
    }

  if (progress)
    progress (0.05, _("Reading the style"), progress_data);
  const char *paths[2] = { s->style_file, s->style_file_2 };
  int n = s->style_file_2 && s->style_file_2[0] ? 2 : 1;
  double weights[2] = { 1.0 - s->style_blend, s->style_blend };
  if (n == 1)
    weights[0] = 1.0;
  g_autoptr (GPtrArray) styles = g_ptr_array_new_with_free_func ((GDestroyNotify) vka_style_free);
  VkaImageSource work_source;
  vka_image_source_init (&work_source, work);
  for (int i = 0; i < n; i++)
    {
      /* The same core calls for a layer as for a file: resize, encode. */
      const VkaStyleLayer *layer = i == 0 ? s->style_layer : NULL;
      StyleEntry *entry = get_style (engine, layer ? NULL : paths[i], layer, s->style_size,
                                     error);
      if (!entry)
        return FALSE;
      /* The on-disk cache the CLI uses too: a style met before, by either,
       * is not encoded again. */
      VkaStyleEncodeOptions eo = { s->color_mode, &work_source, TRUE, NULL };
      VkaStyle *st = vka_style_source_encode (engine->model, entry->source, &eo, cancellable,
                                              error);
      if (!st)
        return FALSE;
      g_ptr_array_add (styles, st);
    }
  /* Drop a style of weight 0 (vka_stylize wants a positive total). */
  if (n == 2 && weights[1] <= 0)
    n = 1;
  else if (n == 2 && weights[0] <= 0)
    {
      g_ptr_array_remove_index (styles, 0);
      weights[0] = 1.0;
      n = 1;
    }

  g_autoptr (VkaImage) small_out = NULL;
  VkaImage *target = out;
  if (work != content)
    {
      small_out = vka_image_new (work->width, work->height, out->channels, error);
      if (!small_out)
        return FALSE;
      target = small_out;
    }
  if (progress)
    progress (0.1, _("Stylizing"), progress_data);
  /* Without a caller's cancellable the test hook still needs one. */
  g_autoptr (GCancellable) own = cancellable ? NULL : g_cancellable_new ();
  Stage st = { progress, progress_data, 0.1, work != content ? 0.9 : 0.98,
               cancellable ? cancellable : own, 0,
               env_int ("VKA_PLUGIN_TEST_CANCEL_AFTER") };
  VkaStylizeOptions opt = VKA_STYLIZE_OPTIONS_DEFAULT;
  opt.alpha = s->strength;
  opt.tile = env_int ("VKA_PLUGIN_TILE");   /* 0: from the device's memory */
  opt.memory_limit = s->memory_limit;
  g_autoptr (GError) local = NULL;
  if (!vka_stylize (engine->model, work, (const VkaStyle *const *) styles->pdata, weights, n,
                    &opt, target, stage_progress, &st, st.cancellable, &local))
    {
      if (vka_plugin_error_is_cancel (local))
        g_set_error_literal (error, VKA_ERROR, VKA_ERROR_CANCELLED,
                             _("Style transfer was cancelled; the image is unchanged"));
      else
        g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (s->color_mode == VKA_COLOR_LUMINANCE && !vka_color_luminance (target, work, error))
    return FALSE;

  if (work != content)
    {
      /* Back to the layer's size; alpha is the layer's own, unresampled. */
      g_autoptr (VkaImage) big = vka_image_resize (small_out, content->width, content->height,
                                                   FALSE, error);
      if (!big)
        return FALSE;
      memcpy (out->pixels, big->pixels,
              sizeof (float) * (gsize) out->width * out->height * out->channels);
      copy_alpha (out, content);
      /* The bilinear filter can leave [0,1] by a hair: keep it in range. */
      gsize total = (gsize) out->width * out->height * out->channels;
      for (gsize i = 0; i < total; i++)
        out->pixels[i] = CLAMP (out->pixels[i], 0.0f, 1.0f);
    }
  if (progress)
    progress (1.0, NULL, progress_data);
  return TRUE;
}

gboolean
vka_plugin_stylize_buffer (VkaPluginEngine *engine, const VkaPluginSettings *settings,
                           GeglBuffer *src, GeglBuffer *dst, const GeglRectangle *rect,
                           gboolean gray, gboolean alpha, gboolean content_8bit,
                           VkaPluginProgress progress, gpointer progress_data,
                           GCancellable *cancellable, GError **error)
{
  g_autoptr (VkaImage) content = vka_plugin_buffer_read (src, rect, gray, alpha, error);
  if (!content)
    return FALSE;
  g_autoptr (VkaImage) out = vka_image_new (rect->width, rect->height, alpha ? 4 : 3, error);
  if (!out)
    return FALSE;
  if (!vka_plugin_engine_run (engine, settings, content, content_8bit, out, progress,
                              progress_data, cancellable, error))
    return FALSE;
  vka_plugin_buffer_write (dst, rect, out);
  return TRUE;
}

guchar *
vka_plugin_preview_render (VkaPluginEngine *engine, const VkaPluginSettings *settings,
                           GeglBuffer *src, const GeglRectangle *rect, gboolean gray,
                           gboolean alpha, gboolean content_8bit, int *rowstride,
                           GError **error)
{
  g_autoptr (VkaImage) content = vka_plugin_buffer_read (src, rect, gray, alpha, error);
  if (!content)
    return NULL;
  g_autoptr (VkaImage) out = vka_image_new (rect->width, rect->height, alpha ? 4 : 3, error);
  if (!out || !vka_plugin_engine_run (engine, settings, content, content_8bit, out, NULL,
                                      NULL, NULL, error))
    return NULL;
  static const char *const u8_names[] = { "Y' u8", "Y'A u8", "R'G'B' u8", "R'G'B'A u8" };
  int channels = (gray ? 1 : 3) + (alpha ? 1 : 0);
  const Babl *fish = babl_fish (babl_format (vka_plugin_format_name (out->channels)),
                                babl_format (u8_names[channels - 1]));
  gsize n = (gsize) rect->width * rect->height;
  guchar *bytes = g_malloc (n * channels);
  babl_process (fish, out->pixels, bytes, n);
  *rowstride = rect->width * channels;
  return bytes;
}
