/* vk-adain-judge — the training objective of stylised pictures: for each
 * (content, style, output) triple, the losses the trainer would give output
 * as the decoder's result (vka_objective_evaluate, under the encoder given),
 * and their means.
 *
 *   vk-adain-judge [--vgg ENC] --content C --style S --output O [--size 512]
 *   vk-adain-judge [--vgg ENC] --list TRIPLES.tsv [--size 512]
 *
 * Pictures are resized as vk-adain resizes them (shorter side to --size,
 * PIL's filter; 0 keeps), so outputs of `vk-adain --content-size N
 * --style-size N` are judged at the size they were made. Prints one line
 * per triple, `content style objective output`, then `mean` and the means;
 * --per-layer adds the style term's four layers before the output,
 * --lattice the output's lattice index (lattice.h: about 1 without an
 * 8-pixel grid, up to 64) after them. */
#include "lattice.h"
#include "vka-imageio.h"
#include "vka-train.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct
{
  char  *vgg, *content, *style, *output, *list, *device;
  int    size;
  double content_weight, style_weight;
  gboolean per_layer, lattice;
} Options;

/* Load a picture and resize it as vk-adain does. */
static VkaImage *
load_prepared (const char *path, int size, GError **error)
{
  VkaImageInfo info;
  g_autoptr (VkaImage) raw = vka_image_load (path, &info, error);
  if (!raw)
    return NULL;
  return vka_image_resize_shorter (raw, size, info.bits == 8, error);
}

static gboolean
judge_one (VkaObjective *objective, const Options *o, const char *content_path,
           const char *style_path, const char *output_path, VkaTrainLosses *losses,
           double *lattice, GError **error)
{
  g_autoptr (VkaImage) content = load_prepared (content_path, o->size, error);
  g_autoptr (VkaImage) style = content ? load_prepared (style_path, o->size, error) : NULL;
  g_autoptr (VkaImage) output = style ? load_prepared (output_path, o->size, error) : NULL;
  if (!output)
    return FALSE;
  if (!vka_objective_evaluate (objective, content, style, output, losses, error))
    {
      g_prefix_error (error, "%s: ", output_path);
      return FALSE;
    }
  *lattice = o->lattice ? lattice_index (output) : NAN;
  return TRUE;
}

/* Tab-separated `content style output` lines; blank lines and # comments
 * are skipped. Returns the triples as a flat array of 3·n paths. */
static GPtrArray *
read_list (const char *path, GError **error)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (int i = 0; lines[i]; i++)
    {
      g_strchomp (lines[i]);
      if (!lines[i][0] || lines[i][0] == '#')
        continue;
      g_auto (GStrv) fields = g_strsplit (lines[i], "\t", -1);
      if (g_strv_length (fields) != 3)
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                       "%s:%d: expected content, style and output separated by tabs", path,
                       i + 1);
          return NULL;
        }
      for (int k = 0; k < 3; k++)
        g_ptr_array_add (paths, g_strdup (fields[k]));
    }
  if (paths->len == 0)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: no triples", path);
      return NULL;
    }
  return g_steal_pointer (&paths);
}

static gboolean
find_vgg (Options *o, GError **error)
{
  if (o->vgg)
    return TRUE;
  g_autofree char *dec = NULL;
  return vka_model_files_find_for_program (VKA_BUILD_TRAINING_DIR, VKA_BUILD_MODELS_DIR,
                                           &o->vgg, &dec, error);
}

static int
run (Options *o, GError **error)
{
  g_autoptr (GPtrArray) triples = NULL;
  if (o->list)
    triples = read_list (o->list, error);
  else
    {
      triples = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_add (triples, g_strdup (o->content));
      g_ptr_array_add (triples, g_strdup (o->style));
      g_ptr_array_add (triples, g_strdup (o->output));
    }
  if (!triples || !find_vgg (o, error))
    return 1;
  g_autoptr (VkaWeights) encoder = vka_weights_load (o->vgg, NULL, error);
  if (!encoder)
    return 1;
  VkaContextOptions co = { .device = o->device };
  g_autoptr (VkaContext) context = vka_context_new (&co, error);
  if (!context)
    return 1;
  VkaTrainOptions to = VKA_TRAIN_OPTIONS_DEFAULT;
  to.content_weight = o->content_weight;
  to.style_weight = o->style_weight;
  g_autoptr (VkaObjective) objective = vka_objective_new (context, encoder, &to, error);
  if (!objective)
    return 1;

  double sum[8] = { 0 };
  guint n = triples->len / 3;
  printf ("# content\tstyle\tobjective\t%s%soutput (objective = %g*content + %g*style; "
          "encoder %s, size %d)\n",
          o->per_layer ? "relu1_1\trelu2_1\trelu3_1\trelu4_1\t" : "",
          o->lattice ? "lattice\t" : "", o->content_weight,
          o->style_weight, o->vgg, o->size);
  for (guint i = 0; i < n; i++)
    {
      const char *const *t = (const char *const *) triples->pdata + 3 * i;
      VkaTrainLosses l;
      double lattice;
      if (!judge_one (objective, o, t[0], t[1], t[2], &l, &lattice, error))
        return 1;
      printf ("%.6g\t%.6g\t%.6g\t", l.content, l.style, l.loss);
      for (int k = 0; o->per_layer && k < 4; k++)
        printf ("%.6g\t", l.style_layers[k]);
      if (o->lattice)
        printf ("%.4g\t", lattice);
      printf ("%s\n", t[2]);
      fflush (stdout);
      double values[8] = { l.content, l.style, l.loss, l.style_layers[0], l.style_layers[1],
                           l.style_layers[2], l.style_layers[3], lattice };
      for (int k = 0; k < 8; k++)
        sum[k] += values[k];
    }
  printf ("mean");
  for (int k = 0; k < (o->per_layer ? 7 : 3); k++)
    printf ("\t%.6g", sum[k] / n);
  if (o->lattice)
    printf ("\t%.4g", sum[7] / n);
  printf ("\t(%u)\n", n);
  guint messages = vka_context_validation_messages (context);
  if (messages)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_DEVICE,
                   "the Vulkan validation layer reported %u message(s)", messages);
      return 1;
    }
  return 0;
}

int
main (int argc, char **argv)
{
  Options o = { .size = 512, .content_weight = 1, .style_weight = 10 };
  GOptionEntry entries[] = {
    { "vgg", 0, 0, G_OPTION_ARG_FILENAME, &o.vgg, "Encoder weights (default: the model folder's)", "FILE" },
    { "content", 0, 0, G_OPTION_ARG_FILENAME, &o.content, "Content picture", "FILE" },
    { "style", 0, 0, G_OPTION_ARG_FILENAME, &o.style, "Style picture", "FILE" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &o.output, "Stylised picture to judge", "FILE" },
    { "list", 0, 0, G_OPTION_ARG_FILENAME, &o.list, "Tab-separated content, style, output lines", "FILE" },
    { "size", 0, 0, G_OPTION_ARG_INT, &o.size, "Resize every shorter side to N (512; 0 keeps)", "N" },
    { "content-weight", 0, 0, G_OPTION_ARG_DOUBLE, &o.content_weight, "Content term's weight (1)", "X" },
    { "style-weight", 0, 0, G_OPTION_ARG_DOUBLE, &o.style_weight, "Style term's weight (10)", "X" },
    { "device", 0, 0, G_OPTION_ARG_STRING, &o.device, "Device: cpu, an index or a name part", "D" },
    { "per-layer", 0, 0, G_OPTION_ARG_NONE, &o.per_layer, "Also print the style term of each layer (relu1_1 … relu4_1), before the output", NULL },
    { "lattice", 0, 0, G_OPTION_ARG_NONE, &o.lattice, "Also print each output's lattice index (about 1 without an 8-pixel grid, up to 64), before the output", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("— the training objective of stylised pictures");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr (GError) error = NULL;
  int status;
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    status = 2;
  else if (argc > 1)
    {
      g_set_error (&error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "unexpected argument %s", argv[1]);
      status = 2;
    }
  else if (!o.list == !(o.content || o.style || o.output)
           || (!o.list && !(o.content && o.style && o.output)))
    {
      g_set_error_literal (&error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "give --content, --style and --output, or --list");
      status = 2;
    }
  else if (o.size < 0)
    {
      g_set_error_literal (&error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "--size must be 0 or more");
      status = 2;
    }
  else
    status = run (&o, &error);
  if (error)
    g_printerr ("vk-adain-judge: %s\n", error->message);
  if (status == 0 && error)
    status = 1;
  vka_imageio_shutdown ();
  g_free (o.vgg);
  g_free (o.content);
  g_free (o.style);
  g_free (o.output);
  g_free (o.list);
  g_free (o.device);
  return status;
}
