/* vk-adain-bench — time the full-width network (random weights, widths
 * 64/128/256/512) at N×N: per-layer time and GFLOP/s, then whole
 * stylisations (content and style encoded each time).
 *
 *   vk-adain-bench [--size N] [--reps R] [--device D] [--threads T]
 *                  [--throughput N]
 *
 * --throughput N also stylises N times with one style encoded beforehand (as
 * a folder run does) and prints images per second.
 *
 * It also prints the submissions and bytes moved between host and device
 * of one stylisation (the backend's counts: on the CPU backend, the copies
 * in and out of its tensors), and per stylisation of two, the second
 * submitted before the first is finished (vka_stylize_submit), as a
 * folder run does.
 *
 * --device cpu times the oneDNN CPU backend ($VKA_CPU_VERBOSE=1 prints the
 * algorithm it measured and chose per convolution).
 *
 *   vk-adain-bench --train [--batch B] [--size N] [--reps R] [--device D]
 *                  [--threads T] [--widths 64,128,256,512]
 *
 * times training iterations instead (vk-adain-train's step: B content and
 * B style crops of N², full widths or --widths, Adam) and prints images per
 * second ($VKA_CPU_PROFILE=1 adds the CPU backend's time per op);
 * bench/compare-train runs it next to PyTorch's training step. */
#include "context-private.h"
#include "net/stylize-private.h"
#include "vulkan/vulkan-backend.h"
#include "cpu/cpu-backend.h"
#include "vka-train.h"

#include <math.h>
#include <stdlib.h>

typedef struct
{
  GArray *times;     /* per layer of this pass, seconds */
  GArray *flops;
  GPtrArray *names;
  gint64  last;
  guint   layer;
  VkaBackend *vulkan;   /* the backend timed when it is Vulkan, else NULL */
} Timing;

static void
on_layer (const VkaLayerInfo *info, gpointer data)
{
  Timing *t = data;
  gint64 now = g_get_monotonic_time ();
  double s = (now - t->last) / 1e6;
  t->last = now;
  if (t->layer >= t->times->len)
    {
      const char *kind = info->spec->kind == VKA_LAYER_CONV
                           ? (info->spec->kernel == 1 ? "conv1x1" : "conv3x3")
                           : info->spec->kind == VKA_LAYER_MAXPOOL ? "maxpool" : "upsample";
      /* which 3×3 kernel ran (Vulkan: tuned per shape, or the default) */
      const char *how = "";
      if (t->vulkan && info->spec->kind == VKA_LAYER_CONV && info->spec->kernel == 3)
        how = vka_vk_backend_conv3x3_kernel (t->vulkan, 1, info->in_channels,
                                             info->out_channels, info->height, info->width,
                                             info->upsampled_input);
      g_ptr_array_add (t->names, g_strdup_printf ("%-8s %3d  %4d->%-4d %5dx%-5d %s", kind,
                                                  info->spec->index, info->in_channels,
                                                  info->out_channels, info->width,
                                                  info->height, how));
      double zero = 0;
      g_array_append_val (t->times, zero);
      g_array_append_val (t->flops, info->flops);
    }
  /* keep the best of the repetitions per layer */
  double *slot = &g_array_index (t->times, double, t->layer);
  if (*slot == 0 || s < *slot)
    *slot = s;
  t->layer++;
}

static int
compare_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

/* Where a whole-image stylisation's time goes, phase by phase (each ends
 * with the device idle): the sum is close to one untiled vka_stylize, which
 * records the last two phases in the same command buffer instead. */
static gboolean
time_phases (VkaModel *model, VkaBackend *b, const VkaImage *content, int reps,
             GError **error)
{
  enum { UPLOAD_ENCODE, STATS_ADAIN_DECODE, READ_IMAGE, N_PHASES };
  static const char *names[N_PHASES] = { "upload + encode",
                                         "statistics + AdaIN + decode (device)",
                                         "read the picture back" };
  double best[N_PHASES];
  for (int p = 0; p < N_PHASES; p++)
    best[p] = G_MAXDOUBLE;
  for (int r = 0; r < reps; r++)
    {
      double t[N_PHASES];
      gint64 start = g_get_monotonic_time ();
#define PHASE_END(p) do { gint64 now = g_get_monotonic_time (); \
                          t[p] = (now - start) / 1e3; start = now; } while (0)
      g_autoptr (VkaTensor) f = vka_model_encode (model, content, NULL, NULL, error);
      if (!f || !b->ops->flush (b, error))
        return FALSE;
      PHASE_END (UPLOAD_ENCODE);
      g_autoptr (VkaTensor) xs = vka_tensor_new (b, 1, f->c, 1, 2, error);
      g_autoptr (VkaTensor) adapted = vka_tensor_new (b, 1, f->c, f->h, f->w, error);
      if (!xs || !adapted || !b->ops->channel_stats (b, f, xs, error)
          || !b->ops->adain (b, f, xs, xs, 1.0f, adapted, error))
        return FALSE;
      g_autoptr (VkaTensor) decoded = vka_network_forward (vka_model_decoder (model), adapted,
                                                           NULL, NULL, error);
      g_autoptr (VkaTensor) rgb = decoded ? vka_tensor_new (b, 1, 1, content->height,
                                                            content->width * 3, error)
                                          : NULL;
      if (!rgb || !b->ops->tensor_to_image (b, decoded, 0, 0, rgb, error)
          || !b->ops->flush (b, error))
        return FALSE;
      PHASE_END (STATS_ADAIN_DECODE);
      g_autofree float *pixels = g_new (float, vka_tensor_numel (rgb));
      if (!b->ops->tensor_read (rgb, pixels, error))
        return FALSE;
      PHASE_END (READ_IMAGE);
#undef PHASE_END
      for (int p = 0; p < N_PHASES; p++)
        best[p] = MIN (best[p], t[p]);
    }
  g_print ("\n%-46s %10s\n", "phase of one stylisation (best of reps)", "ms");
  for (int p = 0; p < N_PHASES; p++)
    g_print ("%-46s %10.2f\n", names[p], best[p]);
  return TRUE;
}

static gboolean
time_throughput (VkaModel *model, const VkaImage *content, const VkaImage *style_image,
                 VkaImage *out, int count, GError **error)
{
  g_autoptr (VkaStyle) style = vka_style_from_image (model, style_image, NULL, error);
  if (!style)
    return FALSE;
  const VkaStyle *styles[1] = { style };
  gint64 start = g_get_monotonic_time ();
  for (int i = 0; i < count; i++)
    if (!vka_stylize (model, content, styles, NULL, 1, NULL, out, NULL, NULL, NULL, error))
      return FALSE;
  double s = (g_get_monotonic_time () - start) / 1e6;
  g_print ("throughput %dx%d, one style: %d stylisations in %.3f s = %.1f images/s\n",
           content->width, content->height, count, s, count / s);
  return TRUE;
}

/* The counts between from and to over n stylisations, per stylisation. */
static void
print_transfer_line (const char *what, const VkaTransferStats *from, const VkaTransferStats *to,
                     guint64 n)
{
  guint64 up = (to->bytes_to_device - from->bytes_to_device) / n;
  guint64 down = (to->bytes_to_host - from->bytes_to_host) / n;
  double submissions = (double) (to->submissions - from->submissions) / n;
  g_print ("submissions per stylisation: %g (%s); bytes moved: %" G_GUINT64_FORMAT
           " host->device, %" G_GUINT64_FORMAT " device->host (%.2f + %.2f MiB)\n",
           submissions, what, up, down, up / 1048576.0, down / 1048576.0);
}

/* What one stylisation submits and moves between host and device, once
 * with a style encoded beforehand and once with the style encoded from its
 * picture in the same run (after the timed runs: pipelines made, kernels
 * tuned). */
static gboolean
print_transfers (VkaModel *model, VkaBackend *b, const VkaImage *content,
                 const VkaImage *style_image, VkaImage *out, GError **error)
{
  if (!b->ops->transfer_stats)
    return TRUE;
  g_autoptr (VkaStyle) style = vka_style_from_image (model, style_image, NULL, error);
  if (!style)
    return FALSE;
  const VkaStyle *styles[1] = { style };
  VkaTransferStats start, styled, encoded;
  b->ops->transfer_stats (b, &start);
  if (!vka_stylize (model, content, styles, NULL, 1, NULL, out, NULL, NULL, NULL, error))
    return FALSE;
  b->ops->transfer_stats (b, &styled);
  g_autoptr (VkaStyle) again = vka_style_from_image (model, style_image, NULL, error);
  styles[0] = again;
  if (!again || !vka_stylize (model, content, styles, NULL, 1, NULL, out, NULL, NULL, NULL,
                              error))
    return FALSE;
  b->ops->transfer_stats (b, &encoded);
  print_transfer_line ("style encoded beforehand", &start, &styled, 1);
  print_transfer_line ("style encoded from its picture", &styled, &encoded, 1);
  return TRUE;
}

/* The same with a style encoded beforehand for two stylisations, the
 * second submitted before the first is finished. */
static gboolean
print_overlapped_transfers (VkaModel *model, VkaBackend *b, const VkaImage *content,
                            const VkaImage *style_image, VkaImage *out, GError **error)
{
  if (!b->ops->transfer_stats)
    return TRUE;
  g_autoptr (VkaStyle) style = vka_style_from_image (model, style_image, NULL, error);
  if (!style)
    return FALSE;
  const VkaStyle *styles[1] = { style };
  g_autoptr (VkaImage) out2 = vka_image_new (out->width, out->height, out->channels, error);
  if (!out2)
    return FALSE;
  VkaImageSource source;
  VkaImageSink sinks[2];
  vka_image_source_init (&source, content);
  vka_image_sink_init (&sinks[0], out);
  vka_image_sink_init (&sinks[1], out2);
  VkaTransferStats start, end;
  gboolean vulkan = g_str_equal (b->ops->name, "vulkan");
  if (vulkan)
    vka_vk_backend_reset_peak (b);
  b->ops->transfer_stats (b, &start);
  VkaStylizePending *first = vka_stylize_submit (model, &source, styles, NULL, 1, NULL,
                                                 &sinks[0], NULL, NULL, NULL, error);
  if (!first)
    return FALSE;
  VkaStylizePending *second = vka_stylize_submit (model, &source, styles, NULL, 1, NULL,
                                                  &sinks[1], NULL, NULL, NULL, error);
  gboolean ok = vka_stylize_finish (first, second ? error : NULL) && second;
  if (second)
    ok = vka_stylize_finish (second, ok ? error : NULL) && ok;
  if (!ok)
    return FALSE;
  b->ops->transfer_stats (b, &end);
  print_transfer_line ("two, the second submitted before the first finished", &start, &end,
                       2);
  if (vulkan)
    g_print ("peak device memory (those two, weights included): %.1f MiB\n",
             vka_vk_backend_peak_bytes (b) / 1048576.0);
  return TRUE;
}

/* A context on the chosen device (one that can train, for_training), its
 * device printed; NULL when there is none (the error printed). */
static VkaContext *
open_context (const VkaContextOptions *options, gboolean for_training)
{
  g_autoptr (GError) error = NULL;
  VkaContext *ctx = for_training ? vka_context_new_for_training (options, &error)
                                 : vka_context_new (options, &error);
  if (!ctx)
    {
      g_printerr ("vk-adain-bench: %s\n", error->message);
      return NULL;
    }
  const VkaDeviceInfo *info = vka_context_device (ctx);
  g_print ("device: %s (%s)\n", info->name, info->driver);
  VkaBackend *backend = vka_context_backend (ctx);
  if (g_str_equal (backend->ops->name, "vulkan"))
    {
      g_autofree char *shapes = vka_vk_backend_coopmat_shapes (backend);
      g_print ("cooperative matrices: %s\n", shapes);
    }
  return ctx;
}

/* One warm-up iteration, then reps timed ones (each ends with the losses
 * read back, so the device is idle). */
static int
time_training (const char *device, int threads, const int widths[4], int size, int batch,
               int reps)
{
  g_autoptr (GError) error = NULL;
  VkaContextOptions copts = { .device = device, .threads = threads };
  g_autoptr (VkaContext) ctx = open_context (&copts, TRUE);
  if (!ctx)
    return 1;
  g_print ("widths %d/%d/%d/%d\n", widths[0], widths[1], widths[2], widths[3]);
  g_autoptr (GRand) rand = g_rand_new_with_seed (1);
  g_autoptr (VkaWeights) enc = vka_network_random_weights (VKA_NETWORK_ENCODER, widths, rand);
  g_autoptr (VkaWeights) dec = vka_decoder_init_weights (enc, rand, &error);
  VkaTrainOptions topts = VKA_TRAIN_OPTIONS_DEFAULT;
  g_autoptr (VkaTrainer) trainer = dec ? vka_trainer_new (ctx, enc, dec, &topts, &error) : NULL;
  gsize n = (gsize) batch * 3 * size * size;
  g_autofree float *content = g_try_new (float, n), *style = g_try_new (float, n);
  if (!trainer || !content || !style)
    {
      g_printerr ("vk-adain-bench: %s\n", error ? error->message : "out of memory");
      return 1;
    }
  for (gsize i = 0; i < n; i++)
    {
      content[i] = (float) g_rand_double (rand);
      style[i] = (float) g_rand_double (rand);
    }
  double *runs = g_new (double, reps + 1);
  for (int r = 0; r <= reps; r++)
    {
      VkaTrainLosses l;
      gint64 start = g_get_monotonic_time ();
      if (!vka_trainer_step (trainer, content, style, batch, size, size, &l, &error))
        {
          g_printerr ("vk-adain-bench: %s\n", error->message);
          g_free (runs);
          return 1;
        }
      runs[r] = (g_get_monotonic_time () - start) / 1e6;
      g_print ("iteration %d: %.3f s, loss %.4g%s\n", r, runs[r], l.loss,
               r ? "" : " (warm-up)");
      if (r == 0 && g_str_equal (vka_context_backend (ctx)->ops->name, "cpu"))
        vka_cpu_backend_profile_reset (vka_context_backend (ctx));
    }
  qsort (runs + 1, reps, sizeof (double), compare_double);
  double med = runs[1 + reps / 2];
  g_print ("train batch %d %dx%d: median %.3f s/iteration = %.3f images/s\n", batch, size,
           size, med, batch / med);
  g_free (runs);
  return 0;
}

static void
timing_clear (Timing *t)
{
  g_array_unref (t->times);
  g_array_unref (t->flops);
  g_ptr_array_unref (t->names);
}

/* Per-layer timings: encoder and decoder passes with a flush after each
 * layer, printed as a table. *untiled: FALSE when the picture is too large
 * for one pass (then nothing is timed here; it still stylises in tiles). */
static gboolean
time_layers (VkaModel *model, VkaBackend *backend, const VkaImage *content, int reps,
             gboolean *untiled, GError **error_out)
{
  g_autoptr (GError) error = NULL;
  /* per-layer: encoder and decoder passes with a flush after each layer */
  Timing t = { g_array_new (FALSE, TRUE, sizeof (double)),
               g_array_new (FALSE, TRUE, sizeof (double)),
               g_ptr_array_new_with_free_func (g_free), 0, 0,
               g_str_equal (backend->ops->name, "vulkan") ? backend : NULL };
  for (int r = 0; r < reps + 1; r++)   /* the first pass warms up pipelines */
    {
      t.layer = 0;
      t.last = g_get_monotonic_time ();
      g_autoptr (VkaTensor) features = vka_model_encode (model, content, on_layer, &t, &error);
      if (!features)
        break;
      t.last = g_get_monotonic_time ();
      g_autoptr (VkaTensor) decoded = vka_network_forward (vka_model_decoder (model), features,
                                                           on_layer, &t, &error);
      if (!decoded)
        break;
      if (r == 0)
        {
          g_array_set_size (t.times, 0);
          g_array_set_size (t.flops, 0);
          g_ptr_array_set_size (t.names, 0);
        }
    }
  /* a picture too large for one pass still stylises (in tiles) below */
  *untiled = !error;
  if (g_error_matches (error, VKA_ERROR, VKA_ERROR_TOO_LARGE))
    {
      g_print ("\nper-layer and phase timings skipped: %s (the stylisations below run "
               "in tiles)\n", error->message);
      g_clear_error (&error);
    }
  if (error)
    {
      g_propagate_error (error_out, g_steal_pointer (&error));
      timing_clear (&t);
      return FALSE;
    }
  if (*untiled)
    g_print ("\n%-46s %10s %10s\n", "layer (best of reps)", "ms", "GFLOP/s");
  double total_s = 0, total_flops = 0;
  for (guint i = 0; *untiled && i < t.times->len; i++)
    {
      double s = g_array_index (t.times, double, i), f = g_array_index (t.flops, double, i);
      total_s += s;
      total_flops += f;
      if (f > 0)
        g_print ("%-46s %10.2f %10.1f\n", (char *) t.names->pdata[i], s * 1e3, f / s / 1e9);
      else
        g_print ("%-46s %10.2f %10s\n", (char *) t.names->pdata[i], s * 1e3, "-");
    }
  if (*untiled)
    g_print ("%-46s %10.2f %10.1f\n", "encoder + decoder", total_s * 1e3,
             total_flops / total_s / 1e9);

  timing_clear (&t);
  return TRUE;
}

int
main (int argc, char **argv)
{
  int size = 256, reps = 3, threads = 0, throughput = 0, batch = 8;
  gboolean train = FALSE;
  g_autofree char *device = NULL, *widths_arg = NULL;
  GOptionEntry entries[] = {
    { "size", 0, 0, G_OPTION_ARG_INT, &size, "Image side in pixels (default 256)", "N" },
    { "reps", 0, 0, G_OPTION_ARG_INT, &reps, "Repetitions (default 3)", "R" },
    { "device", 0, 0, G_OPTION_ARG_STRING, &device,
      "Device index, name substring, or \"cpu\"", "D" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads,
      "CPU backend threads (default 0: all cores)", "T" },
    { "throughput", 0, 0, G_OPTION_ARG_INT, &throughput,
      "Also time N stylisations with one pre-encoded style", "N" },
    { "train", 0, 0, G_OPTION_ARG_NONE, &train,
      "Time training iterations (batch of --batch content and style crops of --size)", NULL },
    { "batch", 0, 0, G_OPTION_ARG_INT, &batch, "Training batch (default 8)", "B" },
    { "widths", 0, 0, G_OPTION_ARG_STRING, &widths_arg,
      "Training: the encoder's four widths (default 64,128,256,512)", "A,B,C,D" },
    { NULL }
  };
  g_autoptr (GOptionContext) opts = g_option_context_new ("— time the AdaIN network");
  g_option_context_add_main_entries (opts, entries, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (opts, &argc, &argv, &error) || size < 1 || reps < 1)
    {
      g_printerr ("vk-adain-bench: %s\n", error ? error->message : "bad --size or --reps");
      return 2;
    }
  if (train)
    {
      int widths[4] = { 64, 128, 256, 512 };
      g_auto (GStrv) parts = widths_arg ? g_strsplit (widths_arg, ",", -1) : NULL;
      if (parts && g_strv_length (parts) != 4)
        batch = 0;
      for (int i = 0; parts && i < 4 && batch >= 1; i++)
        if ((widths[i] = atoi (parts[i])) < 1)
          batch = 0;
      if (batch < 1)
        {
          g_printerr ("vk-adain-bench: bad --batch or --widths\n");
          return 2;
        }
      return time_training (device, threads, widths, size, batch, reps);
    }

  VkaContextOptions copts = { .device = device, .threads = threads };
  g_autoptr (VkaContext) ctx = open_context (&copts, FALSE);
  if (!ctx)
    return 1;

  g_autoptr (GRand) rand = g_rand_new_with_seed (1);
  static const int widths[4] = { 64, 128, 256, 512 };
  g_autoptr (VkaWeights) enc = vka_network_random_weights (VKA_NETWORK_ENCODER, widths, rand);
  g_autoptr (VkaWeights) dec = vka_network_random_weights (VKA_NETWORK_DECODER, widths, rand);
  g_autoptr (VkaModel) model = vka_model_new (ctx, enc, dec, &error);
  if (!model)
    {
      g_printerr ("vk-adain-bench: %s\n", error->message);
      return 1;
    }

  g_autoptr (VkaImage) content = vka_image_new (size, size, 3, &error);
  g_autoptr (VkaImage) style_image = vka_image_new (size, size, 3, &error);
  g_autoptr (VkaImage) out = vka_image_new (size, size, 3, &error);
  if (!content || !style_image || !out)
    {
      g_printerr ("vk-adain-bench: %s\n", error->message);
      return 1;
    }
  for (gsize i = 0; i < (gsize) size * size * 3; i++)
    {
      content->pixels[i] = (float) g_rand_double (rand);
      style_image->pixels[i] = (float) g_rand_double (rand);
    }

  VkaBackend *backend = vka_context_backend (ctx);
  gboolean untiled = FALSE;
  if (!time_layers (model, backend, content, reps, &untiled, &error))
    {
      g_printerr ("vk-adain-bench: %s\n", error->message);
      return 1;
    }
  if (untiled && !time_phases (model, backend, content, reps, &error))
    {
      g_printerr ("vk-adain-bench: %s\n", error->message);
      return 1;
    }

  /* whole stylisations: style encode + stylize, as a user runs them; the
   * peak memory is theirs (with the weights), not the per-layer runs' */
  if (g_str_equal (backend->ops->name, "vulkan"))
    vka_vk_backend_reset_peak (backend);
  double *runs = g_new (double, reps);
  for (int r = 0; r < reps; r++)
    {
      gint64 start = g_get_monotonic_time ();
      g_autoptr (VkaStyle) style = vka_style_from_image (model, style_image, NULL, &error);
      const VkaStyle *styles[1] = { style };
      if (!style || !vka_stylize (model, content, styles, NULL, 1, NULL, out, NULL, NULL,
                                  NULL, &error))
        {
          g_printerr ("vk-adain-bench: %s\n", error->message);
          return 1;
        }
      runs[r] = (g_get_monotonic_time () - start) / 1e6;
    }
  qsort (runs, reps, sizeof (double), compare_double);
  if (!print_transfers (model, backend, content, style_image, out, &error))
    {
      g_printerr ("vk-adain-bench: %s\n", error->message);
      return 1;
    }
  if (throughput > 0 && !time_throughput (model, content, style_image, out, throughput, &error))
    {
      g_printerr ("vk-adain-bench: %s\n", error->message);
      return 1;
    }
  if (g_str_equal (backend->ops->name, "vulkan"))
    g_print ("peak device memory (a stylisation, weights included): %.1f MiB\n",
             vka_vk_backend_peak_bytes (backend) / 1048576.0);
  else if (g_str_equal (backend->ops->name, "cpu"))
    g_print ("peak tensor memory: %.1f MiB\n",
             vka_cpu_backend_peak_bytes (backend) / 1048576.0);
  /* after the peak: two stylisations in flight hold more than one */
  if (!print_overlapped_transfers (model, backend, content, style_image, out, &error))
    {
      g_printerr ("vk-adain-bench: %s\n", error->message);
      return 1;
    }
  g_print ("stylize %dx%d: median %.3f s\n", size, size, runs[reps / 2]);
  g_free (runs);
  return 0;
}
