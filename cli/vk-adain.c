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
#include "options.h"
#include "pipeline.h"

#include <errno.h>
#include <gegl.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


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

/* A stylisation on its way to 8-bit pixels: the picture it fills, and what
 * its sink and the pending stylisation point into until it is finished. */
typedef struct
{
  VkaBytesImage     *picture;
  VkaImageSink       sink;
  VkaLuminanceSink   luminance;
  VkaImage          *mask;
  VkaStylizePending *pending;
} Stylization;

static void
set_content_error (GError **error, const char *content_path, const GError *e)
{
  g_autofree char *disp = g_filename_display_name (content_path);
  g_set_error (error, e->domain, e->code, "%s: %s", disp, e->message);
}

/* Submits the stylisation of content into a picture ready to be written
 * to path (vka_stylize_submit); content must stay open until the finish. */
static gboolean
stylization_submit (Stylization *st, const Job *job, const Content *content,
                    GPtrArray *styles, const char *content_path, const char *path,
                    const char *label, GError **error)
{
  const Options *o = job->o;
  const VkaImageSource *src = &content->source;
  gboolean alpha = src->channels == 2 || src->channels == 4;
  st->picture = vka_bytes_image_new (src->width, src->height,
                                     vka_image_save_channels (path, alpha ? 4 : 3), error);
  if (!st->picture)
    return FALSE;
  VkaImageSink bytes_sink;
  vka_bytes_image_sink (st->picture, alpha ? 4 : 3, &bytes_sink);
  st->sink = bytes_sink;
  if (o->color == VKA_COLOR_LUMINANCE)
    vka_color_luminance_sink (&st->luminance, &bytes_sink, src, &st->sink);
  VkaStylizeOptions sopt = VKA_STYLIZE_OPTIONS_DEFAULT;
  sopt.alpha = o->alpha;
  sopt.tile = o->tile;
  sopt.memory_limit = o->memory_limit;
  st->mask = o->mask ? load_mask (o, src, error) : NULL;
  if (o->mask && !st->mask)
    return FALSE;
  sopt.mask = st->mask;
  g_autoptr (GError) e = NULL;
  st->pending = vka_stylize_submit (job->model, src, (const VkaStyle *const *) styles->pdata,
                                    job->weights, styles->len, &sopt, &st->sink,
                                    o->progress ? print_progress : NULL, (gpointer) label,
                                    NULL, &e);
  if (!st->pending)
    set_content_error (error, content_path, e);
  return st->pending != NULL;
}

/* Waits for a submitted stylisation: its picture, or NULL with error. */
static VkaBytesImage *
stylization_finish (Stylization *st, const char *content_path, GError **error)
{
  g_autoptr (GError) e = NULL;
  if (!vka_stylize_finish (g_steal_pointer (&st->pending), &e))
    {
      set_content_error (error, content_path, e);
      g_clear_pointer (&st->picture, vka_bytes_image_free);
    }
  g_clear_pointer (&st->mask, vka_image_free);
  return g_steal_pointer (&st->picture);
}

/* The stylising stage finishes every stylisation it submits, on its own
 * thread, before the job is freed. */
static void
stylization_clear (Stylization *st)
{
  g_warn_if_fail (st->pending == NULL);
  g_clear_pointer (&st->mask, vka_image_free);
  g_clear_pointer (&st->picture, vka_bytes_image_free);
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
  Stylization    stylization; /* submitted, not yet finished */
  VkaBytesImage *picture;     /* stylising stage -> writer */
} PictureJob;

static void
picture_job_free (gpointer data)
{
  PictureJob *pj = data;
  g_ptr_array_unref (pj->job.styles);
  g_free (pj->path);
  g_free (pj->label);
  stylization_clear (&pj->stylization);
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
submit_job (CliJob *cj, gpointer user)
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
    stylization_submit (&pj->stylization, &pj->job, &pj->content, styles, pj->content_path,
                        pj->path, pj->label, &cj->error);
  if (cj->error)
    content_close (&pj->content);
}

static void
finish_stylization (CliJob *cj, gpointer user)
{
  PictureJob *pj = cj->data;
  pj->picture = stylization_finish (&pj->stylization, pj->content_path, &cj->error);
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
 * picture read and the last one written while one is stylised, and the
 * next one submitted to the device before the last one is finished
 * (pipeline.h). 0 or 1: the exit status. */
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
  const CliPipelineStages stages = { read_job, submit_job, finish_stylization, write_job,
                                     report_job, picture_job_free };
  cli_pipeline_run (&stages, first, end, overlap_jobs (o), &run);
  g_hash_table_unref (run.paths_seen);
  if (!o->quiet && (o->skip_existing || o->shard.count > 1))
    g_printerr ("vk-adain: %" G_GUINT64_FORMAT " written, %" G_GUINT64_FORMAT " already "
                "there, %" G_GUINT64_FORMAT " failed\n", run.written, run.skipped,
                end - first - run.written - run.skipped);
  return run.status;
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
  if (o->content_noise >= 0)
    vka_model_set_content_noise (model, (float) o->content_noise);
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
                .content_noise = -1,
                .content_size = VKA_CONTENT_SIZE_BATCH_DEFAULT,
                .style_size = (int) vka_params[VKA_PARAM_STYLE_SIZE].def,
                .shard = { 1, 1 } };
  Inputs in = { 0 };
  int status = cli_options_parse (&o, &argc, &argv);
  if (status < 0)
    {
      if (!g_getenv ("VKA_DEBUG"))
        g_log_set_handler ("GEGL", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE, quiet_log, NULL);
      vka_imageio_init ();   /* while this is the only thread */
      status = gather_inputs (&o, &in);
    }
  if (status < 0 && o.style_cache && !make_folder ("--style-cache", o.style_cache))
    status = 1;
  if (status < 0)
    status = run_checked (&o, &in);
  inputs_clear (&in);
  cli_options_clear (&o);
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
