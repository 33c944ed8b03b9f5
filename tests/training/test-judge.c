/* test-judge.c — vk-adain-judge on 64-pixel pictures with the shipped model
 * (the build tree's models/), outputs made by vk-adain: a picture judged
 * against itself as content and style scores 0; a real stylisation comes
 * closer to the style's statistics than the content itself or the α = 0
 * output, and its objective differs from theirs; shifting an output by a
 * few pixels raises the content term; --list gives the mean of its triples;
 * an output of another size is an error naming it; training/judge.sh
 * stylises the pairs PAIRS asks for (every content with every style for
 * "all") and rejects a PAIRS that is not a count.
 *
 * Environment (set by meson): VKA_JUDGE = the vk-adain-judge executable,
 * VKA_CLI = vk-adain, VKA_TEST_MODELS = a model folder, VKA_SAMPLES = two
 * pictures (content.jpg, style.jpg), VKA_JUDGE_SCRIPT = training/judge.sh,
 * VKA_BUILD_ROOT = the build tree it takes the programs from.
 */
#include "test-files.h"
#include "vka.h"
#include "vka-imageio.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *judge, *cli, *models, *samples, *script, *build_root;
static char *tmp_root, *vgg, *content, *style;

typedef struct
{
  int    status;
  char  *out, *err;
} Result;

/* program with args, in the environment env (NULL: this process's) */
static Result
run_with_env (char **env, const char *program, const char *const *args)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (char *) program);
  for (int i = 0; args[i]; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  Result r = { 0 };
  g_autoptr (GError) error = NULL;
  int ws;
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, env, G_SPAWN_SEARCH_PATH, NULL,
                               NULL, &r.out, &r.err, &ws, &error));
  g_assert_no_error (error);
  r.status = g_spawn_check_wait_status (ws, NULL) ? 0 : 1;
  g_test_message ("%s: exit %d, stdout: %s stderr: %s", program, r.status, r.out, r.err);
  return r;
}

static Result
run (const char *program, const char *const *args)
{
  return run_with_env (NULL, program, args);
}

static void
result_clear (Result *r)
{
  g_free (r->out);
  g_free (r->err);
}

typedef struct
{
  double content, style, objective;
} Terms;

/* The `mean` line of the judge's output. */
static Terms
judge_mean (const char *const *args)
{
  Result r = run (judge, args);
  g_assert_cmpint (r.status, ==, 0);
  const char *line = strstr (r.out, "\nmean\t");
  g_assert_nonnull (line);
  Terms t;
  char *end;
  t.content = g_ascii_strtod (line + 6, &end);
  t.style = g_ascii_strtod (end, &end);
  t.objective = g_ascii_strtod (end, &end);
  result_clear (&r);
  return t;
}

static Terms
judge_one (const char *c, const char *s, const char *o)
{
  const char *args[] = { "--vgg", vgg, "--content", c, "--style", s, "--output", o,
                         "--size", "64", NULL };
  Terms t = judge_mean (args);
  g_print ("# %s: content %.6g, style %.6g, objective %.6g\n", o, t.content, t.style,
           t.objective);
  return t;
}

/* vk-adain's output for the shipped model at 64 pixels. */
static char *
stylise (const char *name, const char *alpha)
{
  char *out = g_build_filename (tmp_root, name, NULL);
  g_autofree char *dec = g_build_filename (models, "decoder.safetensors", NULL);
  const char *args[] = { "--vgg", vgg, "--decoder", dec, "--content", content, "--style",
                         style, "-o", out, "--content-size", "64", "--style-size", "64",
                         "--alpha", alpha, "--quiet", NULL };
  Result r = run (cli, args);
  g_assert_cmpint (r.status, ==, 0);
  result_clear (&r);
  return out;
}

/* content itself at the judge's size, so that it can stand as an output */
static char *
content_at_64 (void)
{
  char *path = g_build_filename (tmp_root, "content64.png", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (VkaImage) raw = vka_image_load (content, NULL, &error);
  g_autoptr (VkaImage) small = raw ? vka_image_resize_shorter (raw, 64, TRUE, &error) : NULL;
  g_assert_no_error (error);
  g_assert_true (vka_image_save (small, path, &error));
  return path;
}

static void
test_identity (void)
{
  g_autofree char *c = content_at_64 ();
  Terms t = judge_one (c, c, c);
  /* AdaIN of a picture's features to their own statistics is the features */
  g_assert_cmpfloat (t.style, <, 1e-9);
  g_assert_cmpfloat (t.content, <, 1e-4);
}

/* --lattice: the output's lattice index after the objective, and its mean;
 * a 64-pixel stylisation has one 64×64 block to score (finite, above 0),
 * and the terms stay what they are without it. */
static void
test_lattice_column (void)
{
  g_autofree char *out = stylise ("lattice.png", "1");
  const char *args[] = { "--vgg", vgg, "--content", content, "--style", style, "--output",
                         out, "--size", "64", "--lattice", NULL };
  Result r = run (judge, args);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "\tobjective\tlattice\toutput"));
  const char *line = strstr (r.out, "\nmean\t");
  g_assert_nonnull (line);
  char *end;
  double terms[4];
  const char *p = line + 6;
  for (int k = 0; k < 4; k++, p = end)
    terms[k] = g_ascii_strtod (p, &end);
  g_test_message ("objective %.6g, lattice index %.4g", terms[2], terms[3]);
  g_assert_true (isfinite (terms[3]));
  g_assert_cmpfloat (terms[3], >, 0);
  g_assert_cmpfloat (terms[3], <=, 64);
  result_clear (&r);
  Terms plain = judge_one (content, style, out);
  g_assert_cmpfloat (fabs (plain.objective - terms[2]), <=, 1e-5 * plain.objective);
}

static void
test_stylised_vs_unstylised (void)
{
  g_autofree char *c = content_at_64 ();
  g_autofree char *full = stylise ("alpha1.png", "1");
  g_autofree char *none = stylise ("alpha0.png", "0");
  Terms tc = judge_one (content, style, c);
  Terms t1 = judge_one (content, style, full);
  Terms t0 = judge_one (content, style, none);
  g_assert_cmpfloat (t1.style, <, t0.style);
  g_assert_cmpfloat (t1.style, <, tc.style);
  g_assert_cmpfloat (t1.objective, <, t0.objective);
  g_assert_cmpfloat (t1.objective, <, tc.objective);
}

static void
test_shift_raises_content (void)
{
  g_autofree char *full = stylise ("alpha1-for-shift.png", "1");
  g_autofree char *shifted = g_build_filename (tmp_root, "shifted.png", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (VkaImage) im = vka_image_load (full, NULL, &error);
  g_assert_no_error (error);
  g_autoptr (VkaImage) moved = vka_image_copy (im, &error);
  /* a third of the way right and down, wrapping round */
  int dx = im->width / 3, dy = im->height / 3;
  for (int y = 0; y < im->height; y++)
    for (int x = 0; x < im->width; x++)
      memcpy (moved->pixels + ((gsize) ((y + dy) % im->height) * im->width
                               + (x + dx) % im->width) * im->channels,
              im->pixels + ((gsize) y * im->width + x) * im->channels,
              sizeof (float) * im->channels);
  g_assert_true (vka_image_save (moved, shifted, &error));
  Terms a = judge_one (content, style, full);
  Terms b = judge_one (content, style, shifted);
  g_assert_cmpfloat (b.content, >, 1.2 * a.content);
}

static void
test_list_and_errors (void)
{
  g_autofree char *c = content_at_64 ();
  g_autofree char *full = stylise ("alpha1-for-list.png", "1");
  g_autofree char *list = g_build_filename (tmp_root, "triples.tsv", NULL);
  g_autofree char *text = g_strdup_printf ("# two triples\n%s\t%s\t%s\n\n%s\t%s\t%s\n",
                                           content, style, c, content, style, full);
  g_assert_true (g_file_set_contents (list, text, -1, NULL));
  const char *args[] = { "--vgg", vgg, "--list", list, "--size", "64", NULL };
  Terms mean = judge_mean (args);
  Terms a = judge_one (content, style, c), b = judge_one (content, style, full);
  g_assert_cmpfloat (fabs (mean.objective - (a.objective + b.objective) / 2), <=,
                     1e-4 * mean.objective);

  /* --per-layer: four more columns on every line, which add up to the style
   * term, and no other column changed */
  const char *layers[] = { "--vgg", vgg, "--list", list, "--size", "64", "--per-layer", NULL };
  Result per = run (judge, layers);
  g_assert_cmpint (per.status, ==, 0);
  g_auto (GStrv) lines = g_strsplit (per.out, "\n", -1);
  int checked = 0;
  for (int i = 0; lines[i]; i++)
    {
      if (!lines[i][0] || lines[i][0] == '#')
        continue;
      g_auto (GStrv) f = g_strsplit (lines[i], "\t", -1);
      int first = g_str_equal (f[0], "mean") ? 1 : 0;
      g_assert_cmpuint (g_strv_length (f), ==, 8 + first);
      double style_term = g_ascii_strtod (f[first + 1], NULL), sum = 0;
      for (int k = 0; k < 4; k++)
        {
          double v = g_ascii_strtod (f[first + 3 + k], NULL);
          g_assert_cmpfloat (v, >=, 0);
          sum += v;
        }
      g_assert_cmpfloat (fabs (sum - style_term), <=, 1e-4 * style_term + 1e-9);
      if (first)
        g_assert_cmpfloat (fabs (g_ascii_strtod (f[3], NULL) - mean.objective), <=,
                           1e-5 * mean.objective);
      checked++;
    }
  g_assert_cmpint (checked, ==, 3);
  result_clear (&per);

  /* an output of another size than the content */
  g_autofree char *big = g_build_filename (tmp_root, "other-size.png", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (VkaImage) im = vka_image_new (80, 40, 3, &error);
  memset (im->pixels, 0, sizeof (float) * 80 * 40 * 3);
  g_assert_true (vka_image_save (im, big, &error));
  const char *bad[] = { "--vgg", vgg, "--content", content, "--style", style, "--output", big,
                        "--size", "0", NULL };
  Result r = run (judge, bad);
  g_assert_cmpint (r.status, !=, 0);
  g_assert_nonnull (strstr (r.err, "other-size.png"));
  g_assert_nonnull (strstr (r.err, "same size"));
  result_clear (&r);
  const char *none[] = { "--vgg", vgg, "--content", content, NULL };
  r = run (judge, none);
  g_assert_cmpint (r.status, !=, 0);
  g_assert_nonnull (strstr (r.err, "--list"));
  result_clear (&r);
}

/* A folder of n small pictures, each of its own colours. */
static char *
picture_folder (const char *name, int n)
{
  char *dir = g_build_filename (tmp_root, name, NULL);
  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  for (int k = 0; k < n; k++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (VkaImage) im = vka_image_new (40, 36, 3, &error);
      for (int i = 0; i < 40 * 36 * 3; i++)
        im->pixels[i] = (float) ((i * (k + 3) + k * 29) % 97) / 96.0f;
      g_autofree char *file = g_strdup_printf ("%s/%c.png", dir, 'a' + k);
      g_assert_true (vka_image_save (im, file, &error));
    }
  return dir;
}

/* training/judge.sh with model folder models on both sides. */
static Result
judge_script (const char *pairs, const char *work, const char *contents, const char *styles)
{
  g_auto (GStrv) env = g_get_environ ();
  env = g_environ_setenv (env, "BUILD", build_root, TRUE);
  env = g_environ_setenv (env, "PAIRS", pairs, TRUE);
  env = g_environ_setenv (env, "SIZE", "32", TRUE);
  env = g_environ_setenv (env, "WORK", work, TRUE);
  const char *args[] = { script, models, models, contents, styles, NULL };
  return run_with_env (env, "sh", args);
}

/* The (content, style) pairs of a judge.sh run, as "a+b" names, in order. */
static GStrv
pairs_judged (const char *work)
{
  g_autofree char *tsv = g_build_filename (work, "a.tsv", NULL), *text = NULL;
  g_assert_true (g_file_get_contents (tsv, &text, NULL, NULL));
  g_autoptr (GStrvBuilder) names = g_strv_builder_new ();
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (int i = 0; lines[i]; i++)
    {
      if (!lines[i][0])
        continue;
      g_auto (GStrv) f = g_strsplit (lines[i], "\t", -1);
      g_assert_cmpuint (g_strv_length (f), ==, 3);
      g_autofree char *c = g_path_get_basename (f[0]), *s = g_path_get_basename (f[1]);
      g_autofree char *name = g_strdup_printf ("%c+%c", c[0], s[0]);
      g_strv_builder_add (names, name);
    }
  return g_strv_builder_end (names);
}

static void
test_script_pairs (void)
{
  g_autofree char *contents = picture_folder ("script-contents", 2);
  g_autofree char *styles = picture_folder ("script-styles", 3);

  g_autofree char *all = g_build_filename (tmp_root, "script-all", NULL);
  Result r = judge_script ("all", all, contents, styles);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "6 pairs"));
  /* the same model on both sides */
  g_assert_nonnull (strstr (r.out, "A/B: objective 1.0000"));
  /* 32-pixel outputs are too small to score */
  g_assert_nonnull (strstr (r.out, "lattice index (an 8-pixel grid; about 1: none, nan under "
                                   "64 pixels): A nan  B nan"));
  result_clear (&r);
  g_auto (GStrv) every = pairs_judged (all);
  const char *const expect_all[] = { "a+a", "a+b", "a+c", "b+a", "b+b", "b+c", NULL };
  g_assert_true (g_strv_equal ((const char *const *) every, expect_all));

  g_autofree char *four = g_build_filename (tmp_root, "script-four", NULL);
  r = judge_script ("4", four, contents, styles);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "4 pairs"));
  result_clear (&r);
  /* pair i: content i mod 2, style (i + i div 2) mod 3 */
  g_auto (GStrv) some = pairs_judged (four);
  g_assert_cmpuint (g_strv_length (some), ==, 4);
  for (int i = 0; i < 4; i++)
    {
      g_autofree char *want = g_strdup_printf ("%c+%c", 'a' + i % 2, 'a' + (i + i / 2) % 3);
      g_assert_cmpstr (some[i], ==, want);
    }

  g_autofree char *bad = g_build_filename (tmp_root, "script-bad", NULL);
  r = judge_script ("many", bad, contents, styles);
  g_assert_cmpint (r.status, !=, 0);
  g_assert_nonnull (strstr (r.err, "PAIRS must be"));
  result_clear (&r);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  judge = g_getenv ("VKA_JUDGE");
  cli = g_getenv ("VKA_CLI");
  models = g_getenv ("VKA_TEST_MODELS");
  samples = g_getenv ("VKA_SAMPLES");
  script = g_getenv ("VKA_JUDGE_SCRIPT");
  build_root = g_getenv ("VKA_BUILD_ROOT");
  g_assert_nonnull (script);
  g_assert_nonnull (build_root);
  g_assert_nonnull (judge);
  g_assert_nonnull (cli);
  g_assert_nonnull (models);
  g_assert_nonnull (samples);
  vgg = g_build_filename (models, "vgg_normalised.pth", NULL);
  content = g_build_filename (samples, "content.jpg", NULL);
  style = g_build_filename (samples, "style.jpg", NULL);
  tmp_root = g_dir_make_tmp ("vk-adain-judge-XXXXXX", NULL);
  g_assert_nonnull (tmp_root);

  g_test_add_func ("/judge/identity", test_identity);
  g_test_add_func ("/judge/stylised-vs-unstylised", test_stylised_vs_unstylised);
  g_test_add_func ("/judge/shift-raises-content", test_shift_raises_content);
  g_test_add_func ("/judge/list-and-errors", test_list_and_errors);
  g_test_add_func ("/judge/lattice-column", test_lattice_column);
  g_test_add_func ("/judge/script-pairs", test_script_pairs);
  int status = g_test_run ();
  test_rm_rf (tmp_root);
  g_free (tmp_root);
  g_free (vgg);
  g_free (content);
  g_free (style);
  vka_imageio_shutdown ();
  return status;
}
