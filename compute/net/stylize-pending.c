/* stylize-pending.c — the public stylisation calls: arguments checked,
 * styles mixed into AdaIN's targets, attempts in smaller tiles when the
 * device runs out of memory, and the split into vka_stylize_submit and
 * vka_stylize_finish that vka_stylize_stream and vka_stylize are made of. */
#include "stylize-private.h"
#include "stylize-run.h"

struct VkaStylizePending
{
  VkaStylizeJob     job;       /* points at the copies below */
  VkaImageSource    content;
  VkaImageSink      out;
  VkaStylizeOptions options;
  float            *targets[2];
  int               tile;
  gboolean          keep_on_device;
  int               interior;  /* of the last attempt's tiles; 0: not chosen */
  VkaStylizeRun    *run;       /* submitted, not finished */
};

static gboolean
check_stylize_args (const VkaImageSource *content, int n_styles,
                    const VkaStylizeOptions *options, const VkaImageSink *out,
                    GError **error)
{
  if (!content || !content->read || content->width <= 0 || content->height <= 0
      || content->channels < 1 || content->channels > 4)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                   "the content image is empty or has an unsupported channel count");
      return FALSE;
    }
  if (!out || !out->write || (out->channels != 3 && out->channels != 4))
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                   "the output must take 3 or 4 channels");
      return FALSE;
    }
  if (n_styles < 1)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT, "no style given");
      return FALSE;
    }
  if (!vka_param_check (VKA_PARAM_STRENGTH, options->alpha, "", error))
    return FALSE;
  if (options->mask)
    {
      if (!vka_check_image ("mask", options->mask, error))
        return FALSE;
      if (n_styles != 2)
        {
          g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                       "a mask needs exactly two styles, not %d", n_styles);
          return FALSE;
        }
      if (options->mask->width != content->width || options->mask->height != content->height)
        {
          g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                       "the mask is %d×%d, the content %d×%d", options->mask->width,
                       options->mask->height, content->width, content->height);
          return FALSE;
        }
    }
  return TRUE;
}

static void
pending_free (VkaStylizePending *p)
{
  g_clear_pointer (&p->run, vka_stylize_run_free);
  g_free (p->targets[0]);
  g_free (p->targets[1]);
  g_free (p);
}

/* After an attempt failed with error: whether to try again, out of device
 * memory, with tiles half as wide, leaving the device's memory to them. */
static gboolean
retry_smaller (VkaStylizePending *p, const GError *error)
{
  if (!g_error_matches (error, VKA_ERROR, VKA_ERROR_OUT_OF_MEMORY) || p->interior / 2 < 64)
    return FALSE;
  g_debug ("%s; retrying with %d-pixel tiles", error->message, p->interior / 2);
  p->tile = p->interior / 2;
  p->keep_on_device = FALSE;
  return TRUE;
}

/* Attempts until one has submitted its last tile (p->run), or one fails
 * other than by running out of memory. */
static gboolean
submit_attempts (VkaStylizePending *p, GError **error)
{
  while (TRUE)
    {
      g_autoptr (GError) local = NULL;
      p->interior = 0;
      p->run = vka_stylize_run_submit (&p->job, p->tile, p->keep_on_device, &p->interior,
                                       &local);
      if (p->run)
        return TRUE;
      if (!retry_smaller (p, local))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
    }
}

VkaStylizePending *
vka_stylize_submit (VkaModel *model, const VkaImageSource *content,
                    const VkaStyle *const *styles, const double *weights, int n_styles,
                    const VkaStylizeOptions *options, const VkaImageSink *out,
                    VkaProgressFunc progress, gpointer progress_data,
                    GCancellable *cancellable, GError **error)
{
  VkaStylizeOptions defaults = VKA_STYLIZE_OPTIONS_DEFAULT;
  if (!options)
    options = &defaults;
  if (!check_stylize_args (content, n_styles, options, out, error))
    return NULL;
  VkaStylizePending *p = g_new0 (VkaStylizePending, 1);
  p->content = *content;
  p->out = *out;
  p->options = *options;
  p->tile = options->tile;
  p->keep_on_device = TRUE;
  p->job = (VkaStylizeJob) { model, &p->content, &p->options, p->targets, &p->out, progress,
                             progress_data, cancellable };
  int channels = vka_model_feature_channels (model);
  if (options->mask)
    {
      p->targets[0] = vka_style_mix_stats (styles, NULL, 1, channels, error);
      p->targets[1] = p->targets[0] ? vka_style_mix_stats (styles + 1, NULL, 1, channels,
                                                           error)
                                    : NULL;
    }
  else
    p->targets[0] = vka_style_mix_stats (styles, weights, n_styles, channels, error);
  if (!p->targets[0] || (options->mask && !p->targets[1]) || !submit_attempts (p, error))
    g_clear_pointer (&p, pending_free);
  return p;
}

gboolean
vka_stylize_finish (VkaStylizePending *p, GError **error)
{
  g_autoptr (GError) local = NULL;
  gboolean ok = vka_stylize_run_finish (g_steal_pointer (&p->run), &local);
  /* out of memory on the last tile: again in smaller tiles, as earlier */
  while (!ok && retry_smaller (p, local))
    {
      g_clear_error (&local);
      ok = submit_attempts (p, &local)
           && vka_stylize_run_finish (g_steal_pointer (&p->run), &local);
    }
  if (!ok)
    g_propagate_error (error, g_steal_pointer (&local));
  pending_free (p);
  return ok;
}

gboolean
vka_stylize_stream (VkaModel *model, const VkaImageSource *content,
                    const VkaStyle *const *styles, const double *weights, int n_styles,
                    const VkaStylizeOptions *options, const VkaImageSink *out,
                    VkaProgressFunc progress, gpointer progress_data,
                    GCancellable *cancellable, GError **error)
{
  VkaStylizePending *p = vka_stylize_submit (model, content, styles, weights, n_styles,
                                             options, out, progress, progress_data,
                                             cancellable, error);
  return p && vka_stylize_finish (p, error);
}

gboolean
vka_stylize (VkaModel *model, const VkaImage *content, const VkaStyle *const *styles,
             const double *weights, int n_styles, const VkaStylizeOptions *options,
             VkaImage *out, VkaProgressFunc progress, gpointer progress_data,
             GCancellable *cancellable, GError **error)
{
  if (!vka_check_image ("content", content, error) || !vka_check_image ("output", out, error))
    return FALSE;
  if (out->width != content->width || out->height != content->height || out->channels < 3)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                   "the output image must be %d×%d with 3 or 4 channels",
                   content->width, content->height);
      return FALSE;
    }
  VkaImageSource source;
  VkaImageSink sink;
  vka_image_source_init (&source, content);
  vka_image_sink_init (&sink, out);
  return vka_stylize_stream (model, &source, styles, weights, n_styles, options, &sink,
                             progress, progress_data, cancellable, error);
}
