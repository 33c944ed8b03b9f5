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
 * --shard I/N does a part of the content × style jobs (a job array's task:
 * jobs.c), --skip-existing what a stopped run left undone.
 */
#include "vka.h"
#include "vka-color.h"
#include "vka-imageio.h"
#include "vka-prepare.h"
#include "jobs.h"
#include "pipeline.h"

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
  char        *style_cache;   /* NULL: the user's cache folder */
  double       alpha;
  int          content_size, style_size, tile, threads;
  guint64      memory_limit;
  gboolean     crop, list_devices, quiet, skip_existing;
  VkaColorMode color;
  CliShard     shard;
  gboolean     progress;
} Options;

/* One item of --style, read on the first job that needs it. */
typedef struct
{
  char           *path;
  char           *stem;
  VkaStyleSource *source;
} StyleSource;

static void
style_source_free (gpointer p)
{
  StyleSource *s = p;
  g_free (s->path);
  g_free (s->stem);
  vka_style_source_free (s->source);
  g_free (s);
}

static gboolean
parse_preserve (const char *name, const char *value, gpointer data, GError **error)
{
  Options *o = data;
  if (!value || g_strcmp0 (value, vka_color_mode_names[VKA_COLOR_CORAL]) == 0)
    o->color = VKA_COLOR_CORAL;
  else if (g_strcmp0 (value, vka_color_mode_names[VKA_COLOR_LUMINANCE]) == 0)
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
  if (bytes < (double) ((guint64) VKA_MEMORY_LIMIT_MIN_MIB << 20))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--memory-limit: %s is below the least a stylisation needs (%d MiB)",
                   value, VKA_MEMORY_LIMIT_MIN_MIB);
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

/* The style's statistics for this content (NULL without colour transfer). */
static VkaStyle *
encode_style (VkaModel *model, StyleSource *s, const Options *o, VkaColorMode color,
              const VkaImageSource *content, GError **error)
{
  if (!s->source)
    s->source = vka_style_source_new_file (s->path, o->style_size, o->crop, error);
  if (!s->source)
    return NULL;
  VkaStyleEncodeOptions eo = { color, content, TRUE, o->style_cache };
  return vka_style_source_encode (model, s->source, &eo, NULL, error);
}

/* The progress line on the terminal: its width and its job's label, so that
 * a job's report (printed by the writer while a later job's progress may be
 * showing) covers or clears it. */
static gint     progress_width;
static gpointer progress_label;

static void
print_progress (double fraction, gpointer data)
{
  const char *label = data;
  g_autofree char *text = g_strdup_printf ("%s %3d%%", label, (int) (fraction * 100 + 0.5));
  g_atomic_int_set (&progress_width, (gint) strlen (text));
  g_atomic_pointer_set (&progress_label, data);
  g_printerr ("\r%s", text);
}

static void
progress_line_done (void)
{
  g_atomic_int_set (&progress_width, 0);
  g_atomic_pointer_set (&progress_label, NULL);
}

static void
print_done (const char *label, const char *path)
{
  g_autofree char *text = g_strdup_printf ("%s -> %s", label, path);
  int pad = MAX (g_atomic_int_get (&progress_width) - (int) strlen (text), 0);
  g_printerr ("\r%s%*s\n", text, pad, "");
  progress_line_done ();
}

/* Before a job's error: its own progress line stays (ended), another job's
 * is cleared. */
static void
end_progress_for_error (const char *label)
{
  gpointer shown = g_atomic_pointer_get (&progress_label);
  if (!shown || shown == label)
    g_printerr ("\n");
  else
    g_printerr ("\r%*s\r", g_atomic_int_get (&progress_width), "");
  progress_line_done ();
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
load_mask (const Options *o, const VkaImageSource *content, GError **error)
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

/* Where a job's output goes: -o FILE, else named from content and style. */
static char *
output_path (const Job *job, const char *content_path)
{
  if (job->out_path)
    return g_strdup (job->out_path);
  const Options *o = job->o;
  g_autofree char *stem = file_stem (content_path);
  g_autofree char *name = job->mix
    ? g_strdup_printf ("%s_interpolation%s", stem, o->save_ext)
    : g_strdup_printf ("%s_stylized_%s%s", stem,
                       ((StyleSource *) job->styles->pdata[0])->stem, o->save_ext);
  return g_build_filename (o->output_dir, name, NULL);
}

static gboolean
check_not_input (const Job *job, const char *path, GError **error)
{
  for (guint i = 0; i < job->inputs->len; i++)
    if (same_file (path, job->inputs->pdata[i]))
      {
        g_autofree char *disp = g_filename_display_name (path);
        g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                     "refusing to overwrite the input %s", disp);
        return FALSE;
      }
  return TRUE;
}

/* The content as a source: read by regions from GEGL's storage when it is
 * stylised at its own size (a large photo need not be held as floats),
 * else resized or cropped in memory. */
typedef struct
{
  VkaPicture     *picture;
  VkaImage       *image;
  VkaImageSource  source;
} Content;

static gboolean
content_open (Content *c, const Options *o, const char *path, GError **error)
{
  if (o->content_size == 0 && !o->crop)
    {
      c->picture = vka_picture_load (path, NULL, error);
      if (c->picture)
        vka_picture_source (c->picture, &c->source);
      return c->picture != NULL;
    }
  c->image = vka_image_load_transformed (path, o->content_size, o->crop, error);
  if (c->image)
    vka_image_source_init (&c->source, c->image);
  return c->image != NULL;
}

static void
content_close (Content *c)
{
  g_clear_pointer (&c->picture, vka_picture_free);
  g_clear_pointer (&c->image, vka_image_free);
}

/* The stylised picture as 8-bit pixels, ready to be written to path. */
static VkaBytesImage *
stylize_to_bytes (const Job *job, const Content *content, GPtrArray *styles,
                  const char *content_path, const char *path, const char *label, GError **error)
{
  const Options *o = job->o;
  const VkaImageSource *src = &content->source;
  gboolean alpha = src->channels == 2 || src->channels == 4;
  g_autoptr (VkaBytesImage) out = vka_bytes_image_new (src->width, src->height,
                                                       vka_image_save_channels (path, alpha ? 4 : 3),
                                                       error);
  if (!out)
    return NULL;
  VkaImageSink sink, bytes_sink;
  VkaLuminanceSink luminance;
  vka_bytes_image_sink (out, alpha ? 4 : 3, &bytes_sink);
  sink = bytes_sink;
  if (o->color == VKA_COLOR_LUMINANCE)
    vka_color_luminance_sink (&luminance, &bytes_sink, src, &sink);
  VkaStylizeOptions sopt = VKA_STYLIZE_OPTIONS_DEFAULT;
  sopt.alpha = o->alpha;
  sopt.tile = o->tile;
  sopt.memory_limit = o->memory_limit;
  g_autoptr (VkaImage) mask = o->mask ? load_mask (o, src, error) : NULL;
  if (o->mask && !mask)
    return NULL;
  sopt.mask = mask;
  g_autoptr (GError) e = NULL;
  if (!vka_stylize_stream (job->model, src, (const VkaStyle *const *) styles->pdata,
                           job->weights, styles->len, &sopt, &sink,
                           o->progress ? print_progress : NULL, (gpointer) label, NULL, &e))
    {
      g_autofree char *disp = g_filename_display_name (content_path);
      g_set_error (error, e->domain, e->code, "%s: %s", disp, e->message);
      return NULL;
    }
  return g_steal_pointer (&out);
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

static gboolean
parse_shard (const char *name, const char *value, gpointer data, GError **error)
{
  Options *o = data;
  return cli_shard_parse (name, value, &o->shard, error);
}

/* Parses and checks the options: -1 to go on, else the exit status. */
static int
parse_options (Options *o, int *argc, char ***argv)
{
  g_autoptr (GError) error = NULL;
  const VkaParam *strength = &vka_params[VKA_PARAM_STRENGTH];
  const VkaParam *style_size = &vka_params[VKA_PARAM_STYLE_SIZE];
  g_autofree char *strength_help = g_strdup_printf ("%s (default %g)", strength->blurb,
                                                    strength->def);
  g_autofree char *style_size_help = g_strdup_printf ("%s (default %g)", style_size->blurb,
                                                      style_size->def);
  g_autofree char *content_size_help = g_strdup_printf (
    "Resize the content's shorter side to N (default %d, as the reference; 0 keeps)",
    VKA_CONTENT_SIZE_BATCH_DEFAULT);
  const GOptionEntry entries[] = {
    { "vgg", 0, 0, G_OPTION_ARG_FILENAME, &o->vgg, "Encoder weights (default: the model folder)", "FILE" },
    { "decoder", 0, 0, G_OPTION_ARG_FILENAME, &o->decoder, "Decoder weights (default: the model folder)", "FILE" },
    { "content", 0, 0, G_OPTION_ARG_FILENAME, &o->content, "Content picture or folder", "FILE|DIR" },
    { "style", 0, 0, G_OPTION_ARG_FILENAME, &o->style, "Style picture(s) to mix, comma-separated, a folder (each in turn), or a statistics file", "FILE[,FILE...]|DIR" },
    { "style-weights", 0, 0, G_OPTION_ARG_STRING, &o->style_weights, "Mixing weights (non-negative, normalised to sum 1)", "W1,W2,..." },
    { strength->name, 0, 0, G_OPTION_ARG_DOUBLE, &o->alpha, strength_help, "A" },
    { "alpha", 0, 0, G_OPTION_ARG_DOUBLE, &o->alpha, "The same as --strength (the reference's name)", "A" },
    { vka_params[VKA_PARAM_CONTENT_SIZE].name, 0, 0, G_OPTION_ARG_INT, &o->content_size, content_size_help, "N" },
    { style_size->name, 0, 0, G_OPTION_ARG_INT, &o->style_size, style_size_help, "N" },
    { "crop", 0, 0, G_OPTION_ARG_NONE, &o->crop, "Centre square crop after resizing", NULL },
    { "preserve-color", 0, G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK, parse_preserve, "Keep the content's colours: coral (default, the reference's) or luminance", "coral|luminance" },
    { "output", 0, 0, G_OPTION_ARG_FILENAME, &o->output_dir, "Output folder (default output/)", "DIR" },
    { "o", 'o', 0, G_OPTION_ARG_FILENAME, &o->output_file, "Output file (one content and one style or mix)", "FILE" },
    { "save-ext", 0, 0, G_OPTION_ARG_STRING, &o->save_ext, "Output extension in --output (default .jpg)", "EXT" },
    { "save-style", 0, 0, G_OPTION_ARG_FILENAME, &o->save_style, "Save the style's (or mix's) statistics to FILE", "FILE" },
    { "mask", 0, 0, G_OPTION_ARG_FILENAME, &o->mask, "Spatial control: where the mask is white the first of two styles applies, elsewhere the second", "FILE" },
    { "tile", 0, 0, G_OPTION_ARG_INT, &o->tile, "Tile side in pixels for large pictures (default 0: from the memory limit)", "N" },
    { "memory-limit", 0, 0, G_OPTION_ARG_CALLBACK, parse_memory_limit, "Memory for a stylisation's working set, pictures aside (default: a quarter of the free memory, at most 1G, on a CPU; half a GPU's, at most 4G); large pictures go in tiles that fit", "SIZE" },
    { "shard", 0, 0, G_OPTION_ARG_CALLBACK, parse_shard, "Do part I of N of the content × style jobs (contiguous blocks), or the part of this Slurm array task", "I/N|slurm" },
    { "skip-existing", 0, 0, G_OPTION_ARG_NONE, &o->skip_existing, "Skip jobs whose output file exists (resume a stopped run)", NULL },
    { "style-cache", 0, 0, G_OPTION_ARG_FILENAME, &o->style_cache, "Folder for the style statistics cache, which several processes may share (default: the user's cache)", "DIR" },
    { "device", 0, 0, G_OPTION_ARG_STRING, &o->device, "Device: an index, a name substring, or cpu (default: a GPU, else the CPU backend)", "D" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &o->threads, "Threads of the CPU backend (default 0: all cores)", "N" },
    { "list-devices", 0, 0, G_OPTION_ARG_NONE, &o->list_devices, "List the devices and exit", NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &o->quiet, "No progress output", NULL },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("— AdaIN style transfer");
  GOptionGroup *group = g_option_group_new (NULL, NULL, NULL, o, NULL);
  g_option_group_add_entries (group, entries);
  g_option_context_set_main_group (ctx, group);
  if (!g_option_context_parse (ctx, argc, argv, &error))
    return fail (error);
  if (o->list_devices)
    return list_devices ();
  if (*argc > 1)
    {
      g_printerr ("vk-adain: unexpected argument '%s' (see --help)\n", (*argv)[1]);
      return 2;
    }
  if (!o->style || (!o->content && !o->save_style))
    {
      g_printerr ("vk-adain: --content and --style are needed (see --help)\n");
      return 2;
    }
  if (!vka_param_check (VKA_PARAM_STRENGTH, o->alpha, "--", &error)
      || !vka_param_check (VKA_PARAM_CONTENT_SIZE, o->content_size, "--", &error)
      || !vka_param_check (VKA_PARAM_STYLE_SIZE, o->style_size, "--", &error)
      || !vka_param_check_memory_limit (o->memory_limit, "--", &error))
    {
      g_printerr ("vk-adain: %s\n", error->message);
      return 2;
    }
  if (o->tile < 0 || o->threads < 0)
    {
      g_printerr ("vk-adain: --tile and --threads must be >= 0\n");
      return 2;
    }
  if (!o->output_dir)
    o->output_dir = g_strdup ("output");
  if (!o->save_ext)
    o->save_ext = g_strdup (".jpg");
  else if (o->save_ext[0] != '.')
    {
      char *e = g_strconcat (".", o->save_ext, NULL);
      g_free (o->save_ext);
      o->save_ext = e;
    }
  if (!vka_image_save_supported (o->output_file ? o->output_file : o->save_ext))
    {
      g_printerr ("vk-adain: cannot write %s: unknown image type (use .png, .jpg, .tif "
                  "or .webp)\n", o->output_file ? o->output_file : o->save_ext);
      return 2;
    }
  o->progress = !o->quiet && isatty (2);
  return -1;
}

typedef struct
{
  GPtrArray *contents, *style_paths;
  GPtrArray *inputs;       /* contents and styles: never overwritten */
  int        n_items;      /* items of --style */
  int        n_groups;     /* styles applied in turn (1 for a mix) */
  gboolean   mix;
  double    *weights;
} Inputs;

static void
inputs_clear (Inputs *in)
{
  g_clear_pointer (&in->contents, g_ptr_array_unref);
  g_clear_pointer (&in->style_paths, g_ptr_array_unref);
  g_clear_pointer (&in->inputs, g_ptr_array_unref);
  g_clear_pointer (&in->weights, g_free);
}

/* The content and style files, checked against the options: -1 to go on,
 * else the exit status. */
static int
gather_inputs (const Options *o, Inputs *in)
{
  g_autoptr (GError) error = NULL;
  in->inputs = g_ptr_array_new_with_free_func (g_free);
  in->contents = g_ptr_array_new_with_free_func (g_free);
  in->style_paths = g_ptr_array_new_with_free_func (g_free);
  if (o->content && !cli_collect_images (o->content, "content", in->contents, &error))
    return fail (error);
  g_auto (GStrv) style_items = g_strsplit (o->style, ",", -1);
  in->n_items = g_strv_length (style_items);
  for (int i = 0; i < in->n_items; i++)
    {
      if (in->n_items > 1 && g_file_test (style_items[i], G_FILE_TEST_IS_DIR))
        {
          g_printerr ("vk-adain: a style mix takes files, and %s is a folder\n",
                      style_items[i]);
          return 2;
        }
      if (!cli_collect_images (style_items[i], "style", in->style_paths, &error))
        return fail (error);
    }
  in->mix = in->n_items > 1;
  if (o->mask && in->n_items != 2)
    {
      g_printerr ("vk-adain: --mask needs exactly two styles (--style A,B)\n");
      return 2;
    }
  for (guint i = 0; i < in->contents->len; i++)
    g_ptr_array_add (in->inputs, g_strdup (in->contents->pdata[i]));
  for (guint i = 0; i < in->style_paths->len; i++)
    g_ptr_array_add (in->inputs, g_strdup (in->style_paths->pdata[i]));
  in->n_groups = in->mix ? 1 : (int) in->style_paths->len;
  if (o->output_file && (in->contents->len != 1 || in->n_groups != 1))
    {
      g_printerr ("vk-adain: -o FILE needs one content and one style (or one mix); use "
                  "--output DIR for several\n");
      return 2;
    }
  if (o->save_style && in->n_groups != 1)
    {
      g_printerr ("vk-adain: --save-style needs one style (or one mix)\n");
      return 2;
    }
  if (!parse_weights (in->mix ? o->style_weights : NULL, in->mix ? in->n_items : 1,
                      &in->weights, &error))
    return fail (error);
  return -1;
}

static gboolean
save_style_stats (const Options *o, VkaModel *model, GPtrArray *sources, const double *weights,
                  GError **error)
{
  g_autoptr (GPtrArray) st = g_ptr_array_new_with_free_func ((GDestroyNotify) vka_style_free);
  for (guint i = 0; i < sources->len; i++)
    {
      StyleSource *s = sources->pdata[i];
      VkaStyle *one = encode_style (model, s, o, VKA_COLOR_NONE, NULL, error);
      if (!one)
        return FALSE;
      g_ptr_array_add (st, one);
    }
  g_autoptr (VkaStyle) mixed = vka_style_mix ((const VkaStyle *const *) st->pdata, weights,
                                               st->len, error);
  return mixed && vka_style_save (mixed, o->save_style, error);
}

/* One job of a folder run as it goes through the stages of pipeline.h. */
typedef struct
{
  Job            job;
  const char    *content_path;
  char          *path;        /* the output file */
  char          *label;       /* "vk-adain: [i/n] stem" */
  Content        content;     /* read stage -> stylising stage */
  VkaBytesImage *picture;     /* stylising stage -> writer */
} PictureJob;

static void
picture_job_free (gpointer data)
{
  PictureJob *pj = data;
  g_ptr_array_unref (pj->job.styles);
  g_free (pj->path);
  g_free (pj->label);
  content_close (&pj->content);
  g_clear_pointer (&pj->picture, vka_bytes_image_free);
  g_free (pj);
}

/* The state of a run over the job list, shared by the stages. */
typedef struct
{
  const Options *o;
  VkaModel      *model;
  GPtrArray     *sources;
  const Inputs  *in;
  guint64        first, end;
  GHashTable    *paths_seen;   /* outputs of the jobs read so far (read stage only) */
  guint64        written, skipped;
  int            status;
} JobRun;

/* --skip-existing: whether path is there when the job starts, as it would
 * be one job at a time. An earlier job of this run may be about to write
 * the same path (a.jpg and a.png both give a_stylized_*.jpg): then the
 * answer waits for it. */
static gboolean
output_exists (JobRun *run, const CliJob *cj, const char *path)
{
  gboolean exists = g_file_test (path, G_FILE_TEST_IS_REGULAR);
  if (!exists && g_hash_table_contains (run->paths_seen, path))
    {
      cli_pipeline_wait_for_earlier (cj);
      exists = g_file_test (path, G_FILE_TEST_IS_REGULAR);
    }
  return exists;
}

/* Job j is style group j / contents, content j % contents. */
static void
read_job (CliJob *cj, gpointer user)
{
  JobRun *run = user;
  const Options *o = run->o;
  const Inputs *in = run->in;
  guint64 j = cj->index, n_contents = in->contents->len;
  PictureJob *pj = g_new0 (PictureJob, 1);
  cj->data = pj;
  GPtrArray *group_styles = g_ptr_array_new ();
  if (in->mix)
    for (guint i = 0; i < run->sources->len; i++)
      g_ptr_array_add (group_styles, run->sources->pdata[i]);
  else
    g_ptr_array_add (group_styles, run->sources->pdata[j / n_contents]);
  pj->job = (Job) { o, run->model, group_styles, in->weights, in->mix, o->output_file,
                    in->inputs };
  pj->content_path = in->contents->pdata[j % n_contents];
  pj->path = output_path (&pj->job, pj->content_path);
  g_autofree char *stem = file_stem (pj->content_path);
  pj->label = g_strdup_printf ("vk-adain: [%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT "] %s",
                               j - run->first + 1, run->end - run->first, stem);
  if (!check_not_input (&pj->job, pj->path, &cj->error))
    return;
  /* An output under its own name is whole: outputs are written to a
   * hidden temporary file and renamed. */
  cj->skipped = o->skip_existing && output_exists (run, cj, pj->path);
  g_hash_table_add (run->paths_seen, g_strdup (pj->path));
  if (!cj->skipped)
    content_open (&pj->content, o, pj->content_path, &cj->error);
}

static void
stylize_job (CliJob *cj, gpointer user)
{
  JobRun *run = user;
  PictureJob *pj = cj->data;
  g_autoptr (GPtrArray) styles = g_ptr_array_new_with_free_func ((GDestroyNotify) vka_style_free);
  for (guint i = 0; i < pj->job.styles->len; i++)
    {
      StyleSource *s = pj->job.styles->pdata[i];
      VkaStyle *st = encode_style (run->model, s, run->o, run->o->color, &pj->content.source,
                                   &cj->error);
      if (!st)
        break;
      g_ptr_array_add (styles, st);
    }
  if (!cj->error)
    pj->picture = stylize_to_bytes (&pj->job, &pj->content, styles, pj->content_path,
                                    pj->path, pj->label, &cj->error);
  content_close (&pj->content);
}

static void
write_job (CliJob *cj, gpointer user)
{
  PictureJob *pj = cj->data;
  vka_bytes_image_save (pj->picture, pj->path, &cj->error);   /* a temporary file, renamed */
  g_clear_pointer (&pj->picture, vka_bytes_image_free);
}

static void
report_job (CliJob *cj, gpointer user)
{
  JobRun *run = user;
  PictureJob *pj = cj->data;
  if (cj->skipped)
    run->skipped++;
  else if (!cj->error)
    {
      run->written++;
      if (run->o->progress)
        print_done (pj->label, pj->path);
    }
  else
    {
      if (run->o->progress)
        end_progress_for_error (pj->label);
      g_printerr ("vk-adain: %s\n", cj->error->message);
      run->status = 1;
    }
}

/* VKA_PIPELINE=0 runs a folder one picture at a time. Pictures stylised at
 * their own size (--content-size 0) always are: they are bounded by no
 * size, and a second one in memory would not count against the budget. */
static gboolean
overlap_jobs (const Options *o)
{
  return o->content_size > 0 && g_strcmp0 (g_getenv ("VKA_PIPELINE"), "0") != 0;
}

/* This task's part of the job list (all of it without --shard), the next
 * picture read and the last one written while one is stylised. 0 or 1: the
 * exit status. */
static int
run_jobs (const Options *o, VkaModel *model, GPtrArray *sources, const Inputs *in)
{
  guint64 n_jobs = (guint64) in->contents->len * in->n_groups, first, end;
  cli_shard_range (&o->shard, n_jobs, &first, &end);
  if (!o->quiet && o->shard.count > 1)
    {
      g_autofree char *jobs = first == end ? g_strdup ("no job")
        : end - first == 1 ? g_strdup_printf ("job %" G_GUINT64_FORMAT, end)
        : g_strdup_printf ("jobs %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT, first + 1, end);
      g_printerr ("vk-adain: part %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT ": %s of %"
                  G_GUINT64_FORMAT "\n", o->shard.index, o->shard.count, jobs, n_jobs);
    }
  JobRun run = { o, model, sources, in, first, end,
                 g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL), 0, 0, 0 };
  const CliPipelineStages stages = { read_job, stylize_job, write_job, report_job,
                                     picture_job_free };
  cli_pipeline_run (&stages, first, end, overlap_jobs (o), &run);
  g_hash_table_unref (run.paths_seen);
  if (!o->quiet && (o->skip_existing || o->shard.count > 1))
    g_printerr ("vk-adain: %" G_GUINT64_FORMAT " written, %" G_GUINT64_FORMAT " already "
                "there, %" G_GUINT64_FORMAT " failed\n", run.written, run.skipped,
                end - first - run.written - run.skipped);
  return run.status;
}

static void
options_clear (Options *o)
{
  g_free (o->vgg);
  g_free (o->decoder);
  g_free (o->content);
  g_free (o->style);
  g_free (o->style_weights);
  g_free (o->output_dir);
  g_free (o->output_file);
  g_free (o->save_ext);
  g_free (o->save_style);
  g_free (o->style_cache);
  g_free (o->device);
  g_free (o->mask);
}

static GPtrArray *
style_sources (GPtrArray *style_paths)
{
  GPtrArray *sources = g_ptr_array_new_with_free_func (style_source_free);
  for (guint i = 0; i < style_paths->len; i++)
    {
      StyleSource *s = g_new0 (StyleSource, 1);
      s->path = g_strdup (style_paths->pdata[i]);
      s->stem = file_stem (s->path);
      g_ptr_array_add (sources, s);
    }
  return sources;
}

static gboolean
make_folder (const char *option, const char *path)
{
  if (g_mkdir_with_parents (path, 0777) == 0)
    return TRUE;
  int e = errno;
  g_autofree char *disp = g_filename_display_name (path);
  g_printerr ("vk-adain: %s: cannot create the folder %s: %s\n", option, disp,
              g_strerror (e));
  return FALSE;
}

static int
run_checked (Options *o, const Inputs *in)
{
  g_autoptr (GError) error = NULL;
  if (!find_model (o, &error))
    return fail (error);
  VkaContextOptions copt = { .device = o->device, .threads = o->threads };
  g_autoptr (VkaContext) context = vka_context_new (&copt, &error);
  if (!context)
    return fail (error);
  g_autoptr (VkaModel) model = vka_model_load (context, o->vgg, o->decoder, &error);
  if (!model)
    return fail (error);
  if (o->progress)
    g_printerr ("vk-adain: %s on %s\n", o->vgg, vka_context_device (context)->name);
  g_autoptr (GPtrArray) sources = style_sources (in->style_paths);
  if (o->save_style && !save_style_stats (o, model, sources, in->weights, &error))
    return fail (error);
  if (!o->content)
    return 0;
  if (!o->output_file && !make_folder ("--output", o->output_dir))
    return 1;
  int status = run_jobs (o, model, sources, in);
  /* Under VKA_VALIDATION=1 (the tests), a validation message is a failure. */
  guint messages = vka_context_validation_messages (context);
  if (messages)
    {
      g_printerr ("vk-adain: the Vulkan validation layer reported %u message(s)\n", messages);
      status = 1;
    }
  return status;
}

static int
run (int argc, char **argv)
{
  Options o = { .alpha = vka_params[VKA_PARAM_STRENGTH].def,
                .content_size = VKA_CONTENT_SIZE_BATCH_DEFAULT,
                .style_size = (int) vka_params[VKA_PARAM_STYLE_SIZE].def,
                .shard = { 1, 1 } };
  Inputs in = { 0 };
  int status = parse_options (&o, &argc, &argv);
  if (status < 0)
    {
      if (!g_getenv ("VKA_DEBUG"))
        g_log_set_handler ("GEGL", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE, quiet_log, NULL);
      status = gather_inputs (&o, &in);
    }
  if (status < 0 && o.style_cache && !make_folder ("--style-cache", o.style_cache))
    status = 1;
  if (status < 0)
    status = run_checked (&o, &in);
  inputs_clear (&in);
  options_clear (&o);
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
