/* test-cli-jobs.c — vk-adain's job list split over the tasks of a job array:
 * the parts of --shard I/N are disjoint, each the contiguous block the docs
 * promise, and together give the unsharded run's outputs byte for byte;
 * --shard slurm reads the Slurm array variables; bad values fail naming
 * --shard; --skip-existing keeps finished outputs and redoes missing ones
 * (a temporary file left by a killed task does not count as done); tasks
 * sharing --style-cache encode each style once.
 *
 * On the CPU backend with its kernels fixed (VKA_CPU_CONV=direct, set by
 * meson: kernels chosen by timing may differ between processes in the last
 * bits) and one thread, so that separate processes compute the same bytes.
 */
#include "cli-run.h"

#include <glib/gstdio.h>
#include <string.h>

#define N_CONTENTS 3
#define N_STYLES   2
#define N_JOBS     (N_CONTENTS * N_STYLES)

static char *contents_dir, *styles_dir, *whole_dir;

/* The outputs in job order: style-major, contents in name order. */
static const char *const outputs[N_JOBS] = {
  "a_stylized_x.png", "b_stylized_x.png", "c_stylized_x.png",
  "a_stylized_y.png", "b_stylized_y.png", "c_stylized_y.png",
};

/* vk-adain over the test folders into out, with extra arguments (up to 6). */
static Result
run_jobs (const char *out, char **envp, const char *const *extra)
{
  g_autofree char *vgg = golden ("vgg.pth"), *dec = golden ("decoder.pth");
  const char *args[32] = { "--vgg", vgg, "--decoder", dec, "--content", contents_dir,
                           "--style", styles_dir, "--output", out, "--save-ext", "png",
                           "--content-size", "24", "--style-size", "20", "--device", "cpu",
                           "--threads", "1" };
  int n = 20;
  for (int i = 0; extra && extra[i]; i++)
    args[n++] = extra[i];
  args[n] = NULL;
  return run_cli_env (args, envp);
}

static void
run_ok (const char *out, const char *const *extra)
{
  Result r = run_jobs (out, NULL, extra);
  if (r.status != 0)
    g_test_message ("stderr: %s", r.err);
  g_assert_cmpint (r.status, ==, 0);
  g_free (r.err);
}

static void
assert_same_bytes (const char *dir, const char *name)
{
  g_autofree char *a = g_build_filename (whole_dir, name, NULL);
  g_autofree char *b = g_build_filename (dir, name, NULL);
  g_autofree char *ca = checksum (a), *cb = checksum (b);
  g_assert_cmpstr (ca, !=, "missing");
  g_assert_cmpstr (cb, ==, ca);
}

static void
setup_inputs (void)
{
  contents_dir = fresh_dir ("contents");
  styles_dir = fresh_dir ("styles");
  const char *pictures[][3] = {
    { "content.png", "a.png", "c" }, { "gray.png", "b.png", "c" }, { "rgba.png", "c.png", "c" },
    { "style.png", "x.png", "s" }, { "style2.png", "y.png", "s" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (pictures); i++)
    {
      g_autofree char *from = golden (pictures[i][0]);
      g_autofree char *to = g_build_filename (pictures[i][2][0] == 'c' ? contents_dir
                                              : styles_dir, pictures[i][1], NULL);
      copy_file (from, to);
    }
  whole_dir = fresh_dir ("whole");
  run_ok (whole_dir, NULL);
  g_assert_cmpuint (dir_count (whole_dir), ==, N_JOBS);
}

/* Parts 1..n of n, each in a folder of its own: part i holds exactly the
 * jobs of block i (sizes differ by one at most, the longer first), and the
 * parts together are the whole run. */
static void
check_parts (int n, const char *style_cache)
{
  int next = 0;
  for (int i = 1; i <= n; i++)
    {
      g_autofree char *name = g_strdup_printf ("parts-%d%s/%d", n, style_cache ? "-cached" : "",
                                               i);
      g_autofree char *dir = fresh_dir (name);
      g_autofree char *shard = g_strdup_printf ("%d/%d", i, n);
      const char *extra[] = { "--shard", shard, "-q", style_cache ? "--style-cache" : NULL,
                              style_cache, NULL };
      run_ok (dir, extra);
      int size = N_JOBS / n + (i - 1 < N_JOBS % n ? 1 : 0);
      g_assert_cmpuint (dir_count (dir), ==, size);
      for (int j = next; j < next + size; j++)
        assert_same_bytes (dir, outputs[j]);
      next += size;
    }
  g_assert_cmpint (next, ==, N_JOBS);
}

static void
test_shards_equal_whole (void)
{
  check_parts (3, NULL);
  check_parts (4, NULL);      /* blocks of 2, 2, 1, 1 */
  check_parts (8, NULL);      /* more parts than jobs: two get none */
  check_parts (1, NULL);
}

/* Tasks sharing --style-cache: one entry per style, made on first use and
 * read by the later tasks, and the same pictures. */
static void
test_shared_style_cache (void)
{
  g_autofree char *cache = g_build_filename (fresh_dir ("shared"), "styles", NULL);
  check_parts (3, cache);
  g_assert_cmpuint (dir_count (cache), ==, N_STYLES);
  g_autofree char *again = fresh_dir ("shared-again");
  run_ok (again, (const char *[]) { "--style-cache", cache, "-q", NULL });
  for (int j = 0; j < N_JOBS; j++)
    assert_same_bytes (again, outputs[j]);
  g_assert_cmpuint (dir_count (cache), ==, N_STYLES);
}

/* SLURM_ARRAY_TASK_ID 5 of the array 4-6 is part 2 of 3. */
static void
test_slurm_variables (void)
{
  g_auto (GStrv) env = g_get_environ ();
  env = g_environ_setenv (env, "SLURM_ARRAY_TASK_ID", "5", TRUE);
  env = g_environ_setenv (env, "SLURM_ARRAY_TASK_MIN", "4", TRUE);
  env = g_environ_setenv (env, "SLURM_ARRAY_TASK_MAX", "6", TRUE);
  env = g_environ_setenv (env, "SLURM_ARRAY_TASK_COUNT", "3", TRUE);
  env = g_environ_setenv (env, "SLURM_ARRAY_TASK_STEP", "1", TRUE);
  g_autofree char *dir = fresh_dir ("slurm-env");
  Result r = run_jobs (dir, env, (const char *[]) { "--shard", "slurm", NULL });
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.err, "part 2/3: jobs 3-4 of 6"));
  g_free (r.err);
  g_assert_cmpuint (dir_count (dir), ==, 2);
  assert_same_bytes (dir, outputs[2]);
  assert_same_bytes (dir, outputs[3]);
}

/* A bad --shard, or Slurm variables that are missing or describe an array
 * the parts cannot follow: one error line naming --shard and the problem,
 * no output. */
static void
expect_shard_error (const char *value, const char *const *slurm_env, const char *problem)
{
  g_auto (GStrv) env = g_get_environ ();
  const char *names[] = { "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN",
                          "SLURM_ARRAY_TASK_MAX", "SLURM_ARRAY_TASK_COUNT",
                          "SLURM_ARRAY_TASK_STEP" };
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    env = g_environ_unsetenv (env, names[i]);
  for (int i = 0; slurm_env && slurm_env[i]; i += 2)
    env = g_environ_setenv (env, slurm_env[i], slurm_env[i + 1], TRUE);
  g_autofree char *dir = fresh_dir ("bad-shard");
  Result r = run_jobs (dir, env, (const char *[]) { "--shard", value, NULL });
  g_print ("# error line: %s", r.err);
  g_assert_cmpint (r.status, !=, 0);
  g_assert_true (g_str_has_prefix (r.err, "vk-adain: --shard "));
  g_assert_nonnull (strstr (r.err, problem));
  g_assert_cmpint (strchr (r.err, '\n') - r.err + 1, ==, (int) strlen (r.err)); /* one line */
  g_assert_cmpuint (dir_count (dir), ==, 0);
  g_free (r.err);
}

static void
test_bad_shards (void)
{
  expect_shard_error ("0/3", NULL, "from 1 to N");
  expect_shard_error ("4/3", NULL, "from 1 to N");
  expect_shard_error ("1/0", NULL, "at least 1");
  expect_shard_error ("a/b", NULL, "expected I/N");
  expect_shard_error ("2/3x", NULL, "expected I/N");
  expect_shard_error ("-1/3", NULL, "expected I/N");
  expect_shard_error ("2", NULL, "expected I/N");
  expect_shard_error ("slurm", NULL, "SLURM_ARRAY_TASK_ID is not set");
  expect_shard_error ("slurm", (const char *[]) { "SLURM_ARRAY_TASK_ID", "1",
                                                  "SLURM_ARRAY_TASK_COUNT", "3", NULL },
                      "SLURM_ARRAY_TASK_MIN is not set");
  expect_shard_error ("slurm", (const char *[]) { "SLURM_ARRAY_TASK_ID", "x",
                                                  "SLURM_ARRAY_TASK_MIN", "1",
                                                  "SLURM_ARRAY_TASK_COUNT", "3", NULL },
                      "SLURM_ARRAY_TASK_ID='x' is not a number");
  expect_shard_error ("slurm", (const char *[]) { "SLURM_ARRAY_TASK_ID", "4",
                                                  "SLURM_ARRAY_TASK_MIN", "1",
                                                  "SLURM_ARRAY_TASK_COUNT", "3", NULL },
                      "outside the array");
  /* --array=1-5:2 */
  expect_shard_error ("slurm", (const char *[]) { "SLURM_ARRAY_TASK_ID", "3",
                                                  "SLURM_ARRAY_TASK_MIN", "1",
                                                  "SLURM_ARRAY_TASK_MAX", "5",
                                                  "SLURM_ARRAY_TASK_STEP", "2",
                                                  "SLURM_ARRAY_TASK_COUNT", "3", NULL },
                      "step 1");
  /* --array=1,2,7 */
  expect_shard_error ("slurm", (const char *[]) { "SLURM_ARRAY_TASK_ID", "2",
                                                  "SLURM_ARRAY_TASK_MIN", "1",
                                                  "SLURM_ARRAY_TASK_MAX", "7",
                                                  "SLURM_ARRAY_TASK_COUNT", "3", NULL },
                      "one range");
}

/* A resumed run: finished outputs are kept as they are (a marker file under
 * an output's name survives), a missing one is made although a killed
 * task's temporary file for it is there, and without --skip-existing every
 * output is made again. */
static void
test_skip_existing (void)
{
  g_autofree char *dir = fresh_dir ("resume");
  run_ok (dir, (const char *[]) { "--shard", "1/2", "-q", NULL });
  g_assert_cmpuint (dir_count (dir), ==, 3);
  g_autofree char *marker = write_file (dir, outputs[0], "marker", 6);
  g_autofree char *done = g_build_filename (dir, outputs[1], NULL);
  g_assert_cmpint (g_unlink (done), ==, 0);
  g_autofree char *tmp_name = g_strdup_printf (".%s.Ab12Cd", outputs[1]);
  g_autofree char *stale = write_file (dir, tmp_name, "half a pict", 11);

  Result r = run_jobs (dir, NULL, (const char *[]) { "--skip-existing", NULL });
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.err, "4 written, 2 already there, 0 failed"));
  g_free (r.err);
  g_autofree char *kept = NULL;
  g_assert_true (g_file_get_contents (marker, &kept, NULL, NULL));
  g_assert_cmpstr (kept, ==, "marker");
  for (int j = 1; j < N_JOBS; j++)
    assert_same_bytes (dir, outputs[j]);
  g_assert_cmpuint (dir_count (dir), ==, N_JOBS + 1);   /* + the stale temporary */

  run_ok (dir, (const char *[]) { "-q", NULL });
  for (int j = 0; j < N_JOBS; j++)
    assert_same_bytes (dir, outputs[j]);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  cli_run_setup ();
  /* the runs without --style-cache use the user's cache folder: a fresh one,
   * not entries an older build left in the build tree */
  g_autofree char *cache_home = fresh_dir ("cache-home");
  g_setenv ("XDG_CACHE_HOME", cache_home, TRUE);
  setup_inputs ();
  g_test_add_func ("/cli-jobs/shards-equal-whole", test_shards_equal_whole);
  g_test_add_func ("/cli-jobs/shared-style-cache", test_shared_style_cache);
  g_test_add_func ("/cli-jobs/slurm-variables", test_slurm_variables);
  g_test_add_func ("/cli-jobs/bad-shards", test_bad_shards);
  g_test_add_func ("/cli-jobs/skip-existing", test_skip_existing);
  int status = g_test_run ();
  cli_run_teardown ();
  g_free (contents_dir);
  g_free (styles_dir);
  g_free (whole_dir);
  return status;
}
