/* vk-adain — stylise images (or folders of them) with AdaIN.
 *
 *   vk-adain --content FILE|DIR --style FILE[,FILE...]|DIR [options]
 *
 * Follows the reference PyTorch test script: the shorter side of content
 * and style is resized to --content-size / --style-size (default 512, 0
 * keeps it), optionally centre-cropped, styles given as a comma list are
 * mixed with --style-weights, a style folder stylises with each style in
 * turn. Outputs {content}_stylized_{style}{ext} (a mix:
 * {content}_interpolation{ext}) in --output, or exactly -o FILE.
 * Not here yet: --mask and --tile (spatial control and tiling options).
 */
#include "vka.h"
#include "vka-color.h"
#include "vka-imageio.h"

#include <errno.h>
#include <gegl.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


typedef struct
{
  char        *vgg, *decoder, *content, *style, *style_weights;
  char        *output_dir, *output_file, *save_ext, *save_style, *device, *mask;
  double       alpha;
  int          content_size, style_size, tile, threads;
  guint64      memory_limit;
  gboolean     crop, list_devices, quiet;
  VkaColorMode color;
  gboolean     progress;
} Options;

/* One style source: an image (encoded per need) or a statistics file. */
typedef struct
{
  char     *path;
  char     *stem;
  VkaImage *image;    /* resized style picture (NULL for a statistics file) */
  VkaStyle *style;    /* statistics without colour transfer, made on first use */
} StyleSource;

static void
style_source_free (gpointer p)
{
  StyleSource *s = p;
  g_free (s->path);
  g_free (s->stem);
  vka_image_free (s->image);
  vka_style_free (s->style);
  g_free (s);
}

static gboolean
parse_preserve (const char *name, const char *value, gpointer data, GError **error)
{
  Options *o = data;
  if (!value || g_strcmp0 (value, "coral") == 0)
    o->color = VKA_COLOR_CORAL;
  else if (g_strcmp0 (value, "luminance") == 0)
    o->color = VKA_COLOR_LUMINANCE;
  else
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--preserve-color: '%s' is neither coral nor luminance", value);
      return FALSE;
    }
  return TRUE;
}

/* --memory-limit: a size in bytes with a binary suffix (K, M, G, T, with or
 * without "iB"), or MiB when it has none; at least 64 MiB. */
static gboolean
parse_memory_limit (const char *name, const char *value, gpointer data, GError **error)
{
  Options *o = data;
  char *end = NULL;
  double amount = g_ascii_strtod (value, &end);
  static const struct { const char *suffix; int shift; } units[] = {
    { "", 20 }, { "k", 10 }, { "kib", 10 }, { "m", 20 }, { "mib", 20 },
    { "g", 30 }, { "gib", 30 }, { "t", 40 }, { "tib", 40 },
  };
  int shift = -1;
  for (gsize i = 0; end != value && i < G_N_ELEMENTS (units); i++)
    if (g_ascii_strcasecmp (end, units[i].suffix) == 0)
      shift = units[i].shift;
  double bytes = amount * (double) ((guint64) 1 << MAX (shift, 0));
  if (shift < 0 || !isfinite (amount) || amount <= 0 || bytes >= 0x1p63)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--memory-limit: '%s' is not a size (e.g. 512M, 1.5G; a plain number "
                   "is MiB)", value);
      return FALSE;
    }
  if (bytes < 64.0 * (1 << 20))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--memory-limit: %s is below the least a stylisation needs (64 MiB)",
                   value);
      return FALSE;
    }
  o->memory_limit = (guint64) bytes;
  return TRUE;
}

static char *
file_stem (const char *path)
{
  char *base = g_path_get_basename (path);
  char *dot = strrchr (base, '.');
  if (dot && dot != base)
    *dot = '\0';
  return base;
}

static gboolean
has_image_extension (const char *name)
{
  static const char *const exts[] = { ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp",
                                      ".safetensors", NULL };
  const char *dot = strrchr (name, '.');
  if (!dot || name[0] == '.')
    return FALSE;
  for (int i = 0; exts[i]; i++)
    if (g_ascii_strcasecmp (dot, exts[i]) == 0)
      return TRUE;
  return FALSE;
}

static gint
compare_strings (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* A file, or the image files of a folder (sorted, not recursive). */
static gboolean
collect (const char *path, const char *what, GPtrArray *out, GError **error)
{
  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_ptr_array_add (out, g_strdup (path));
      return TRUE;
    }
  g_autoptr (GDir) dir = g_dir_open (path, 0, error);
  if (!dir)
    return FALSE;
  guint before = out->len;
  const char *name;
  while ((name = g_dir_read_name (dir)))
    {
      char *full = g_build_filename (path, name, NULL);
      if (has_image_extension (name) && g_file_test (full, G_FILE_TEST_IS_REGULAR))
        g_ptr_array_add (out, full);
      else
        g_free (full);
    }
  if (out->len == before)
    {
      g_autofree char *disp = g_filename_display_name (path);
      g_set_error (error, VKA_ERROR, VKA_ERROR_IO,
                   "the %s folder %s has no images (.png .jpg .tif .webp)", what, disp);
      return FALSE;
    }
  qsort (out->pdata + before, out->len - before, sizeof (gpointer), compare_strings);
  return TRUE;
}

/* Load (and resize/crop) a picture as the reference's test_transform does. */
static VkaImage *
load_prepared (const char *path, int size, gboolean crop, VkaImageInfo *info, GError **error)
{
  VkaImageInfo local;
  g_autoptr (VkaImage) raw = vka_image_load (path, &local, error);
  if (!raw)
    return NULL;
  if (info)
    *info = local;
  g_autoptr (VkaImage) resized = vka_image_resize_shorter (raw, size, local.bits == 8, error);
  if (!resized)
    return NULL;
  if (!crop)
    return g_steal_pointer (&resized);
  return vka_image_center_crop (resized, size, error);
}

static gboolean
prepare_style (StyleSource *s, const Options *o, GError **error)
{
  if (s->image || s->style)
    return TRUE;
  if (vka_style_file_probe (s->path))
    {
      s->style = vka_style_load (s->path, error);
      return s->style != NULL;
    }
  s->image = load_prepared (s->path, o->style_size, o->crop, NULL, error);
  return s->image != NULL;
}

static VkaStyle *
encode_style (VkaModel *model, StyleSource *s, const VkaImage *content, VkaColorMode color,
              GError **error)
{
  g_autofree char *disp = g_filename_display_name (s->path);
  if (color == VKA_COLOR_CORAL)
    {
      if (!s->image)
        {
          g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                       "--preserve-color=coral needs style pictures, and %s is a "
                       "statistics file", disp);
          return NULL;
        }
      g_autoptr (VkaImage) moved = vka_color_coral (s->image, content, error);
      return moved ? vka_style_from_image (model, moved, NULL, error) : NULL;
    }
  if (!s->style)
    {
      g_autoptr (GError) e = NULL;
      s->style = vka_style_from_image_cached (model, s->image, NULL, &e);
      if (!s->style)
        {
          g_set_error (error, e->domain, e->code, "style %s: %s", disp, e->message);
          return NULL;
        }
    }
  return vka_style_new (vka_style_channels (s->style), vka_style_mean (s->style),
                        vka_style_std (s->style));
}

/* The weighted mix as one style (mean and std are mixed linearly, which is
 * exactly what vka_stylize does with several styles). */
static VkaStyle *
mix_to_one (VkaStyle **styles, const double *weights, int n)
{
  int c = vka_style_channels (styles[0]);
  g_autofree float *mean = g_new0 (float, c);
  g_autofree float *std = g_new0 (float, c);
  double total = 0;
  for (int i = 0; i < n; i++)
    total += weights[i];
  for (int i = 0; i < n; i++)
    for (int k = 0; k < c; k++)
      {
        mean[k] += (float) (weights[i] / total) * vka_style_mean (styles[i])[k];
        std[k] += (float) (weights[i] / total) * vka_style_std (styles[i])[k];
      }
  return vka_style_new (c, mean, std);
}

static void
print_progress (double fraction, gpointer data)
{
  const char *label = data;
  g_printerr ("\r%s %3d%%", label, (int) (fraction * 100 + 0.5));
}

static gboolean
same_file (const char *a, const char *b)
{
  GStatBuf sa, sb;
  return g_stat (a, &sa) == 0 && g_stat (b, &sb) == 0 && sa.st_dev == sb.st_dev
      && sa.st_ino == sb.st_ino;
}

/* The mask at the content's (prepared) size: resized, with a note, when the
 * file's size differs. */
static VkaImage *
load_mask (const Options *o, const VkaImage *content, GError **error)
{
  g_autoptr (VkaImage) mask = vka_image_load (o->mask, NULL, error);
  if (!mask)
    return NULL;
  if (mask->width == content->width && mask->height == content->height)
    return g_steal_pointer (&mask);
  if (!o->quiet)
    {
      g_autofree char *disp = g_filename_display_name (o->mask);
      g_printerr ("vk-adain: note: %s is %d×%d; resized to the content's %d×%d\n", disp,
                  mask->width, mask->height, content->width, content->height);
    }
  return vka_image_resize (mask, content->width, content->height, FALSE, error);
}

typedef struct
{
  const Options *o;
  VkaModel      *model;
  GPtrArray     *styles;     /* StyleSource*, all styles of one group */
  double        *weights;
  gboolean       mix;
  char          *out_path;   /* NULL: named from content and style */
  GPtrArray     *inputs;     /* every input path (never overwritten) */
} Job;

static gboolean
run_one (Job *job, const char *content_path, int index, int total, GError **error)
{
  const Options *o = job->o;
  VkaImageInfo info;
  g_autoptr (VkaImage) content = load_prepared (content_path, o->content_size, o->crop,
                                                &info, error);
  if (!content)
    return FALSE;
  int n = job->styles->len;
  g_autoptr (GPtrArray) styles = g_ptr_array_new_with_free_func ((GDestroyNotify) vka_style_free);
  for (int i = 0; i < n; i++)
    {
      StyleSource *s = job->styles->pdata[i];
      if (!prepare_style (s, o, error))
        return FALSE;
      VkaStyle *st = encode_style (job->model, s, content, o->color, error);
      if (!st)
        return FALSE;
      g_ptr_array_add (styles, st);
    }

  g_autofree char *stem = file_stem (content_path);
  g_autofree char *path = NULL;
  if (job->out_path)
    path = g_strdup (job->out_path);
  else
    {
      g_autofree char *name = job->mix
        ? g_strdup_printf ("%s_interpolation%s", stem, o->save_ext)
        : g_strdup_printf ("%s_stylized_%s%s", stem,
                           ((StyleSource *) job->styles->pdata[0])->stem, o->save_ext);
      path = g_build_filename (o->output_dir, name, NULL);
    }
  for (guint i = 0; i < job->inputs->len; i++)
    if (same_file (path, job->inputs->pdata[i]))
      {
        g_autofree char *disp = g_filename_display_name (path);
        g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                     "refusing to overwrite the input %s", disp);
        return FALSE;
      }

  gboolean alpha = content->channels == 2 || content->channels == 4;
  g_autoptr (VkaImage) out = vka_image_new (content->width, content->height, alpha ? 4 : 3,
                                            error);
  if (!out)
    return FALSE;
  VkaStylizeOptions sopt = VKA_STYLIZE_OPTIONS_DEFAULT;
  sopt.alpha = o->alpha;
  sopt.tile = o->tile;
  sopt.memory_limit = o->memory_limit;
  g_autoptr (VkaImage) mask = o->mask ? load_mask (o, content, error) : NULL;
  if (o->mask && !mask)
    return FALSE;
  sopt.mask = mask;
  g_autofree char *label = g_strdup_printf ("vk-adain: [%d/%d] %s", index, total, stem);
  g_autoptr (GError) e = NULL;
  if (!vka_stylize (job->model, content, (const VkaStyle *const *) styles->pdata,
                    job->weights, n, &sopt, out, o->progress ? print_progress : NULL,
                    label, NULL, &e))
    {
      g_autofree char *disp = g_filename_display_name (content_path);
      g_set_error (error, e->domain, e->code, "%s: %s", disp, e->message);
      return FALSE;
    }
  if (o->color == VKA_COLOR_LUMINANCE && !vka_color_luminance (out, content, error))
    return FALSE;
  if (!vka_image_save (out, path, error))
    return FALSE;
  if (o->progress)
    g_printerr ("\r%s -> %s\n", label, path);
  return TRUE;
}

static gboolean
parse_weights (const char *text, int n, double **out, GError **error)
{
  double *w = g_new (double, n);
  *out = w;
  if (!text)
    {
      for (int i = 0; i < n; i++)
        w[i] = 1.0;
      return TRUE;
    }
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);
  double total = 0;
  if ((int) g_strv_length (parts) != n)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                   "--style-weights has %u values for %d styles", g_strv_length (parts), n);
      return FALSE;
    }
  for (int i = 0; i < n; i++)
    {
      char *end;
      w[i] = g_ascii_strtod (parts[i], &end);
      if (end == parts[i] || *end || !(w[i] >= 0) || isinf (w[i]))
        {
          g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                       "--style-weights: '%s' is not a non-negative number", parts[i]);
          return FALSE;
        }
      total += w[i];
    }
  if (!(total > 0))
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                   "--style-weights must not all be zero");
      return FALSE;
    }
  return TRUE;
}

static int
list_devices (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) list = vka_list_devices (&error);
  if (!list)
    {
      g_printerr ("vk-adain: %s\n", error->message);
      return 1;
    }
  for (guint i = 0; i < list->len; i++)
    {
      VkaDeviceInfo *d = list->pdata[i];
      g_print ("%d: %s (%s, %s, %" G_GUINT64_FORMAT " MiB)\n", d->index, d->name,
               vka_device_type_name (d->type), d->driver, d->memory_bytes >> 20);
    }
  return 0;
}

/* The model folders ($VK_ADAIN_MODELS, then the build tree's models/ when
 * this executable runs from the build tree, so the README's command works
 * before installing) for whichever of --vgg and --decoder is not given. */
static gboolean
find_model (Options *o, GError **error)
{
  if (o->vgg && o->decoder)
    return TRUE;
  char *enc = NULL, *dec = NULL;
  if (!vka_model_files_find_for_program (VKA_BUILD_CLI_DIR, VKA_BUILD_MODELS_DIR, &enc, &dec,
                                         error))
    return FALSE;
  if (!o->vgg)
    o->vgg = enc;
  else
    g_free (enc);
  if (!o->decoder)
    o->decoder = dec;
  else
    g_free (dec);
  return TRUE;
}

static VkaModel *
load_model (VkaContext *context, const Options *o, GError **error)
{
  g_autoptr (VkaWeights) enc = vka_weights_load (o->vgg, NULL, error);
  if (!enc)
    return NULL;
  g_autoptr (VkaWeights) dec = vka_weights_load (o->decoder, NULL, error);
  if (!dec)
    return NULL;
  g_autoptr (GError) e = NULL;
  VkaModel *model = vka_model_new (context, enc, dec, &e);
  if (!model)
    g_set_error (error, e->domain, e->code, "model %s + %s: %s", o->vgg, o->decoder,
                 e->message);
  return model;
}

/* Quiet GEGL's own warnings (its loaders print several lines for a broken
 * file); our error line says what failed. VKA_DEBUG=1 shows them. */
static void
quiet_log (const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer data)
{
}

static int
fail (GError *error)
{
  g_printerr ("vk-adain: %s\n", error->message);
  return 1;
}

static int
run (int argc, char **argv)
{
  Options o = { .alpha = 1.0, .content_size = 512, .style_size = 512 };
  g_autoptr (GError) error = NULL;
  const GOptionEntry entries[] = {
    { "vgg", 0, 0, G_OPTION_ARG_FILENAME, &o.vgg, "Encoder weights (default: the model folder)", "FILE" },
    { "decoder", 0, 0, G_OPTION_ARG_FILENAME, &o.decoder, "Decoder weights (default: the model folder)", "FILE" },
    { "content", 0, 0, G_OPTION_ARG_FILENAME, &o.content, "Content picture or folder", "FILE|DIR" },
    { "style", 0, 0, G_OPTION_ARG_FILENAME, &o.style, "Style picture(s) to mix, comma-separated, a folder (each in turn), or a statistics file", "FILE[,FILE...]|DIR" },
    { "style-weights", 0, 0, G_OPTION_ARG_STRING, &o.style_weights, "Mixing weights (non-negative, normalised to sum 1)", "W1,W2,..." },
    { "alpha", 0, 0, G_OPTION_ARG_DOUBLE, &o.alpha, "Strength in [0,1] (default 1)", "A" },
    { "content-size", 0, 0, G_OPTION_ARG_INT, &o.content_size, "Resize the content's shorter side to N (default 512; 0 keeps)", "N" },
    { "style-size", 0, 0, G_OPTION_ARG_INT, &o.style_size, "Resize the style's shorter side to N (default 512; 0 keeps)", "N" },
    { "crop", 0, 0, G_OPTION_ARG_NONE, &o.crop, "Centre square crop after resizing", NULL },
    { "preserve-color", 0, G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK, parse_preserve, "Keep the content's colours: coral (default, the reference's) or luminance", "coral|luminance" },
    { "output", 0, 0, G_OPTION_ARG_FILENAME, &o.output_dir, "Output folder (default output/)", "DIR" },
    { "o", 'o', 0, G_OPTION_ARG_FILENAME, &o.output_file, "Output file (one content and one style or mix)", "FILE" },
    { "save-ext", 0, 0, G_OPTION_ARG_STRING, &o.save_ext, "Output extension in --output (default .jpg)", "EXT" },
    { "save-style", 0, 0, G_OPTION_ARG_FILENAME, &o.save_style, "Save the style's (or mix's) statistics to FILE", "FILE" },
    { "mask", 0, 0, G_OPTION_ARG_FILENAME, &o.mask, "Spatial control: where the mask is white the first of two styles applies, elsewhere the second", "FILE" },
    { "tile", 0, 0, G_OPTION_ARG_INT, &o.tile, "Tile side in pixels for large pictures (default 0: from the memory limit)", "N" },
    { "memory-limit", 0, 0, G_OPTION_ARG_CALLBACK, parse_memory_limit, "Memory for a stylisation's working set, pictures aside (default: a quarter of the free memory, at most 1G, on a CPU; half a GPU's, at most 4G); large pictures go in tiles that fit", "SIZE" },
    { "device", 0, 0, G_OPTION_ARG_STRING, &o.device, "Device: an index, a name substring, or cpu (default: a GPU, else the CPU backend)", "D" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &o.threads, "Threads of the CPU backend (default 0: all cores)", "N" },
    { "list-devices", 0, 0, G_OPTION_ARG_NONE, &o.list_devices, "List the devices and exit", NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &o.quiet, "No progress output", NULL },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("— AdaIN style transfer");
  GOptionGroup *group = g_option_group_new (NULL, NULL, NULL, &o, NULL);
  g_option_group_add_entries (group, entries);
  g_option_context_set_main_group (ctx, group);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    return fail (error);
  if (o.list_devices)
    return list_devices ();
  if (argc > 1)
    {
      g_printerr ("vk-adain: unexpected argument '%s' (see --help)\n", argv[1]);
      return 2;
    }
  if (!o.style || (!o.content && !o.save_style))
    {
      g_printerr ("vk-adain: --content and --style are needed (see --help)\n");
      return 2;
    }
  if (!(o.alpha >= 0 && o.alpha <= 1) || o.content_size < 0 || o.style_size < 0
      || o.tile < 0 || o.threads < 0)
    {
      g_printerr ("vk-adain: --alpha must be in [0,1] and sizes >= 0\n");
      return 2;
    }
  if (!o.output_dir)
    o.output_dir = g_strdup ("output");
  if (!o.save_ext)
    o.save_ext = g_strdup (".jpg");
  else if (o.save_ext[0] != '.')
    {
      char *e = g_strconcat (".", o.save_ext, NULL);
      g_free (o.save_ext);
      o.save_ext = e;
    }
  if (!vka_image_save_supported (o.output_file ? o.output_file : o.save_ext))
    {
      g_printerr ("vk-adain: cannot write %s: unknown image type (use .png, .jpg, .tif "
                  "or .webp)\n", o.output_file ? o.output_file : o.save_ext);
      return 2;
    }
  o.progress = !o.quiet && isatty (2);
  if (!g_getenv ("VKA_DEBUG"))
    g_log_set_handler ("GEGL", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE, quiet_log, NULL);

  /* Inputs. */
  g_autoptr (GPtrArray) inputs = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) contents = g_ptr_array_new_with_free_func (g_free);
  if (o.content && !collect (o.content, "content", contents, &error))
    return fail (error);
  g_auto (GStrv) style_items = g_strsplit (o.style, ",", -1);
  g_autoptr (GPtrArray) style_paths = g_ptr_array_new_with_free_func (g_free);
  int n_items = g_strv_length (style_items);
  for (int i = 0; i < n_items; i++)
    {
      if (n_items > 1 && g_file_test (style_items[i], G_FILE_TEST_IS_DIR))
        {
          g_printerr ("vk-adain: a style mix takes files, and %s is a folder\n",
                      style_items[i]);
          return 2;
        }
      if (!collect (style_items[i], "style", style_paths, &error))
        return fail (error);
    }
  gboolean mix = n_items > 1;
  if (o.mask && n_items != 2)
    {
      g_printerr ("vk-adain: --mask needs exactly two styles (--style A,B)\n");
      return 2;
    }
  for (guint i = 0; i < contents->len; i++)
    g_ptr_array_add (inputs, g_strdup (contents->pdata[i]));
  for (guint i = 0; i < style_paths->len; i++)
    g_ptr_array_add (inputs, g_strdup (style_paths->pdata[i]));
  int n_groups = mix ? 1 : (int) style_paths->len;
  if (o.output_file && (contents->len != 1 || n_groups != 1))
    {
      g_printerr ("vk-adain: -o FILE needs one content and one style (or one mix); use "
                  "--output DIR for several\n");
      return 2;
    }
  if (o.save_style && n_groups != 1)
    {
      g_printerr ("vk-adain: --save-style needs one style (or one mix)\n");
      return 2;
    }
  g_autofree double *weights = NULL;
  if (!parse_weights (mix ? o.style_weights : NULL, mix ? n_items : 1, &weights, &error))
    return fail (error);

  /* Model and device. */
  if (!find_model (&o, &error))
    return fail (error);
  VkaContextOptions copt = { .device = o.device, .threads = o.threads };
  g_autoptr (VkaContext) context = vka_context_new (&copt, &error);
  if (!context)
    return fail (error);
  g_autoptr (VkaModel) model = load_model (context, &o, &error);
  if (!model)
    return fail (error);
  if (o.progress)
    g_printerr ("vk-adain: %s on %s\n", o.vgg, vka_context_device (context)->name);

  g_autoptr (GPtrArray) sources = g_ptr_array_new_with_free_func (style_source_free);
  for (guint i = 0; i < style_paths->len; i++)
    {
      StyleSource *s = g_new0 (StyleSource, 1);
      s->path = g_strdup (style_paths->pdata[i]);
      s->stem = file_stem (s->path);
      g_ptr_array_add (sources, s);
    }

  if (o.save_style)
    {
      g_autoptr (GPtrArray) st = g_ptr_array_new_with_free_func ((GDestroyNotify) vka_style_free);
      for (guint i = 0; i < sources->len; i++)
        {
          StyleSource *s = sources->pdata[i];
          VkaStyle *one = prepare_style (s, &o, &error)
                          ? encode_style (model, s, NULL, VKA_COLOR_NONE, &error) : NULL;
          if (!one)
            return fail (error);
          g_ptr_array_add (st, one);
        }
      g_autoptr (VkaStyle) mixed = mix_to_one ((VkaStyle **) st->pdata, weights, st->len);
      if (!vka_style_save (mixed, o.save_style, &error))
        return fail (error);
    }
  if (!o.content)
    return 0;

  if (!o.output_file && g_mkdir_with_parents (o.output_dir, 0777) != 0)
    {
      g_autofree char *disp = g_filename_display_name (o.output_dir);
      g_printerr ("vk-adain: cannot create the output folder %s: %s\n", disp,
                  g_strerror (errno));
      return 1;
    }
  int status = 0, index = 0, total = contents->len * n_groups;
  for (int g = 0; g < n_groups; g++)
    {
      g_autoptr (GPtrArray) group_styles = g_ptr_array_new ();
      if (mix)
        for (guint i = 0; i < sources->len; i++)
          g_ptr_array_add (group_styles, sources->pdata[i]);
      else
        g_ptr_array_add (group_styles, sources->pdata[g]);
      Job job = { &o, model, group_styles, weights, mix, o.output_file, inputs };
      for (guint c = 0; c < contents->len; c++)
        {
          g_autoptr (GError) e = NULL;
          if (!run_one (&job, contents->pdata[c], ++index, total, &e))
            {
              if (o.progress)
                g_printerr ("\n");
              g_printerr ("vk-adain: %s\n", e->message);
              status = 1;
            }
        }
    }
  /* Under VKA_VALIDATION=1 (the tests), a validation message is a failure. */
  guint messages = vka_context_validation_messages (context);
  if (messages)
    {
      g_printerr ("vk-adain: the Vulkan validation layer reported %u message(s)\n", messages);
      status = 1;
    }
  g_free (o.vgg);
  g_free (o.decoder);
  g_free (o.content);
  g_free (o.style);
  g_free (o.style_weights);
  g_free (o.output_dir);
  g_free (o.output_file);
  g_free (o.save_ext);
  g_free (o.save_style);
  g_free (o.device);
  g_free (o.mask);
  return status;
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  int status = run (argc, argv);
  vka_imageio_shutdown ();
  return status;
}
