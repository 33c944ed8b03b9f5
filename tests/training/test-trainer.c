/* test-trainer.c — vk-adain-train end to end on tiny generated pictures
 * (32² crops, batch 2, the tiny random-weight encoder of tests/cli/golden):
 * the loss falls; the checkpoints exist and load; a run resumed half-way
 * logs the same losses as one that never stopped; a kill during a save
 * leaves the previous checkpoint whole; a widened checkpoint resumes; noisy
 * contents are marked in the decoders; --resize may
 * change on resume, batch and crop sizes not; Ctrl-C saves and exits; unreadable
 * files are skipped and counted; empty folders and bad arguments are clear
 * errors.
 *
 * Environment (set by meson): VKA_TRAIN = the vk-adain-train executable,
 * VKA_TEST_VGG = an encoder file.
 */
#include "test-files.h"
#include "trainer-fixtures.h"
#include "vka.h"
#include "vka-imageio.h"

#include <glib/gstdio.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *trainer;
static const char *vgg;
static char *tmp_root;
static char *content_dir, *style_dir;

typedef struct
{
  int      status;     /* exit status, or -1 when killed by a signal */
  int      signal;
  char    *err;
} Result;

/* The trainer's command line: args, then the device under test
 * ($VKA_TEST_TRAIN_DEVICE, e.g. cpu; the automatic choice when unset). */
static GPtrArray *
train_argv (const char *const *args)
{
  GPtrArray *argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (char *) trainer);
  for (int i = 0; args[i]; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  const char *device = g_getenv ("VKA_TEST_TRAIN_DEVICE");
  if (device && *device)
    {
      g_ptr_array_add (argv, (char *) "--device");
      g_ptr_array_add (argv, (char *) device);
    }
  g_ptr_array_add (argv, NULL);
  return argv;
}

static Result
run_train (const char *const *args, const char *const *env_extra)
{
  g_autoptr (GPtrArray) argv = train_argv (args);
  g_auto (GStrv) env = g_get_environ ();
  for (int i = 0; env_extra && env_extra[i]; i += 2)
    env = g_environ_setenv (env, env_extra[i], env_extra[i + 1], TRUE);
  Result r = { 0 };
  g_autoptr (GError) error = NULL;
  int ws;
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, env, G_SPAWN_STDOUT_TO_DEV_NULL,
                               NULL, NULL, NULL, &r.err, &ws, &error));
  g_assert_no_error (error);
  if (WIFSIGNALED (ws))
    {
      r.status = -1;
      r.signal = WTERMSIG (ws);
    }
  else
    r.status = WEXITSTATUS (ws);
  g_test_message ("exit %d, stderr: %s", r.status, r.err);
  return r;
}

/* run_train, which must succeed. */
static void
train_ok (const char *const *args)
{
  Result r = run_train (args, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_free (r.err);
}

static void
write_file (const char *dir, const char *name, const char *data, gsize n)
{
  g_autofree char *p = fixture_path (dir, name);
  g_assert_true (g_file_set_contents (p, data, (gssize) n, NULL));
}

/* The rows of train_log.csv without the speed column. */
static char *
losses_of (const char *dir)
{
  g_autofree char *p = fixture_path (dir, "train_log.csv"), *text = NULL;
  g_assert_true (g_file_get_contents (p, &text, NULL, NULL));
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  g_assert_cmpstr (lines[0], ==, "iter,loss,content_loss,style_loss,lr,images_per_s");
  GString *out = g_string_new (NULL);
  for (int i = 1; lines[i] && *lines[i]; i++)
    {
      char *last = strrchr (lines[i], ',');
      g_assert_nonnull (last);
      g_string_append_len (out, lines[i], last - lines[i]);
      g_string_append_c (out, '\n');
    }
  return g_string_free (out, FALSE);
}

#define COMMON(save) "--vgg", vgg, "--save-dir", save, "--crop-size", "32", "--resize", "40", \
                     "--batch-size", "2", "--log-interval", "1", "--seed", "7", "--n-threads", "2"

static void
check_checkpoint (const char *dir, int iteration)
{
  g_autofree char *pth = g_strdup_printf ("%s/decoder_iter_%d.pth", dir, iteration);
  g_autofree char *st = g_strdup_printf ("%s/decoder_iter_%d.safetensors", dir, iteration);
  g_autoptr (GError) error = NULL;
  VkaWeightsFormat format;
  g_autoptr (VkaWeights) a = vka_weights_load (pth, &format, &error);
  g_assert_no_error (error);
  g_assert_cmpint (format, ==, VKA_WEIGHTS_FORMAT_PTH_ZIP);
  g_autoptr (VkaWeights) b = vka_weights_load (st, &format, &error);
  g_assert_no_error (error);
  g_assert_cmpint (format, ==, VKA_WEIGHTS_FORMAT_SAFETENSORS);
  /* the reference decoder's keys, in order, and the same tensors in both;
   * then the marker of a bilinear decoder, in both or neither */
  static const int convs[9] = { 1, 5, 8, 11, 14, 18, 21, 25, 28 };
  gboolean marked = vka_weights_get (a, VKA_DECODER_BILINEAR_KEY) != NULL;
  g_assert_cmpuint (vka_weights_count (a), ==, marked ? 19 : 18);
  g_assert_cmpuint (vka_weights_count (b), ==, marked ? 19 : 18);
  if (marked)
    {
      g_assert_cmpstr (vka_weights_nth (a, 18)->name, ==, VKA_DECODER_BILINEAR_KEY);
      g_assert_nonnull (vka_weights_get (b, VKA_DECODER_BILINEAR_KEY));
    }
  for (guint i = 0; i < 18; i++)
    {
      const VkaTensorData *ta = vka_weights_nth (a, i);
      g_autofree char *want = g_strdup_printf ("%d.%s", convs[i / 2], i % 2 ? "bias" : "weight");
      g_assert_cmpstr (ta->name, ==, want);
      g_assert_cmpint (ta->ndim, ==, i % 2 ? 1 : 4);
      const VkaTensorData *tb = vka_weights_get (b, ta->name);
      g_assert_nonnull (tb);
      g_assert_cmpint (vka_tensor_data_numel (ta), ==, vka_tensor_data_numel (tb));
      g_assert_cmpmem (ta->data, vka_tensor_data_numel (ta) * 4, tb->data,
                       vka_tensor_data_numel (tb) * 4);
    }
  g_autofree char *ini = g_strdup_printf ("resume_iter_%d.ini", iteration);
  g_autofree char *mom = g_strdup_printf ("resume_iter_%d.safetensors", iteration);
  g_assert_true (fixture_exists (dir, ini));
  g_assert_true (fixture_exists (dir, mom));
}

static double
mean_loss (const char *losses, int from, int to)
{
  g_auto (GStrv) rows = g_strsplit (losses, "\n", -1);
  double sum = 0;
  for (int i = from; i < to; i++)
    {
      g_assert_nonnull (rows[i]);
      int it;
      double l;
      g_assert_cmpint (sscanf (rows[i], "%d,%lf", &it, &l), ==, 2);
      g_assert_cmpint (it, ==, i + 1);
      sum += l;
    }
  return sum / (to - from);
}

static void
test_short_run (void)
{
  g_autofree char *save = fixture_dir (tmp_root, "short");
  const char *args[] = { "--content-dir", content_dir, "--style-dir", style_dir, COMMON (save),
                         "--max-iter", "40", "--save-interval", "20", "--lr", "5e-3", NULL };
  train_ok (args);
  g_autofree char *losses = losses_of (save);
  double first = mean_loss (losses, 0, 8), last = mean_loss (losses, 32, 40);
  g_test_message ("mean loss of iterations 1-8: %g, 33-40: %g", first, last);
  g_assert_cmpfloat (last, <, 0.8 * first);
  check_checkpoint (save, 20);
  check_checkpoint (save, 40);
  g_autofree char *svg_path = fixture_path (save, "loss.svg"), *svg = NULL;
  g_assert_true (g_file_get_contents (svg_path, &svg, NULL, NULL));
  g_assert_true (g_str_has_prefix (svg, "<?xml"));
  g_assert_nonnull (strstr (svg, "<polyline"));
  g_assert_nonnull (strstr (svg, "</svg>"));
  /* the sample stylisation at the end: a picture of the crop's size */
  g_autofree char *sample = fixture_path (save, "sample_iter_40.png");
  g_autoptr (GError) error = NULL;
  g_autoptr (VkaImage) im = vka_image_load (sample, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (MIN (im->width, im->height), ==, 32);

  /* --decoder-init: a new run from the trained decoder starts where the
   * first one ended, far below where it began */
  g_autofree char *again = fixture_dir (tmp_root, "short-again");
  g_autofree char *init = fixture_path (save, "decoder_iter_40.pth");
  const char *b[] = { "--content-dir", content_dir, "--style-dir", style_dir, COMMON (again),
                      "--max-iter", "8", "--save-interval", "8", "--lr", "5e-3",
                      "--decoder-init", init, NULL };
  train_ok (b);
  g_autofree char *losses2 = losses_of (again);
  double restart = mean_loss (losses2, 0, 8);
  g_test_message ("from the trained decoder: mean loss of iterations 1-8: %g", restart);
  g_assert_cmpfloat (restart, <, 0.8 * first);
}

static void
test_resume_same_losses (void)
{
  g_autofree char *straight = fixture_dir (tmp_root, "straight"), *split = fixture_dir (tmp_root, "split");
  const char *a[] = { "--content-dir", content_dir, "--style-dir", style_dir,
                      COMMON (straight), "--max-iter", "8", "--save-interval", "4", NULL };
  train_ok (a);
  const char *b[] = { "--content-dir", content_dir, "--style-dir", style_dir,
                      COMMON (split), "--max-iter", "4", "--save-interval", "4", NULL };
  train_ok (b);
  const char *c[] = { "--content-dir", content_dir, "--style-dir", style_dir,
                      COMMON (split), "--max-iter", "8", "--save-interval", "4", "--resume",
                      NULL };
  Result r = run_train (c, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.err, "resuming at iteration 4"));
  g_free (r.err);
  g_autofree char *l1 = losses_of (straight), *l2 = losses_of (split);
  g_assert_cmpuint (strlen (l1), >, 0);
  g_assert_cmpstr (l1, ==, l2);
  /* the data order does not depend on the loader threads' timing: one
   * thread instead of two (the last --n-threads wins) gives the same */
  g_autofree char *one = fixture_dir (tmp_root, "one-thread");
  const char *d[] = { "--content-dir", content_dir, "--style-dir", style_dir, COMMON (one),
                      "--max-iter", "8", "--save-interval", "8", "--n-threads", "1", NULL };
  train_ok (d);
  g_autofree char *l3 = losses_of (one);
  g_assert_cmpstr (l1, ==, l3);
  /* and the same decoder at the end */
  g_autofree char *p1 = fixture_path (straight, "decoder_iter_8.safetensors");
  g_autofree char *p2 = fixture_path (split, "decoder_iter_8.safetensors");
  g_autofree char *d1 = NULL, *d2 = NULL;
  gsize n1, n2;
  g_assert_true (g_file_get_contents (p1, &d1, &n1, NULL));
  g_assert_true (g_file_get_contents (p2, &d2, &n2, NULL));
  g_assert_cmpmem (d1, n1, d2, n2);
}

/* --resize may change on resume (the draws do not depend on it): the run
 * says so, goes on, and its new checkpoint records the new value; a
 * different batch or crop size is still refused, naming the checkpoint's. */
static void
test_resume_new_resize (void)
{
  g_autofree char *save = fixture_dir (tmp_root, "new-resize");
  const char *a[] = { "--content-dir", content_dir, "--style-dir", style_dir,
                      COMMON (save), "--max-iter", "2", "--save-interval", "2", NULL };
  train_ok (a);
  const char *b[] = { "--content-dir", content_dir, "--style-dir", style_dir,
                      COMMON (save), "--resize", "0", "--max-iter", "4", "--save-interval", "2",
                      "--resume", NULL };
  Result r = run_train (b, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.err, "resuming at iteration 2"));
  g_assert_nonnull (strstr (r.err, "prepared with --resize 40; going on with --resize 0"));
  g_free (r.err);
  g_autofree char *ini_path = fixture_path (save, "resume_iter_4.ini");
  g_autoptr (GKeyFile) ini = g_key_file_new ();
  g_autoptr (GError) error = NULL;
  g_assert_true (g_key_file_load_from_file (ini, ini_path, G_KEY_FILE_NONE, &error));
  g_assert_cmpint (g_key_file_get_integer (ini, "data", "resize", &error), ==, 0);
  g_assert_no_error (error);
  check_checkpoint (save, 4);

  const char *c[] = { "--content-dir", content_dir, "--style-dir", style_dir,
                      COMMON (save), "--batch-size", "4", "--max-iter", "6", "--resume", NULL };
  r = run_train (c, NULL);
  g_assert_cmpint (r.status, !=, 0);
  g_assert_nonnull (strstr (r.err, "--batch-size 2 --crop-size 32: give the same to resume"));
  g_free (r.err);
}

/* A checkpoint's decoder file, which must load. */
static VkaWeights *
load_decoder_file (const char *dir, const char *file)
{
  g_autofree char *p = g_build_filename (dir, file, NULL);
  g_autoptr (GError) error = NULL;
  VkaWeights *w = vka_weights_load (p, NULL, &error);
  g_assert_no_error (error);
  return w;
}

/* TRUE when the checkpoint's decoder file carries the bilinear marker. */
static gboolean
decoder_file_bilinear (const char *dir, const char *file)
{
  g_autoptr (VkaWeights) w = load_decoder_file (dir, file);
  g_autoptr (GError) error = NULL;
  gboolean bilinear;
  g_assert_true (vka_decoder_bilinear (w, &bilinear, file, &error));
  return bilinear;
}

/* --upsample bilinear: the checkpoints' decoders (both formats) carry the
 * marker, a resumed run keeps it, and what would change a run's upsampling
 * midway is refused. */
static void
test_upsample_bilinear (void)
{
  g_autofree char *save = fixture_dir (tmp_root, "bilinear");
  const char *a[] = { "--content-dir", content_dir, "--style-dir", style_dir,
                      COMMON (save), "--upsample", "bilinear", "--max-iter", "2",
                      "--save-interval", "2", NULL };
  Result r = run_train (a, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.err, ", bilinear upsampling, starting at iteration 0"));
  g_free (r.err);
  g_assert_true (decoder_file_bilinear (save, "decoder_iter_2.safetensors"));
  g_assert_true (decoder_file_bilinear (save, "decoder_iter_2.pth"));

  const char *b[] = { "--content-dir", content_dir, "--style-dir", style_dir,
                      COMMON (save), "--upsample", "nearest", "--max-iter", "4", "--resume",
                      NULL };
  r = run_train (b, NULL);
  g_assert_cmpint (r.status, ==, 2);
  g_assert_nonnull (strstr (r.err, "--upsample nearest: the checkpoint's decoder upsamples "
                                   "bilinearly; give the same to resume"));
  g_free (r.err);

  const char *c[] = { "--content-dir", content_dir, "--style-dir", style_dir,
                      COMMON (save), "--max-iter", "4", "--save-interval", "2", "--resume",
                      NULL };
  r = run_train (c, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.err, ", bilinear upsampling, resuming at iteration 2"));
  g_free (r.err);
  check_checkpoint (save, 4);
  g_assert_true (decoder_file_bilinear (save, "decoder_iter_4.safetensors"));

  g_autofree char *init = fixture_path (save, "decoder_iter_4.safetensors");
  g_autofree char *other = fixture_dir (tmp_root, "bilinear-to-nearest");
  const char *d[] = { "--content-dir", content_dir, "--style-dir", style_dir,
                      COMMON (other), "--decoder-init", init, "--upsample", "nearest",
                      "--max-iter", "2", NULL };
  r = run_train (d, NULL);
  g_assert_cmpint (r.status, ==, 2);
  g_assert_nonnull (strstr (r.err, "upsamples bilinearly, and a run cannot take that away"));
  g_free (r.err);

  const char *e[] = { "--content-dir", content_dir, "--style-dir", style_dir,
                      COMMON (other), "--upsample", "cubic", "--max-iter", "2", NULL };
  r = run_train (e, NULL);
  g_assert_cmpint (r.status, ==, 2);
  g_assert_nonnull (strstr (r.err, "--upsample cubic: must be nearest or bilinear"));
  g_free (r.err);
}

/* The width of decoder layer `name` (its output channels) in a checkpoint. */
static int
decoder_width (const char *dir, int iteration, const char *name)
{
  g_autofree char *p = g_strdup_printf ("%s/decoder_iter_%d.safetensors", dir, iteration);
  g_autoptr (GError) error = NULL;
  g_autoptr (VkaWeights) w = vka_weights_load (p, NULL, &error);
  g_assert_no_error (error);
  const VkaTensorData *t = vka_weights_get (w, name);
  g_assert_nonnull (t);
  return (int) t->shape[0];
}

/* The loss logged at iteration it. */
static double
loss_at (const char *losses, int it)
{
  g_auto (GStrv) rows = g_strsplit (losses, "\n", -1);
  for (int i = 0; rows[i]; i++)
    {
      int at;
      double l;
      if (sscanf (rows[i], "%d,%lf", &at, &l) == 2 && at == it)
        return l;
    }
  g_assert_not_reached ();
}

/* training/widen-decoder.py on a checkpoint, then --resume: the wider
 * decoder trains on, and its first iteration's loss is the narrow one's
 * (without noise the widened decoder computes the same output). */
static void
test_resume_widened (void)
{
  const char *python = g_getenv ("VKA_PYTHON"), *widen = g_getenv ("VKA_WIDEN");
  g_assert_nonnull (python);
  g_assert_nonnull (widen);
  g_autofree char *narrow = fixture_dir (tmp_root, "narrow"), *wide = fixture_dir (tmp_root, "wide");
  const char *a[] = { "--content-dir", content_dir, "--style-dir", style_dir,
                      COMMON (narrow), "--max-iter", "4", "--save-interval", "4", NULL };
  train_ok (a);
  int w21 = decoder_width (narrow, 4, "21.weight"), w25 = decoder_width (narrow, 4, "25.weight");
  g_autofree char *plan21 = g_strdup_printf ("21=%d", 2 * w21);
  g_autofree char *plan25 = g_strdup_printf ("25=%d", w25 + 3);
  const char *argv[] = { python, widen, narrow, wide, plan21, plan25, NULL };
  g_auto (GStrv) env = g_environ_setenv (g_get_environ (), "NOISE", "0", TRUE);
  g_autofree char *err = NULL;
  int ws;
  g_autoptr (GError) error = NULL;
  g_assert_true (g_spawn_sync (NULL, (char **) argv, env, G_SPAWN_DEFAULT, NULL, NULL, NULL,
                               &err, &ws, &error));
  g_assert_no_error (error);
  g_test_message ("widen-decoder.py: %s", err);
  g_assert_true (g_spawn_check_wait_status (ws, NULL));
  const char *b[] = { "--content-dir", content_dir, "--style-dir", style_dir,
                      COMMON (wide), "--max-iter", "6", "--save-interval", "6", "--resume", NULL };
  Result r = run_train (b, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.err, "resuming at iteration 4"));
  g_free (r.err);
  const char *c[] = { "--content-dir", content_dir, "--style-dir", style_dir,
                      COMMON (narrow), "--max-iter", "6", "--save-interval", "6", "--resume",
                      NULL };
  train_ok (c);
  g_assert_cmpint (decoder_width (wide, 6, "21.weight"), ==, 2 * w21);
  g_assert_cmpint (decoder_width (wide, 6, "25.weight"), ==, w25 + 3);
  g_assert_cmpint (decoder_width (wide, 6, "28.weight"), ==, 3);
  g_autofree char *ln = losses_of (narrow), *lw = losses_of (wide);
  /* the log went on from the narrow run's first four rows */
  g_auto (GStrv) rows_n = g_strsplit (ln, "\n", -1), rows_w = g_strsplit (lw, "\n", -1);
  for (int i = 0; i < 4; i++)
    g_assert_cmpstr (rows_n[i], ==, rows_w[i]);
  double n5 = loss_at (ln, 5), w5 = loss_at (lw, 5), w6 = loss_at (lw, 6);
  g_test_message ("iteration 5: narrow %g, widened %g; widened iteration 6: %g", n5, w5, w6);
  g_assert_cmpfloat (fabs (w5 - n5), <=, 1e-4 * fabs (n5));
  g_assert_true (isfinite (w6));
}

/* The content noise a checkpoint's decoder file asks for (0: none). */
static float
decoder_file_noise (const char *dir, const char *file)
{
  g_autoptr (VkaWeights) w = load_decoder_file (dir, file);
  g_autoptr (GError) error = NULL;
  float sigma;
  g_assert_true (vka_decoder_content_noise (w, &sigma, file, &error));
  return sigma;
}

/* --content-noise: noisy contents change the losses; the checkpoints'
 * decoders (both formats) ask vk-adain for the noise; a run started from
 * such a decoder keeps its noise unless told otherwise; a value outside
 * [0, 1] is refused. */
static void
test_content_noise (void)
{
  g_autofree char *noisy = fixture_dir (tmp_root, "noise");
  g_autofree char *plain = fixture_dir (tmp_root, "noise-plain");
  const char *a[] = { "--content-dir", content_dir, "--style-dir", style_dir, COMMON (noisy),
                      "--content-noise", "0.05", "--max-iter", "3", "--save-interval", "3",
                      NULL };
  const char *b[] = { "--content-dir", content_dir, "--style-dir", style_dir, COMMON (plain),
                      "--max-iter", "3", "--save-interval", "3", NULL };
  Result r = run_train (a, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.err, ", content noise 0.05, starting at iteration 0"));
  g_free (r.err);
  r = run_train (b, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_free (r.err);
  g_autofree char *l_noisy = losses_of (noisy), *l_plain = losses_of (plain);
  g_assert_cmpstr (l_noisy, !=, l_plain);
  g_assert_cmpfloat (decoder_file_noise (noisy, "decoder_iter_3.safetensors"), ==, 0.05f);
  g_assert_cmpfloat (decoder_file_noise (noisy, "decoder_iter_3.pth"), ==, 0.05f);
  g_assert_cmpfloat (decoder_file_noise (plain, "decoder_iter_3.safetensors"), ==, 0.0f);

  g_autofree char *init = fixture_path (noisy, "decoder_iter_3.safetensors");
  g_autofree char *kept = fixture_dir (tmp_root, "noise-kept");
  const char *c[] = { "--content-dir", content_dir, "--style-dir", style_dir, COMMON (kept),
                      "--decoder-init", init, "--max-iter", "1", "--save-interval", "1", NULL };
  r = run_train (c, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_free (r.err);
  g_assert_cmpfloat (decoder_file_noise (kept, "decoder_iter_1.safetensors"), ==, 0.05f);

  g_autofree char *changed = fixture_dir (tmp_root, "noise-changed");
  const char *d[] = { "--content-dir", content_dir, "--style-dir", style_dir, COMMON (changed),
                      "--decoder-init", init, "--content-noise", "0.02", "--max-iter", "1",
                      "--save-interval", "1", NULL };
  r = run_train (d, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_free (r.err);
  g_assert_cmpfloat (decoder_file_noise (changed, "decoder_iter_1.safetensors"), ==, 0.02f);

  const char *e[] = { "--content-dir", content_dir, "--style-dir", style_dir, COMMON (plain),
                      "--content-noise", "1.5", "--max-iter", "1", NULL };
  r = run_train (e, NULL);
  g_assert_cmpint (r.status, ==, 2);
  g_assert_nonnull (strstr (r.err, "--content-noise 1.5: must be in [0, 1]"));
  g_free (r.err);
}

/* --augment changes the batches (the losses differ from a plain run's) but
 * stays a function of the seed and the iteration: the loader's thread count
 * does not change them */
static void
test_augment (void)
{
  g_autofree char *two = fixture_dir (tmp_root, "augment-two");
  g_autofree char *one = fixture_dir (tmp_root, "augment-one");
  g_autofree char *plain = fixture_dir (tmp_root, "augment-plain");
  const char *a[] = { "--content-dir", content_dir, "--style-dir", style_dir, COMMON (two),
                      "--max-iter", "6", "--save-interval", "6", "--augment", NULL };
  const char *b[] = { "--content-dir", content_dir, "--style-dir", style_dir, COMMON (one),
                      "--max-iter", "6", "--save-interval", "6", "--augment", "--n-threads", "1",
                      NULL };
  const char *c[] = { "--content-dir", content_dir, "--style-dir", style_dir, COMMON (plain),
                      "--max-iter", "6", "--save-interval", "6", NULL };
  const char *const *runs[] = { a, b, c };
  for (int i = 0; i < 3; i++)
    {
      Result r = run_train (runs[i], NULL);
      g_assert_cmpint (r.status, ==, 0);
      g_free (r.err);
    }
  g_autofree char *l_two = losses_of (two), *l_one = losses_of (one), *l_plain = losses_of (plain);
  g_assert_cmpuint (strlen (l_two), >, 0);
  g_assert_cmpstr (l_two, ==, l_one);
  g_assert_cmpstr (l_two, !=, l_plain);
}

/* --threads reaches the CPU backend (its name says how many), and a run
 * with one compute thread still trains; the device must be the CPU backend */
static void
test_compute_threads (void)
{
  if (g_strcmp0 (g_getenv ("VKA_TEST_TRAIN_DEVICE"), "cpu") != 0)
    {
      g_test_skip ("--threads is the CPU backend's (this run trains on another device)");
      return;
    }
  g_autofree char *save = fixture_dir (tmp_root, "one-compute-thread");
  const char *a[] = { "--content-dir", content_dir, "--style-dir", style_dir, COMMON (save),
                      "--max-iter", "2", "--save-interval", "2", "--threads", "1", NULL };
  Result r = run_train (a, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.err, "1 thread,"));
  g_free (r.err);
  check_checkpoint (save, 2);
  const char *b[] = { "--content-dir", content_dir, "--style-dir", style_dir, COMMON (save),
                      "--max-iter", "2", "--threads", "-1", NULL };
  r = run_train (b, NULL);
  g_assert_cmpint (r.status, ==, 2);
  g_assert_nonnull (strstr (r.err, "--threads -1"));
  g_free (r.err);
}

static void
test_kill_during_save (void)
{
  g_autofree char *save = fixture_dir (tmp_root, "killed");
  const char *a[] = { "--content-dir", content_dir, "--style-dir", style_dir, COMMON (save),
                      "--max-iter", "6", "--save-interval", "2", NULL };
  const char *env[] = { "VKA_TRAIN_FAULT", "kill-after-pth:4", NULL };
  Result r = run_train (a, env);
  g_assert_cmpint (r.status, ==, -1);
  g_assert_cmpint (r.signal, ==, SIGKILL);
  g_free (r.err);
  /* the save of 4 began (its .pth is there) but never finished: 2 is the
   * newest checkpoint, whole and loadable */
  g_assert_true (fixture_exists (save, "decoder_iter_4.pth"));
  g_assert_false (fixture_exists (save, "resume_iter_4.ini"));
  check_checkpoint (save, 2);
  const char *b[] = { "--content-dir", content_dir, "--style-dir", style_dir, COMMON (save),
                      "--max-iter", "6", "--save-interval", "2", "--resume", NULL };
  r = run_train (b, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.err, "resuming at iteration 2"));
  g_free (r.err);
  check_checkpoint (save, 4);
  check_checkpoint (save, 6);
  g_autofree char *losses = losses_of (save);
  g_auto (GStrv) rows = g_strsplit (losses, "\n", -1);
  g_assert_cmpuint (g_strv_length (rows), ==, 7);   /* 6 rows, then "" */
}

/* SIGINT in the middle of a long run: a checkpoint of the iteration it
 * stopped at, exit status 0. */
static void
test_interrupt_saves (void)
{
  g_autofree char *save = fixture_dir (tmp_root, "interrupted");
  const char *args[] = { "--content-dir", content_dir, "--style-dir", style_dir,
                         COMMON (save), "--max-iter", "100000", "--save-interval", "100000",
                         NULL };
  g_autoptr (GPtrArray) argv = train_argv (args);
  fixture_signal_after_three_rows (argv, save, SIGINT, FALSE);
  g_autofree char *losses = losses_of (save);
  g_auto (GStrv) rows = g_strsplit (losses, "\n", -1);
  int last = (int) g_strv_length (rows) - 1;
  g_assert_cmpint (last, >=, 3);
  check_checkpoint (save, last);
}

static void
test_unreadable_files_skipped (void)
{
  g_autofree char *c = fixture_dir (tmp_root, "bad-files/content"), *s = fixture_dir (tmp_root, "bad-files/style");
  g_autofree char *save = fixture_dir (tmp_root, "bad-files/out");
  fixture_picture (c, "a.png", 48, 40, 1, FALSE);
  fixture_picture (c, "b.jpg", 40, 44, 2, FALSE);
  write_file (c, "text.jpg", "hello, not a picture\n", 21);        /* GEGL would abort */
  write_file (c, "empty.png", "", 0);
  g_autofree char *png = NULL;
  gsize n;
  g_autofree char *a_png = fixture_path (c, "a.png");
  g_assert_true (g_file_get_contents (a_png, &png, &n, NULL));
  write_file (c, "truncated.png", png, n / 2);
  fixture_picture (s, "s.png", 44, 44, 3, TRUE);
  write_file (s, "notes.txt", "style notes", 11);
  const char *a[] = { "--content-dir", c, "--style-dir", s, COMMON (save), "--max-iter", "6",
                      "--save-interval", "6", NULL };
  Result r = run_train (a, NULL);
  g_assert_cmpint (r.status, ==, 0);
  for (int i = 0; i < 4; i++)
    {
      const char *name = (const char *[]) { "text.jpg", "empty.png", "truncated.png",
                                            "notes.txt" }[i];
      g_assert_nonnull (strstr (r.err, name));
    }
  g_assert_nonnull (strstr (r.err, "4 unreadable files skipped"));
  g_free (r.err);
  check_checkpoint (save, 6);
}

static void
expect_error (const char *const *args, const char *must)
{
  Result r = run_train (args, NULL);
  g_assert_cmpint (r.status, >, 0);
  g_assert_true (g_str_has_prefix (r.err, "vk-adain-train: "));
  g_assert_nonnull (strstr (r.err, must));
  g_free (r.err);
}

static void
test_empty_folders (void)
{
  g_autofree char *empty = fixture_dir (tmp_root, "empty"), *save = fixture_dir (tmp_root, "empty-out");
  g_autofree char *junk = fixture_dir (tmp_root, "junk");
  write_file (junk, "a.png", "not a png", 9);
  write_file (junk, "b.jpg", "\xff\xd8\xff\xe0", 4);
  g_autofree char *missing = fixture_path (tmp_root, "missing");
  {
    const char *a[] = { "--content-dir", empty, "--style-dir", style_dir, COMMON (save), NULL };
    expect_error (a, empty);
  }
  {
    const char *a[] = { "--content-dir", content_dir, "--style-dir", junk, COMMON (save), NULL };
    expect_error (a, "holds no picture that can be read");
  }
  {
    const char *a[] = { "--content-dir", missing, "--style-dir", style_dir, COMMON (save), NULL };
    expect_error (a, missing);
  }
  g_assert_false (fixture_exists (save, "train_log.csv"));
}

static void
test_bad_arguments (void)
{
  g_autofree char *save = fixture_dir (tmp_root, "args");
  g_autofree char *nowhere = fixture_path (tmp_root, "no-checkpoints");
  g_assert_cmpint (g_mkdir_with_parents (nowhere, 0755), ==, 0);
  const char *cd = content_dir, *sd = style_dir;
  struct { const char *args[8]; const char *must; } cases[] = {
    { { "--style-dir", sd }, "--content-dir" },
    { { "--content-dir", cd, "--style-dir", sd, "--batch-size", "0" }, "--batch-size" },
    { { "--content-dir", cd, "--style-dir", sd, "--optimizer", "rmsprop" }, "rmsprop" },
    { { "--content-dir", cd, "--style-dir", sd, "--resize", "20" }, "--resize" },
    { { "--content-dir", cd, "--style-dir", sd, "--lr", "-1" }, "--lr" },
    { { "--content-dir", cd, "--style-dir", sd, "--seed", "x1" }, "--seed" },
    { { "--content-dir", cd, "--style-dir", sd, "--max-iter", "0" }, "--max-iter" },
    { { "--content-dir", cd, "--style-dir", sd, "--frobnicate" }, "frobnicate" },
    { { "--content-dir", cd, "--style-dir", sd, "--resume", "--decoder-init", vgg }, "--resume" },
    { { "--content-dir", cd, "--style-dir", sd, "--resume", "--save-dir", nowhere }, "no checkpoint" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GPtrArray) args = g_ptr_array_new ();
      for (int k = 0; k < 8 && cases[i].args[k]; k++)
        g_ptr_array_add (args, (char *) cases[i].args[k]);
      const char *common[] = { "--vgg", vgg, "--crop-size", "32", "--resize", "40" };
      gboolean has_resize = FALSE;
      for (guint k = 0; k < args->len; k++)
        has_resize |= strcmp (args->pdata[k], "--resize") == 0;
      for (int k = 0; k < (has_resize ? 4 : 6); k++)
        g_ptr_array_add (args, (char *) common[k]);
      gboolean has_save = FALSE;
      for (guint k = 0; k < args->len; k++)
        has_save |= strcmp (args->pdata[k], "--save-dir") == 0;
      if (!has_save)
        {
          g_ptr_array_add (args, (char *) "--save-dir");
          g_ptr_array_add (args, save);
        }
      g_ptr_array_add (args, NULL);
      expect_error ((const char *const *) args->pdata, cases[i].must);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  trainer = g_getenv ("VKA_TRAIN");
  vgg = g_getenv ("VKA_TEST_VGG");
  g_assert_nonnull (trainer);
  g_assert_nonnull (vgg);
  tmp_root = g_dir_make_tmp ("vka-train-XXXXXX", NULL);
  g_assert_nonnull (tmp_root);
  content_dir = fixture_dir (tmp_root, "content");
  style_dir = fixture_dir (tmp_root, "style");
  for (int i = 0; i < 3; i++)
    {
      g_autofree char *c = g_strdup_printf ("c%d.png", i), *s = g_strdup_printf ("s%d.png", i);
      fixture_picture (content_dir, c, 48 + 4 * i, 40, 10 + i, FALSE);
      fixture_picture (style_dir, s, 40, 36 + 6 * i, 20 + i, TRUE);
    }
  g_test_add_func ("/train/short-run", test_short_run);
  g_test_add_func ("/train/resume-same-losses", test_resume_same_losses);
  g_test_add_func ("/train/resume-widened", test_resume_widened);
  g_test_add_func ("/train/resume-new-resize", test_resume_new_resize);
  g_test_add_func ("/train/upsample-bilinear", test_upsample_bilinear);
  g_test_add_func ("/train/kill-during-save", test_kill_during_save);
  g_test_add_func ("/train/compute-threads", test_compute_threads);
  g_test_add_func ("/train/augment", test_augment);
  g_test_add_func ("/train/content-noise", test_content_noise);
  g_test_add_func ("/train/interrupt-saves", test_interrupt_saves);
  g_test_add_func ("/train/unreadable-files-skipped", test_unreadable_files_skipped);
  g_test_add_func ("/train/empty-folders", test_empty_folders);
  g_test_add_func ("/train/bad-arguments", test_bad_arguments);
  int status = g_test_run ();
  test_rm_rf (tmp_root);
  g_free (tmp_root);
  g_free (content_dir);
  g_free (style_dir);
  vka_imageio_shutdown ();
  return status;
}
