/* test-trainer-mpi.c — vk-adain-train over MPI (mpirun -n 2) on tiny
 * generated pictures and the CPU backend: two ranks give the losses and
 * the decoder of one rank with the same global batch (within 1e-4); a run
 * resumes on another number of ranks; a rank count that does not divide the
 * batch, and ranks started with different settings, are clear errors; a
 * rank killed mid-run ends the job with a failure and leaves a whole,
 * resumable checkpoint; SIGUSR1 to mpirun saves and stops every rank.
 *
 * Environment (set by meson): VKA_TRAIN = the vk-adain-train executable,
 * VKA_TEST_VGG = an encoder file, VKA_MPIRUN = mpirun.
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

static const char *trainer, *vgg, *mpirun;
static char *tmp_root, *content_dir, *style_dir;

typedef struct
{
  int   status;    /* exit status, or -1 when killed by a signal */
  char *err;
} Result;

/* The command line of run_job. */
static GPtrArray *
job_argv (int ranks, const char *const *args, const char *const *args2, const char *fault,
          char *n)
{
  GPtrArray *argv = g_ptr_array_new ();
  if (ranks > 0)
    {
      /* as root (CI), more ranks than cores, shared memory only */
      const char *pre[] = { mpirun, "--allow-run-as-root", "--oversubscribe", "--mca", "btl",
                            "self,vader" };
      for (gsize i = 0; i < G_N_ELEMENTS (pre); i++)
        g_ptr_array_add (argv, (char *) pre[i]);
      if (fault)
        {
          g_ptr_array_add (argv, (char *) "-x");
          g_ptr_array_add (argv, (char *) "VKA_TRAIN_FAULT");
        }
      g_ptr_array_add (argv, (char *) "-n");
      g_ptr_array_add (argv, n);
    }
  for (int pass = 0; pass < (args2 ? 2 : 1); pass++)
    {
      if (pass == 1)
        {
          g_ptr_array_add (argv, (char *) ":");
          g_ptr_array_add (argv, (char *) "-n");
          g_ptr_array_add (argv, (char *) "1");
        }
      g_ptr_array_add (argv, (char *) trainer);
      for (const char *const *a = pass ? args2 : args; *a; a++)
        g_ptr_array_add (argv, (char *) *a);
      const char *more[] = { "--device", "cpu", "--threads", "1", "--n-threads", "1" };
      for (gsize i = 0; i < G_N_ELEMENTS (more); i++)
        g_ptr_array_add (argv, (char *) more[i]);
    }
  g_ptr_array_add (argv, NULL);
  return argv;
}

/* ranks 0: the trainer alone, else under mpirun -n ranks; args2, when
 * given, is one more rank started with other arguments (mpirun's "a : b").
 * fault: $VKA_TRAIN_FAULT for every rank. */
static Result
run_job (int ranks, const char *const *args, const char *const *args2, const char *fault)
{
  g_autofree char *n = g_strdup_printf ("%d", ranks);
  g_autoptr (GPtrArray) argv = job_argv (ranks, args, args2, fault, n);
  g_auto (GStrv) env = g_get_environ ();
  env = fault ? g_environ_setenv (env, "VKA_TRAIN_FAULT", fault, TRUE)
              : g_environ_unsetenv (env, "VKA_TRAIN_FAULT");
  Result r = { 0 };
  g_autoptr (GError) error = NULL;
  int ws;
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, env, G_SPAWN_STDOUT_TO_DEV_NULL,
                               NULL, NULL, NULL, &r.err, &ws, &error));
  g_assert_no_error (error);
  r.status = WIFSIGNALED (ws) ? -1 : WEXITSTATUS (ws);
  g_test_message ("exit %d, stderr: %s", r.status, r.err);
  return r;
}

typedef struct { double v[5]; } Row;   /* iter, loss, content, style, lr */

/* train_log.csv's rows. */
static GArray *
log_of (const char *dir)
{
  g_autofree char *p = fixture_path (dir, "train_log.csv"), *text = NULL;
  g_assert_true (g_file_get_contents (p, &text, NULL, NULL));
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  g_assert_cmpstr (lines[0], ==, "iter,loss,content_loss,style_loss,lr,images_per_s");
  GArray *rows = g_array_new (FALSE, FALSE, sizeof (Row));
  for (int i = 1; lines[i] && *lines[i]; i++)
    {
      Row row;
      double *v = row.v;
      g_assert_cmpint (sscanf (lines[i], "%lf,%lf,%lf,%lf,%lf", &v[0], &v[1], &v[2], &v[3],
                               &v[4]), ==, 5);
      g_array_append_val (rows, row);
    }
  return rows;
}

/* The largest relative difference of the losses of two logs (same rows). */
static double
losses_rel_diff (const char *a, const char *b)
{
  g_autoptr (GArray) x = log_of (a);
  g_autoptr (GArray) y = log_of (b);
  g_assert_cmpuint (x->len, ==, y->len);
  g_assert_cmpuint (x->len, >, 0);
  double worst = 0;
  for (guint i = 0; i < x->len; i++)
    {
      const double *p = g_array_index (x, Row, i).v, *q = g_array_index (y, Row, i).v;
      g_assert_cmpfloat (p[0], ==, q[0]);
      g_assert_cmpfloat (p[4], ==, q[4]);
      for (int c = 1; c < 4; c++)
        worst = MAX (worst, fabs (p[c] - q[c]) / MAX (fabs (p[c]), 1e-30));
    }
  return worst;
}

/* Two decoders' differences: *element, the largest difference of a weight
 * relative to the largest magnitude in its tensor; *norm, the norm of the
 * difference of all weights relative to the norm of all weights. */
static void
weights_rel_diff (const char *a, const char *b, int iteration, double *element, double *norm)
{
  g_autofree char *name = g_strdup_printf ("decoder_iter_%d.safetensors", iteration);
  g_autofree char *pa = fixture_path (a, name), *pb = fixture_path (b, name);
  g_autoptr (GError) error = NULL;
  g_autoptr (VkaWeights) x = vka_weights_load (pa, NULL, &error);
  g_assert_no_error (error);
  g_autoptr (VkaWeights) y = vka_weights_load (pb, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vka_weights_count (x), ==, vka_weights_count (y));
  double worst = 0, d2 = 0, x2 = 0;
  for (guint i = 0; i < vka_weights_count (x); i++)
    {
      const VkaTensorData *tx = vka_weights_nth (x, i);
      const VkaTensorData *ty = vka_weights_get (y, tx->name);
      g_assert_nonnull (ty);
      gint64 n = vka_tensor_data_numel (tx);
      g_assert_cmpint (n, ==, vka_tensor_data_numel (ty));
      double scale = 0, diff = 0;
      for (gint64 k = 0; k < n; k++)
        {
          double d = (double) tx->data[k] - ty->data[k];
          scale = MAX (scale, fabs (tx->data[k]));
          diff = MAX (diff, fabs (d));
          d2 += d * d;
          x2 += (double) tx->data[k] * tx->data[k];
        }
      worst = MAX (worst, diff / MAX (scale, 1e-30));
    }
  *element = worst;
  *norm = sqrt (d2 / MAX (x2, 1e-300));
}

#define COMMON(save, batch) "--content-dir", content_dir, "--style-dir", style_dir, \
  "--vgg", vgg, "--save-dir", save, "--crop-size", "32", "--resize", "40", \
  "--batch-size", batch, "--log-interval", "1", "--seed", "7", "--lr", "1e-3"

/* One rank, then two, the same global batch: dir_one, dir_two (6
 * iterations, checkpoints at 3 and 6). */
static void
one_and_two (const char *optimizer, char **dir_one, char **dir_two)
{
  g_autofree char *n1 = g_strdup_printf ("one-%s", optimizer);
  g_autofree char *n2 = g_strdup_printf ("two-%s", optimizer);
  char *one = *dir_one = fixture_dir (tmp_root, n1), *two = *dir_two = fixture_dir (tmp_root, n2);
  const char *a[] = { COMMON (one, "4"), "--max-iter", "6", "--save-interval", "3",
                      "--optimizer", optimizer, NULL };
  Result r = run_job (0, a, NULL, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_free (r.err);
  const char *b[] = { COMMON (two, "4"), "--max-iter", "6", "--save-interval", "3",
                      "--optimizer", optimizer, NULL };
  r = run_job (2, b, NULL, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.err, "rank 1 of 2"));
  g_assert_nonnull (strstr (r.err, "2 of the 4 pictures"));
  g_free (r.err);
}

/* Two ranks repeat one rank up to rounding: the gradients of two halves
 * averaged are the batch's gradient in another order of summation. Under
 * SGD the decoders agree to rounding, weight by weight. Adam divides by
 * the root of the squared gradients, which turns rounding noise in the
 * (near-)zero gradients of some weights into steps of up to lr: those
 * weights differ by up to a few lr, the decoder as a whole by far less. */
static void
test_two_ranks_match_one (void)
{
  g_autofree char *one = NULL, *two = NULL, *one_sgd = NULL, *two_sgd = NULL;
  one_and_two ("sgd", &one_sgd, &two_sgd);
  double dl = losses_rel_diff (one_sgd, two_sgd), de, dn;
  weights_rel_diff (one_sgd, two_sgd, 6, &de, &dn);
  g_printerr ("# 1 vs 2 ranks, SGD: losses differ by %.3g (relative, largest), decoder "
              "weights by %.3g (relative to their tensor's largest) and %.3g (norm)\n", dl,
              de, dn);
  g_assert_cmpfloat (dl, <, 1e-4);
  g_assert_cmpfloat (de, <, 1e-5);

  one_and_two ("adam", &one, &two);
  dl = losses_rel_diff (one, two);
  weights_rel_diff (one, two, 6, &de, &dn);
  g_printerr ("# 1 vs 2 ranks, Adam: losses differ by %.3g (relative, largest), decoder "
              "weights by %.3g (relative to their tensor's largest) and %.3g (norm)\n", dl,
              de, dn);
  g_assert_cmpfloat (dl, <, 1e-4);
  g_assert_cmpfloat (dn, <, 1e-4);
  g_assert_cmpfloat (de, <, 1e-2);
  /* rank 0 alone wrote the folder: the same files as one rank */
  g_assert_true (fixture_exists (two, "loss.svg"));
  g_assert_true (fixture_exists (two, "sample_iter_6.png"));
  g_assert_true (fixture_exists (two, "resume_iter_3.ini"));
  g_assert_true (fixture_exists (two, "decoder_iter_6.pth"));

  /* the checkpoint is the global state: 2 ranks to 3, then 1 rank to 6 */
  g_autofree char *mixed = fixture_dir (tmp_root, "mixed");
  const char *c[] = { COMMON (mixed, "4"), "--max-iter", "3", "--save-interval", "3", NULL };
  Result r = run_job (2, c, NULL, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_free (r.err);
  const char *d[] = { COMMON (mixed, "4"), "--max-iter", "6", "--save-interval", "3",
                      "--resume", NULL };
  r = run_job (0, d, NULL, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.err, "resuming at iteration 3"));
  g_free (r.err);
  dl = losses_rel_diff (one, mixed);
  weights_rel_diff (one, mixed, 6, &de, &dn);
  g_printerr ("# 2 ranks to 3, then 1 to 6, vs 1 rank: losses %.3g, weights %.3g (norm)\n",
              dl, dn);
  g_assert_cmpfloat (dl, <, 1e-4);
  g_assert_cmpfloat (dn, <, 1e-4);
}

static void
test_batch_not_divisible (void)
{
  g_autofree char *save = fixture_dir (tmp_root, "odd");
  const char *a[] = { COMMON (save, "3"), "--max-iter", "2", NULL };
  Result r = run_job (2, a, NULL, NULL);
  g_assert_cmpint (r.status, !=, 0);
  g_assert_nonnull (strstr (r.err, "--batch-size 3"));
  g_assert_nonnull (strstr (r.err, "2 ranks"));
  g_free (r.err);
  g_assert_false (fixture_exists (save, "train_log.csv"));
}

static void
test_different_settings (void)
{
  g_autofree char *save = fixture_dir (tmp_root, "differ");
  const char *a[] = { COMMON (save, "2"), "--max-iter", "2", NULL };
  const char *b[] = { COMMON (save, "2"), "--max-iter", "2", "--style-weight", "5", NULL };
  Result r = run_job (1, a, b, NULL);
  g_assert_cmpint (r.status, !=, 0);
  g_assert_nonnull (strstr (r.err, "rank 1 was started with other settings"));
  g_free (r.err);
  g_assert_false (fixture_exists (save, "train_log.csv"));
}

/* A rank lost (fault kill-rank, SIGKILL) or failing (fail-rank, an error
 * and MPI_Abort) as it starts iteration 5: the job fails, and the newest
 * checkpoint (2 or 4, by how far rank 0 got) is whole: the job resumes from
 * it and ends. */
static void
rank_lost (const char *name, const char *fault, const char *must)
{
  g_autofree char *save = fixture_dir (tmp_root, name);
  const char *a[] = { COMMON (save, "2"), "--max-iter", "8", "--save-interval", "2", NULL };
  Result r = run_job (2, a, NULL, fault);
  g_assert_cmpint (r.status, !=, 0);
  if (must)
    g_assert_nonnull (strstr (r.err, must));
  g_free (r.err);
  g_assert_false (fixture_exists (save, "decoder_iter_6.pth"));
  g_assert_false (fixture_exists (save, "decoder_iter_8.pth"));
  g_assert_true (fixture_exists (save, "resume_iter_2.ini"));
  const char *b[] = { COMMON (save, "2"), "--max-iter", "8", "--save-interval", "2",
                      "--resume", NULL };
  r = run_job (2, b, NULL, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_true (strstr (r.err, "resuming at iteration 2")
                 || strstr (r.err, "resuming at iteration 4"));
  g_free (r.err);
  g_assert_true (fixture_exists (save, "resume_iter_8.ini"));
  g_autoptr (GArray) rows = log_of (save);
  g_assert_cmpuint (rows->len, ==, 8);
}

static void
test_rank_killed (void)
{
  rank_lost ("killed", "kill-rank:1:4", NULL);
}

static void
test_rank_fails (void)
{
  rank_lost ("failed", "fail-rank:1:4",
             "rank 1 of 2: injected failure at iteration 5; ending the job");
}

/* kill -USR1 on mpirun (which forwards it to every rank): the ranks stop
 * at one iteration, rank 0 saves it, status 0. */
static void
test_stop_signal (void)
{
  g_autofree char *save = fixture_dir (tmp_root, "stopped");
  const char *a[] = { COMMON (save, "2"), "--max-iter", "100000", "--save-interval", "100000",
                      NULL };
  g_autoptr (GPtrArray) argv = job_argv (2, a, NULL, NULL, (char *) "2");
  fixture_signal_after_three_rows (argv, save, SIGUSR1, TRUE);
  g_autoptr (GArray) rows = log_of (save);
  g_assert_cmpuint (rows->len, >=, 3);
  g_autofree char *ini = g_strdup_printf ("resume_iter_%u.ini", rows->len);
  g_assert_true (fixture_exists (save, ini));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  trainer = g_getenv ("VKA_TRAIN");
  vgg = g_getenv ("VKA_TEST_VGG");
  mpirun = g_getenv ("VKA_MPIRUN");
  g_assert_nonnull (trainer);
  g_assert_nonnull (vgg);
  g_assert_nonnull (mpirun);
  tmp_root = g_dir_make_tmp ("vka-train-mpi-XXXXXX", NULL);
  g_assert_nonnull (tmp_root);
  content_dir = fixture_dir (tmp_root, "content");
  style_dir = fixture_dir (tmp_root, "style");
  for (int i = 0; i < 3; i++)
    {
      g_autofree char *c = g_strdup_printf ("c%d.png", i), *s = g_strdup_printf ("s%d.png", i);
      fixture_picture (content_dir, c, 48 + 4 * i, 40, 10 + i, FALSE);
      fixture_picture (style_dir, s, 40, 36 + 6 * i, 20 + i, TRUE);
    }
  g_test_add_func ("/train-mpi/two-ranks-match-one", test_two_ranks_match_one);
  g_test_add_func ("/train-mpi/batch-not-divisible", test_batch_not_divisible);
  g_test_add_func ("/train-mpi/different-settings", test_different_settings);
  g_test_add_func ("/train-mpi/rank-killed", test_rank_killed);
  g_test_add_func ("/train-mpi/rank-fails", test_rank_fails);
  g_test_add_func ("/train-mpi/stop-signal", test_stop_signal);
  int status = g_test_run ();
  test_rm_rf (tmp_root);
  g_free (tmp_root);
  g_free (content_dir);
  g_free (style_dir);
  vka_imageio_shutdown ();
  return status;
}
