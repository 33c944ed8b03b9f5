/* options.c — vk-adain's options: the GOption table, the values that need
 * parsing (--preserve-color, --memory-limit, --shard), the checks that
 * span options, and --list-devices. */
#include "options.h"
#include "vka-imageio.h"

#include <math.h>
#include <unistd.h>

static int
print_error (GError *error)
{
  g_printerr ("vk-adain: %s\n", error->message);
  return 1;
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

static gboolean
parse_shard (const char *name, const char *value, gpointer data, GError **error)
{
  Options *o = data;
  return cli_shard_parse (name, value, &o->shard, error);
}

int
cli_options_parse (Options *o, int *argc, char ***argv)
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
    { "content-noise", 0, 0, G_OPTION_ARG_DOUBLE, &o->content_noise, "Gaussian noise added to the content before encoding, standard deviation on [0, 1] (default: what the decoder asks for; 0: none)", "SIGMA" },
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
    return print_error (error);
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
  if (o->content_noise != -1 && !(o->content_noise >= 0 && o->content_noise <= 1))
    {
      g_printerr ("vk-adain: --content-noise %g: must be in [0, 1]\n", o->content_noise);
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

void
cli_options_clear (Options *o)
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
