/* vk-adain-train — train an AdaIN decoder on a GPU or the CPU (the
 * reference's train.py: Adam, lr / (1 + decay·i), content + style loss,
 * 512² squash + 256² random crops, two folders of pictures).
 *
 *   vk-adain-train --content-dir DIR --style-dir DIR [--vgg FILE] [--save-dir DIR] ...
 *
 * The save folder receives decoder_iter_{i}.pth (+ .safetensors) and the
 * resume files every --save-interval iterations and at the end
 * (checkpoint.h), train_log.csv and loss.svg (train-log.h), and
 * sample_iter_{i}.png every few checkpoints (samples.h). Ctrl-C (SIGINT,
 * SIGTERM) saves a checkpoint and exits; --resume continues from the newest
 * checkpoint with the same losses as a run that never stopped.
 *
 * Under mpirun (train-mpi.h) every rank takes its share of each global
 * batch, computes the gradients on its own device, and the ranks average
 * them (in rank order, so deterministically) before the same update on
 * every rank; rank 0 alone writes the save folder. */
#include "checkpoint.h"
#include "data-loader.h"
#include "samples.h"
#include "train-log.h"
#include "train-mpi.h"
#include "vka-imageio.h"

#include <glib/gstdio.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Samples are written every SAMPLE_EVERY checkpoints and at the end. */
enum { SAMPLE_EVERY = 5 };

typedef struct
{
  char    *content_dir, *style_dir, *vgg, *save_dir, *decoder_init, *optimizer, *device;
  char    *seed_text;
  char    *upsample;          /* "nearest", "bilinear" or NULL: the starting decoder's */
  double   lr, lr_decay, style_weight, content_weight;
  double   content_noise;     /* < 0: the starting decoder's */
  int      max_iter, batch, resize, crop, threads, save_interval, log_interval;
  gboolean augment;
  int      compute_threads;   /* the CPU backend's; 0: all cores */
  gboolean resume;
  guint64  seed;
} Options;

static volatile sig_atomic_t stop_signal = 0;

/* Ends the progress line (drawn only on a terminal) before a message. */
static const char *
after_progress (void)
{
  return isatty (STDERR_FILENO) ? "\n" : "";
}

static void
on_signal (int signo)
{
  stop_signal = signo;
}

static void
catch_signals (void)
{
  struct sigaction sa = { 0 };
  sa.sa_handler = on_signal;
  /* a second Ctrl-C ends the process at once (checkpoints stay whole) */
  sa.sa_flags = SA_RESETHAND;
  sigemptyset (&sa.sa_mask);
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
  /* mpirun forwards SIGUSR1 to the ranks (SIGINT and SIGTERM it turns into
   * ending the job): kill -USR1 on mpirun saves and stops */
  sigaction (SIGUSR1, &sa, NULL);
}

static gboolean
fail_args (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
fail_args (GError **error, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  g_autofree char *msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, msg);
  return FALSE;
}

/* A hash of the settings every rank must share (not the per-rank thread
 * counts), to catch ranks started differently. */
static guint64
options_hash (const Options *o)
{
  g_autofree char *text = g_strdup_printf (
    "%s|%s|%s|%s|%s|%s|%s|%s|%s|%a|%a|%a|%a|%d|%d|%d|%d|%d|%d|%d|%d|%a", o->content_dir,
    o->style_dir, o->vgg ? o->vgg : "", o->save_dir, o->decoder_init ? o->decoder_init : "",
    o->optimizer, o->device ? o->device : "", o->seed_text ? o->seed_text : "",
    o->upsample ? o->upsample : "", o->lr, o->lr_decay,
    o->style_weight, o->content_weight, o->max_iter, o->batch, o->resize, o->crop,
    o->save_interval, o->log_interval, o->resume, o->augment,
    o->content_noise);
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (sum, (const guchar *) text, -1);
  guint8 digest[32];
  gsize len = sizeof digest;
  g_checksum_get_digest (sum, digest, &len);
  guint64 h = 0;
  for (int i = 0; i < 8; i++)
    h = h << 8 | digest[i];
  return h ? h : 1;   /* 0 stands for options that did not parse */
}

static gboolean
check_options (Options *o, GError **error)
{
  if (!o->content_dir || !o->style_dir)
    return fail_args (error, "--content-dir and --style-dir are required");
  if (o->batch < 1 || o->batch > 4096)
    return fail_args (error, "--batch-size %d: must be 1..4096", o->batch);
  if (o->crop < 16 || o->crop > 8192)
    return fail_args (error, "--crop-size %d: must be 16..8192", o->crop);
  if (o->resize != 0 && (o->resize < o->crop || o->resize > 16384))
    return fail_args (error, "--resize %d: must be 0 (no resize) or from --crop-size (%d) "
                      "to 16384", o->resize, o->crop);
  if (o->max_iter < 1)
    return fail_args (error, "--max-iter %d: must be at least 1", o->max_iter);
  if (o->save_interval < 1)
    return fail_args (error, "--save-interval %d: must be at least 1", o->save_interval);
  if (o->log_interval < 1)
    return fail_args (error, "--log-interval %d: must be at least 1", o->log_interval);
  if (o->threads < 1 || o->threads > 256)
    return fail_args (error, "--n-threads %d: must be 1..256", o->threads);
  if (o->compute_threads < 0 || o->compute_threads > 1024)
    return fail_args (error, "--threads %d: must be 0 (all cores) to 1024", o->compute_threads);
  if (!(o->lr > 0) || !(o->lr < 1e3))
    return fail_args (error, "--lr %g: must be above 0", o->lr);
  if (!(o->lr_decay >= 0) || !(o->lr_decay < 1e6))
    return fail_args (error, "--lr-decay %g: must be 0 or more", o->lr_decay);
  if (!(o->style_weight >= 0) || !(o->content_weight >= 0) || !(o->style_weight < 1e12)
      || !(o->content_weight < 1e12))
    return fail_args (error, "--style-weight and --content-weight must be 0 or more");
  if (strcmp (o->optimizer, "adam") != 0 && strcmp (o->optimizer, "sgd") != 0)
    return fail_args (error, "--optimizer %s: must be adam or sgd", o->optimizer);
  if (o->content_noise != -1 && !(o->content_noise >= 0 && o->content_noise <= 1))
    return fail_args (error, "--content-noise %g: must be in [0, 1]", o->content_noise);
  if (o->upsample && strcmp (o->upsample, "nearest") != 0
      && strcmp (o->upsample, "bilinear") != 0)
    return fail_args (error, "--upsample %s: must be nearest or bilinear", o->upsample);
  int ranks = train_mpi_size ();
  if (o->batch % ranks != 0)
    return fail_args (error, "--batch-size %d cannot be shared by %d ranks: the global batch "
                      "must be a multiple of the number of ranks (mpirun -n)", o->batch, ranks);
  if (o->resume && o->decoder_init)
    return fail_args (error, "--resume and --decoder-init exclude each other (a resumed "
                      "run starts from its checkpoint)");
  if (o->seed_text)
    {
      char *end;
      o->seed = g_ascii_strtoull (o->seed_text, &end, 10);
      if (!*o->seed_text || *end || o->seed_text[0] == '-')
        return fail_args (error, "--seed %s: must be a whole number 0 or more", o->seed_text);
    }
  else
    o->seed = (guint64) g_random_int () << 32 | g_random_int ();   /* rank 0's: main */
  return TRUE;
}

/* --vgg, else vgg_normalised.* from the model folders the CLI searches (the
 * build tree's models/ right after $VK_ADAIN_MODELS when running from the
 * build tree). */
static gboolean
find_vgg (Options *o, GError **error)
{
  if (o->vgg)
    return TRUE;
  g_autofree char *dec = NULL;
  return vka_model_files_find_for_program (VKA_BUILD_TRAINING_DIR, VKA_BUILD_MODELS_DIR,
                                           &o->vgg, &dec, error);
}

/* Gives the starting decoder (origin: where it came from, for messages)
 * the upsampling --upsample asks for: a reference (nearest) decoder may
 * start a bilinear run, not the other way round, and a resumed run keeps
 * its checkpoint's. */
static gboolean
apply_upsample (const Options *o, VkaWeights *decoder, const char *origin, gboolean *bilinear_out,
                GError **error)
{
  gboolean bilinear;
  if (!vka_decoder_bilinear (decoder, &bilinear, origin, error))
    return FALSE;
  *bilinear_out = bilinear;
  if (!o->upsample || (strcmp (o->upsample, "bilinear") == 0) == bilinear)
    return TRUE;
  if (o->resume)
    return fail_args (error, "--upsample %s: the checkpoint's decoder upsamples %s; give the "
                      "same to resume", o->upsample, bilinear ? "bilinearly" : "by nearest "
                      "neighbour");
  if (bilinear)
    return fail_args (error, "--upsample nearest: %s upsamples bilinearly, and a run cannot "
                      "take that away", origin);
  *bilinear_out = TRUE;
  return vka_decoder_mark_bilinear (decoder, error);
}

/* A resumed run must draw the data as the first part did: the same seed,
 * batches and crops. --resize only changes how a drawn picture is scaled
 * before its crop, so it may change (said, not refused): a run can go on
 * with pictures kept in shape after a first part on squashed ones. */
static gboolean
check_resume (Options *o, const CheckpointInfo *ci, GError **error)
{
  if (o->seed_text && o->seed != ci->seed)
    return fail_args (error, "--seed %s differs from the checkpoint's (%" G_GUINT64_FORMAT ")",
                      o->seed_text, ci->seed);
  o->seed = ci->seed;
  if (ci->batch != o->batch || ci->crop != o->crop)
    return fail_args (error, "the checkpoint was made with --batch-size %d --crop-size %d: "
                      "give the same to resume", ci->batch, ci->crop);
  if (ci->resize != o->resize && train_mpi_rank () == 0)
    g_printerr ("vk-adain-train: the checkpoint's pictures were prepared with --resize %d; "
                "going on with --resize %d\n", ci->resize, o->resize);
  if (ci->sgd != (strcmp (o->optimizer, "sgd") == 0))
    return fail_args (error, "the checkpoint was made with --optimizer %s",
                      ci->sgd ? "sgd" : "adam");
  return TRUE;
}

typedef struct
{
  Options        *o;
  VkaContext     *context;
  VkaWeights     *encoder;
  VkaTrainer     *trainer;
  DataLoader     *loader;
  TrainLog       *log;          /* rank 0's only */
  float          *grads;        /* the gradient exchange buffer, with several ranks */
  gint64          exchange_us;  /* time spent exchanging gradients and losses */
  gint64          step_us;      /* time spent in whole steps */
  int             steps;
} Run;

/* One iteration: vka_trainer_step alone, or with several ranks each
 * rank's gradients and losses on its share of the batch, averaged. */
static gboolean
step (Run *r, const float *content, const float *style, VkaTrainLosses *l, GError **error)
{
  Options *o = r->o;
  int ranks = train_mpi_size ();
  if (ranks == 1)
    return vka_trainer_step (r->trainer, content, style, o->batch, o->crop, o->crop, l, error);
  gint64 t0 = g_get_monotonic_time ();
  if (!vka_trainer_compute_gradients (r->trainer, content, style, o->batch / ranks, o->crop,
                                      o->crop, l, error))
    return FALSE;
  gint64 t1 = g_get_monotonic_time ();
  gsize n = vka_trainer_n_gradient_values (r->trainer);
  if (!r->grads)
    r->grads = g_new (float, n);
  if (!vka_trainer_read_gradients (r->trainer, r->grads, error))
    return FALSE;
  /* equal shares: the mean of the ranks' batch means is the batch's mean */
  train_mpi_average_floats (r->grads, n);
  double losses[3] = { l->loss, l->content, l->style };
  train_mpi_average_doubles (losses, 3);
  l->loss = losses[0];
  l->content = losses[1];
  l->style = losses[2];
  if (!vka_trainer_write_gradients (r->trainer, r->grads, error))
    return FALSE;
  gint64 t2 = g_get_monotonic_time ();
  if (!vka_trainer_apply_gradients (r->trainer, l, error))
    return FALSE;
  r->exchange_us += t2 - t1;
  r->step_us += g_get_monotonic_time () - t0;
  r->steps++;
  return TRUE;
}

/* Test hooks: $VKA_TRAIN_FAULT=kill-rank:R:I sends rank R SIGKILL as it
 * starts iteration I + 1 (a rank lost mid-run); fail-rank:R:I makes it fail
 * there with an error instead (a rank that gives up). */
static gboolean
fault_rank (int iteration, GError **error)
{
  const char *fault = g_getenv ("VKA_TRAIN_FAULT");
  if (!fault
      || !(g_str_has_prefix (fault, "kill-rank:") || g_str_has_prefix (fault, "fail-rank:")))
    return TRUE;
  g_autofree char *want = g_strdup_printf ("%d:%d", train_mpi_rank (), iteration);
  if (strcmp (fault + strlen ("kill-rank:"), want) != 0)
    return TRUE;
  if (fault[0] == 'k')
    raise (SIGKILL);
  g_set_error (error, VKA_ERROR, VKA_ERROR_DEVICE, "injected failure at iteration %d",
               iteration + 1);
  return FALSE;
}

static gboolean
save (Run *r, int iteration, gboolean samples, GError **error)
{
  if (train_mpi_rank () != 0)
    return TRUE;
  CheckpointInfo ci = { iteration, r->o->seed, r->o->batch, r->o->resize, r->o->crop,
                        strcmp (r->o->optimizer, "sgd") == 0 };
  if (!checkpoint_save (r->o->save_dir, r->trainer, &ci, error) || !train_log_plot (r->log, error))
    return FALSE;
  if (samples)
    {
      g_autoptr (GError) e = NULL;
      if (!samples_write (r->context, r->encoder, r->trainer,
                          data_loader_first_file (r->loader, FALSE),
                          data_loader_first_file (r->loader, TRUE), MIN (r->o->crop, 512),
                          r->o->save_dir, iteration, &e))
        g_printerr ("%svk-adain-train: warning: no sample picture: %s\n", after_progress (),
                    e->message);
    }
  return TRUE;
}

static gboolean
train (Run *r, int start, GError **error)
{
  Options *o = r->o;
  gint64 t0 = g_get_monotonic_time (), t_row = t0;
  int it_row = start, last_saved = start;
  gboolean lead = train_mpi_rank () == 0;
  VkaTrainLosses l = { 0 };
  /* with several ranks, a signal to any of them stops all at one iteration */
  gboolean stopping = train_mpi_any (stop_signal != 0);
  for (int it = start; it < o->max_iter && !stopping;)
    {
      const float *content, *style;
      if (!fault_rank (it, error)
          || !data_loader_next (r->loader, &content, &style, error)
          || !step (r, content, style, &l, error))
        return FALSE;
      it++;
      gint64 now = g_get_monotonic_time ();
      double elapsed = (now - t0) / 1e6;
      double ips_total = elapsed > 0 ? (double) (it - start) * o->batch / elapsed : 0;
      stopping = train_mpi_any (stop_signal != 0);
      if (lead && (it % o->log_interval == 0 || it == o->max_iter))
        {
          double dt = (now - t_row) / 1e6;
          double ips = dt > 0 ? (double) (it - it_row) * o->batch / dt : 0;
          if (!train_log_append (r->log, it, &l, ips, error))
            return FALSE;
          t_row = now;
          it_row = it;
        }
      double eta = ips_total > 0 ? (double) (o->max_iter - it) * o->batch / ips_total : 0;
      if (lead)
        train_progress (it, o->max_iter, &l, ips_total, eta);
      if (it % o->save_interval == 0 || it == o->max_iter)
        {
          gboolean samples = it % (SAMPLE_EVERY * o->save_interval) == 0 || it == o->max_iter;
          if (!save (r, it, samples, error))
            return FALSE;
          last_saved = it;
          if (lead)
            g_print ("iteration %d/%d: loss %.6g (content %.6g, style %.6g), %.2f images/s; "
                     "saved decoder_iter_%d.pth\n", it, o->max_iter, l.loss, l.content,
                     l.style, ips_total, it);
        }
    }
  int done = vka_trainer_iteration (r->trainer);
  if (stopping)
    {
      if (done != last_saved && !save (r, done, FALSE, error))
        return FALSE;
      if (lead)
        g_printerr ("%svk-adain-train: %s at iteration %d: saved; continue with --resume\n",
                    after_progress (),
                    stop_signal == SIGTERM ? "terminated"
                    : stop_signal == SIGUSR1 ? "stopped (SIGUSR1)" : "interrupted", done);
    }
  if (lead && r->steps > 0)
    g_printerr ("%svk-adain-train: gradient exchange over %d ranks: %.1f ms of %.1f ms per "
                "step (%.1f%%)\n", after_progress (), train_mpi_size (),
                r->exchange_us / 1e3 / r->steps, r->step_us / 1e3 / r->steps,
                100.0 * r->exchange_us / MAX (r->step_us, 1));
  guint skipped = data_loader_skipped (r->loader);
  if (skipped)
    g_printerr ("%svk-adain-train: %u unreadable file%s skipped\n", after_progress (), skipped,
                skipped == 1 ? "" : "s");
  return TRUE;
}

/* With several ranks on a machine with several GPUs and no --device (nor
 * $VK_ADAIN_DEVICE): the GPU of the local rank (round robin), as an index
 * for --device. NULL: the usual choice. */
static char *
pick_device (const Options *o)
{
  if (train_mpi_local_size () <= 1 || (o->device && *o->device)
      || (g_getenv ("VK_ADAIN_DEVICE") && *g_getenv ("VK_ADAIN_DEVICE")))
    return NULL;
  g_autoptr (GPtrArray) devices = vka_list_devices (NULL);
  if (!devices)
    return NULL;
  g_autoptr (GArray) gpus = g_array_new (FALSE, FALSE, sizeof (int));
  for (guint i = 0; i < devices->len; i++)
    {
      const VkaDeviceInfo *d = devices->pdata[i];
      if (d->type == VKA_DEVICE_DISCRETE || d->type == VKA_DEVICE_INTEGRATED
          || d->type == VKA_DEVICE_VIRTUAL)
        g_array_append_val (gpus, d->index);
    }
  if (gpus->len < 2)
    return NULL;
  int pick = g_array_index (gpus, int, (guint) train_mpi_local_rank () % gpus->len);
  return g_strdup_printf ("%d", pick);
}

static int
run (Options *o, GError **error)
{
  if (!find_vgg (o, error))
    return 1;
  if (g_mkdir_with_parents (o->save_dir, 0755) != 0)
    {
      int e = errno;
      g_set_error (error, VKA_ERROR, VKA_ERROR_IO, "cannot make the save folder %s: %s",
                   o->save_dir, g_strerror (e));
      return 1;
    }
  CheckpointInfo ci = { 0 };
  g_autoptr (VkaWeights) decoder = NULL, state = NULL;
  if (o->resume)
    {
      gboolean found;
      if (!checkpoint_load_latest (o->save_dir, &ci, &decoder, &state, &found, error))
        {
          if (!found)
            g_set_error (error, VKA_ERROR, VKA_ERROR_IO,
                         "--resume: no checkpoint (resume_iter_*.ini) in %s", o->save_dir);
          return 1;
        }
      if (!check_resume (o, &ci, error))
        return 2;
    }
  /* every rank must have read the same checkpoint (or none) */
  if (!train_mpi_check_same (options_hash (o), ci.iteration, error))
    return 2;
  if (o->resume)
    {
      if (ci.iteration >= o->max_iter)
        {
          if (train_mpi_rank () == 0)
            g_printerr ("vk-adain-train: the checkpoint in %s is at iteration %d, already "
                        "--max-iter %d: nothing to do\n", o->save_dir, ci.iteration,
                        o->max_iter);
          return 0;
        }
    }
  int ranks = train_mpi_size (), rank = train_mpi_rank ();
  Run r = { .o = o };
  g_autoptr (VkaWeights) encoder = r.encoder = vka_weights_load (o->vgg, NULL, error);
  if (!encoder)
    return 1;
  if (!decoder && o->decoder_init && !(decoder = vka_weights_load (o->decoder_init, NULL, error)))
    return 1;
  if (!decoder)
    {
      g_autoptr (GRand) rand = g_rand_new_with_seed_array ((guint32[]) { (guint32) o->seed,
                                                             (guint32) (o->seed >> 32), 0xDEC },
                                                           3);
      if (!(decoder = vka_decoder_init_weights (encoder, rand, error)))
        return 1;
    }
  gboolean bilinear;
  if (!apply_upsample (o, decoder,
                       o->resume ? "the checkpoint's decoder"
                       : o->decoder_init ? o->decoder_init : "a new decoder", &bilinear, error))
    return (*error)->domain == G_OPTION_ERROR ? 2 : 1;
  float noise;
  if (!vka_decoder_content_noise (decoder, &noise, "the starting decoder", error)
      || (o->content_noise >= 0
          && !vka_decoder_set_content_noise (decoder, noise = (float) o->content_noise, error)))
    return 1;
  DataLoaderOptions dlo = { .content_dir = o->content_dir,
                            .style_dir = o->style_dir,
                            .batch = o->batch / ranks,
                            .resize = o->resize,
                            .crop = o->crop,
                            .augment = o->augment,
                            .content_noise = noise,
                            .threads = o->threads,
                            .seed = o->seed,
                            .global_batch = o->batch,
                            .first_sample = rank * (o->batch / ranks) };
  g_autoptr (DataLoader) loader = r.loader = data_loader_new (&dlo, ci.iteration, error);
  if (!loader)
    return 1;
  g_autofree char *device = pick_device (o);
  int threads = o->compute_threads;
  /* ranks sharing a machine share its cores */
  if (threads == 0 && train_mpi_local_size () > 1)
    threads = MAX (1, (int) g_get_num_processors () / train_mpi_local_size ());
  VkaContextOptions co = { .device = device ? device : o->device, .threads = threads };
  g_autoptr (VkaContext) context = r.context = vka_context_new_for_training (&co, error);
  if (!context)
    return 1;
  VkaTrainOptions to = { o->lr, o->lr_decay, o->content_weight, o->style_weight,
                         strcmp (o->optimizer, "sgd") == 0 };
  g_autoptr (VkaTrainer) trainer = r.trainer = vka_trainer_new (context, encoder, decoder,
                                                                &to, error);
  if (!trainer || (state && !vka_trainer_set_state (trainer, state, ci.iteration, error)))
    return 1;
  g_autoptr (TrainLog) log = NULL;
  if (rank == 0
      && !(log = r.log = train_log_open (o->save_dir, o->resume ? ci.iteration : -1,
                                         o->style_weight, error)))
    return 1;
  g_autofree char *noise_text = noise > 0 ? g_strdup_printf (", content noise %g", noise)
                                           : g_strdup ("");
  if (ranks == 1)
    g_printerr ("vk-adain-train: %s on %s, seed %" G_GUINT64_FORMAT "%s%s, %s iteration %d\n",
                o->vgg, vka_context_device (context)->name, o->seed,
                bilinear ? ", bilinear upsampling" : "", noise_text,
                o->resume ? "resuming at" : "starting at", ci.iteration);
  else
    g_printerr ("vk-adain-train: rank %d of %d: %s on %s, %d of the %d pictures of each batch, "
                "seed %" G_GUINT64_FORMAT ", %s iteration %d\n", rank, ranks, o->vgg,
                vka_context_device (context)->name, o->batch / ranks, o->batch, o->seed,
                o->resume ? "resuming at" : "starting at", ci.iteration);
  catch_signals ();
  gboolean ok = train (&r, ci.iteration, error);
  g_free (r.grads);
  if (!ok)
    return 1;
  /* Under VKA_VALIDATION=1 (the tests), a validation message is a failure. */
  guint messages = vka_context_validation_messages (context);
  if (messages)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_DEVICE,
                   "the Vulkan validation layer reported %u message(s)", messages);
      return 1;
    }
  return 0;
}

/* A default for --help: "1e-4" rather than "0.0001". */
static char *
default_text (const char *format, double value)
{
  g_autofree char *number = g_strdup_printf (value != 0 && fabs (value) < 1e-3 ? "%.0e" : "%g",
                                             value);
  char *exponent = strstr (number, "e-0");
  if (exponent)
    memmove (exponent + 2, exponent + 3, strlen (exponent + 3) + 1);
  return g_strdup_printf (format, number);
}

int
main (int argc, char **argv)
{
  train_mpi_init (&argc, &argv);
  /* The loss and the optimiser's defaults are the library's. */
  const VkaTrainOptions train_defaults = VKA_TRAIN_OPTIONS_DEFAULT;
  Options o = {
    .lr = train_defaults.lr, .lr_decay = train_defaults.lr_decay, .max_iter = 160000,
    .batch = 8, .style_weight = train_defaults.style_weight,
    .content_weight = train_defaults.content_weight, .resize = 512, .crop = 256,
    .save_interval = 10000, .log_interval = 10, .content_noise = -1,
    .threads = CLAMP ((int) g_get_num_processors (), 1, 8),
  };
  g_autofree char *lr_help = default_text ("Learning rate (%s)", o.lr);
  g_autofree char *lr_decay_help = default_text ("lr_i = lr / (1 + decay·i) (%s)", o.lr_decay);
  g_autofree char *style_weight_help = default_text ("Style loss weight (%s)", o.style_weight);
  g_autofree char *content_weight_help = default_text ("Content loss weight (%s)",
                                                       o.content_weight);
  GOptionEntry entries[] = {
    { "content-dir", 0, 0, G_OPTION_ARG_FILENAME, &o.content_dir, "Folder of content pictures", "DIR" },
    { "style-dir", 0, 0, G_OPTION_ARG_FILENAME, &o.style_dir, "Folder of style pictures", "DIR" },
    { "vgg", 0, 0, G_OPTION_ARG_FILENAME, &o.vgg, "Encoder weights (default: the model folder)", "FILE" },
    { "save-dir", 0, 0, G_OPTION_ARG_FILENAME, &o.save_dir, "Checkpoints, log, plot, samples (default: experiments)", "DIR" },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &o.lr, lr_help, "X" },
    { "lr-decay", 0, 0, G_OPTION_ARG_DOUBLE, &o.lr_decay, lr_decay_help, "X" },
    { "max-iter", 0, 0, G_OPTION_ARG_INT, &o.max_iter, "Iterations (160000)", "N" },
    { "batch-size", 0, 0, G_OPTION_ARG_INT, &o.batch, "Pictures per batch (8)", "N" },
    { "style-weight", 0, 0, G_OPTION_ARG_DOUBLE, &o.style_weight, style_weight_help, "X" },
    { "content-weight", 0, 0, G_OPTION_ARG_DOUBLE, &o.content_weight, content_weight_help, "X" },
    { "resize", 0, 0, G_OPTION_ARG_INT, &o.resize, "Squash pictures to N×N first (512; 0: crop only)", "N" },
    { "crop-size", 0, 0, G_OPTION_ARG_INT, &o.crop, "Random crop side (256)", "N" },
    { "augment", 0, 0, G_OPTION_ARG_NONE, &o.augment, "Vary the style pictures' scale, orientation and hues, mirror contents", NULL },
    { "content-noise", 0, 0, G_OPTION_ARG_DOUBLE, &o.content_noise, "Gaussian noise of this standard deviation on the content pictures, which the decoder's files then ask vk-adain for (default: the starting decoder's, else 0)", "SIGMA" },
    { "n-threads", 0, 0, G_OPTION_ARG_INT, &o.threads, "Loader threads (cores, at most 8)", "N" },
    { "save-interval", 0, 0, G_OPTION_ARG_INT, &o.save_interval, "Checkpoint every N iterations (10000)", "N" },
    { "log-interval", 0, 0, G_OPTION_ARG_INT, &o.log_interval, "A train_log.csv row every N iterations (10)", "N" },
    { "seed", 0, 0, G_OPTION_ARG_STRING, &o.seed_text, "Seed of the decoder's init and the data order (random)", "N" },
    { "decoder-init", 0, 0, G_OPTION_ARG_FILENAME, &o.decoder_init, "Start from this decoder (default: PyTorch's init)", "FILE" },
    { "upsample", 0, 0, G_OPTION_ARG_STRING, &o.upsample, "The decoder's ×2 upsamplings: nearest (the reference's) or bilinear (default: the starting decoder's)", "MODE" },
    { "optimizer", 0, 0, G_OPTION_ARG_STRING, &o.optimizer, "adam (default) or sgd", "NAME" },
    { "resume", 0, 0, G_OPTION_ARG_NONE, &o.resume, "Continue from the newest checkpoint in --save-dir", NULL },
    { "device", 0, 0, G_OPTION_ARG_STRING, &o.device, "Device: index or name part from vk-adain --list-devices, or cpu (default: a GPU, else the CPU backend)", "D" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &o.compute_threads, "CPU backend threads (0: all cores; under mpirun, the cores over the ranks on the machine)", "N" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("— train an AdaIN decoder");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_set_description (ctx,
    "Data-parallel: mpirun -n N vk-adain-train ... trains on N ranks (e.g. one per GPU; "
    "with several GPUs each rank takes the one of its local rank). --batch-size stays the "
    "global batch and must be a multiple of N. With --device cpu give each rank a share "
    "of the cores, --threads cores/N (the default when N ranks share a machine).");
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
  else
    {
      if (!o.optimizer)
        o.optimizer = g_strdup ("adam");
      if (!o.save_dir)
        o.save_dir = g_strdup ("experiments");
      status = check_options (&o, &error) ? 0 : 2;
    }
  /* Ranks started alike fail alike up to here: rank 0 reports, all leave.
   * Ranks started differently are told so, all of them, before any work. */
  int rank = train_mpi_rank (), ranks = train_mpi_size ();
  gboolean agreed = TRUE;
  if (ranks > 1)
    {
      g_autoptr (GError) differ = NULL;
      if (!train_mpi_check_same (status == 0 ? options_hash (&o) : (guint64) status, 0,
                                 &differ))
        {
          agreed = FALSE;
          status = 2;
          g_clear_error (&error);
          if (rank == 0)
            g_propagate_error (&error, g_steal_pointer (&differ));
        }
    }
  if (status == 0 && agreed)
    {
      if (!o.seed_text)
        train_mpi_broadcast_u64 (&o.seed);   /* a random seed: rank 0's */
      status = run (&o, &error);
      if (status == 0 && error)
        status = 1;
      if (status != 0 && ranks > 1)
        {
          /* a failure of one rank: the others would wait for it forever */
          g_printerr ("vk-adain-train: rank %d of %d: %s; ending the job\n", rank, ranks,
                      error ? error->message : "failed");
          train_mpi_abort (status);
        }
    }
  if (error && (rank == 0 || ranks == 1))
    g_printerr ("vk-adain-train: %s\n", error->message);
  if (status == 0 && error)
    status = 1;
  train_mpi_finalize ();
  vka_imageio_shutdown ();
  g_free (o.content_dir);
  g_free (o.style_dir);
  g_free (o.vgg);
  g_free (o.save_dir);
  g_free (o.decoder_init);
  g_free (o.upsample);
  g_free (o.optimizer);
  g_free (o.device);
  g_free (o.seed_text);
  return status;
}
