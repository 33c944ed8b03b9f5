/* test-tuning.c — the 3×3 kernel chosen per layer shape by measurement:
 * every candidate is timed and the fastest kept in the cache file; a kept
 * choice is followed (and its results still match the reference); a broken
 * file, an unknown kernel or a file from other shaders is measured again;
 * tuning stays off on CPU drivers unless asked for, and when a kernel is
 * forced; the cooperative-matrix kernel is timed too where the device has
 * it. Each case runs in a subprocess with its own $XDG_CACHE_HOME
 * (GLib reads the user dirs once). */
#include "test-util.h"
#include "test-files.h"
#include "vulkan/vulkan-backend.h"

#include <stdio.h>
#include <string.h>

/* The two convolutions every child runs: 16→24 channels on a 13×11 map
 * (143 pixels: key c16-24-p8) and 8→8 upsampled from 7×5 to 14×10 (140
 * pixels: c8-8-up-p8). */
#define PLAIN_KEY     "c16-24-p8"
#define UPSAMPLED_KEY "c8-8-up-p8"

static char *cache_dir;

static char *
tuning_file (void)
{
  g_autofree char *sub = g_build_filename (cache_dir, "vk-adain", NULL);
  g_autoptr (GDir) d = g_dir_open (sub, 0, NULL);
  if (!d)
    return NULL;
  const char *name;
  while ((name = g_dir_read_name (d)))
    if (g_str_has_prefix (name, "tuning-") && g_str_has_suffix (name, ".ini"))
      return g_build_filename (sub, name, NULL);
  return NULL;
}

static GKeyFile *
load_tuning (void)
{
  g_autofree char *path = tuning_file ();
  g_assert_nonnull (path);
  GKeyFile *kf = g_key_file_new ();
  g_autoptr (GError) error = NULL;
  g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);
  return kf;
}

static void
save_tuning (GKeyFile *kf)
{
  g_autofree char *path = tuning_file ();
  g_autoptr (GError) error = NULL;
  g_key_file_save_to_file (kf, path, &error);
  g_assert_no_error (error);
}

/* One 3×3 convolution on the device against the reference backend. */
static void
check_conv (VkaBackend *dev, VkaBackend *ref, GRand *rand, int cin, int cout, int h, int w,
            gboolean upsampled)
{
  int oh = upsampled ? 2 * h : h, ow = upsampled ? 2 * w : w;
  gsize n_in = (gsize) cin * h * w, n_w = (gsize) cout * cin * 9, n_out = (gsize) cout * oh * ow;
  g_autofree float *x = g_new (float, n_in);
  g_autofree float *wt = g_new (float, n_w);
  g_autofree float *bias = g_new (float, cout);
  test_fill_random (rand, x, n_in, -1, 1);
  test_fill_random (rand, wt, n_w, -0.3f, 0.3f);
  test_fill_random (rand, bias, cout, -0.1f, 0.1f);
  float *result[2];
  VkaBackend *backends[2] = { dev, ref };
  for (int i = 0; i < 2; i++)
    {
      VkaBackend *b = backends[i];
      g_autoptr (GError) error = NULL;
      VkaTensor *in = test_tensor (b, 1, cin, h, w, x);
      VkaTensor *weight = test_tensor (b, cout, cin, 3, 3, wt);
      VkaTensor *bt = test_tensor (b, 1, cout, 1, 1, bias);
      VkaTensor *out = test_tensor (b, 1, cout, oh, ow, NULL);
      gboolean ok = upsampled ? vka_conv3x3_upsampled (b, in, weight, bt, TRUE, out, &error)
                              : b->ops->conv2d (b, in, weight, bt, TRUE, out, &error);
      g_assert_no_error (error);
      g_assert_true (ok);
      result[i] = test_read (out);
      vka_tensor_free (in);
      vka_tensor_free (weight);
      vka_tensor_free (bt);
      vka_tensor_free (out);
    }
  double nmse = test_nmse (result[1], result[0], n_out);
  g_test_message ("%d→%d%s %d×%d: NMSE %.3g", cin, cout, upsampled ? " upsampled" : "", w,
                  h, nmse);
  /* float16 operands where the cooperative-matrix kernel may have won */
  g_assert_cmpfloat (nmse, <, test_conv3x3_fp16 (dev) ? 1e-5 : 1e-10);
  g_free (result[0]);
  g_free (result[1]);
}

/* The child: both convolutions, checked; and what the backend now says
 * each shape runs (into the test log, for the parent to read). */
static void
run_child (void)
{
  if (!g_test_subprocess ())
    return;
  VkaContext *ctx = test_vulkan_context ();
  VkaContext *reference = vka_context_new_reference ();
  VkaBackend *b = vka_context_backend (ctx);
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  check_conv (b, vka_context_backend (reference), rand, 16, 24, 11, 13, FALSE);
  check_conv (b, vka_context_backend (reference), rand, 8, 8, 5, 7, TRUE);
  fprintf (stderr, "kernels: %s %s\n",
           vka_vk_backend_conv3x3_kernel (b, 1, 16, 24, 11, 13, FALSE),
           vka_vk_backend_conv3x3_kernel (b, 1, 8, 8, 10, 14, TRUE));
  vka_context_free (reference);
  test_context_finish (ctx);
}

/* Each case starts from an empty cache. */
static void
rm_cache (void)
{
  g_autofree char *sub = g_build_filename (cache_dir, "vk-adain", NULL);
  test_rm_rf (sub);
}

/* Runs the child with $VKA_TUNE (NULL: unset) and $VKA_CONV3X3 in the
 * case's cache. */
static void
spawn_child (const char *tune, const char *forced)
{
  g_setenv ("XDG_CACHE_HOME", cache_dir, TRUE);
  if (tune)
    g_setenv ("VKA_TUNE", tune, TRUE);
  else
    g_unsetenv ("VKA_TUNE");
  if (forced)
    g_setenv ("VKA_CONV3X3", forced, TRUE);
  else
    g_unsetenv ("VKA_CONV3X3");
  g_test_trap_subprocess ("/tuning/child", 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* NULL-terminated for g_strv_contains; the last one only where the device
 * runs it */
static const char *const kernels[] = { "direct", "gemm4", "gemm8", "winograd", "winograd4",
                                       "coopmat", NULL };
#define KERNELS_EVERYWHERE 5

/* The kernel a value names (its first word), checked to be a known one. */
static char *
kernel_of (GKeyFile *kf, const char *key)
{
  g_autoptr (GError) error = NULL;
  char *value = g_key_file_get_string (kf, "conv3x3", key, &error);
  g_assert_no_error (error);
  value[strcspn (value, " ")] = '\0';
  g_assert_true (g_strv_contains (kernels, value));
  return value;
}

static void
assert_measured_of (GKeyFile *kf, const char *key, guint n_kernels)
{
  g_autofree char *value = g_key_file_get_string (kf, "conv3x3", key, NULL);
  g_assert_nonnull (value);
  g_test_message ("%s=%s", key, value);
  g_autofree char *kernel = kernel_of (kf, key);
  /* every kernel fits these small maps: each was timed, and the one kept
   * took the least time */
  double fastest = G_MAXDOUBLE, kept = -1;
  for (guint i = 0; i < n_kernels; i++)
    {
      g_autofree char *timed = g_strdup_printf ("%s ", kernels[i]);
      const char *at = strstr (strchr (value, '('), timed);
      g_assert_nonnull (at);
      double ms = g_ascii_strtod (at + strlen (timed), NULL);
      g_assert_cmpfloat (ms, >, 0);
      fastest = MIN (fastest, ms);
      if (g_str_equal (kernels[i], kernel))
        kept = ms;
    }
  g_assert_cmpfloat (kept, ==, fastest);
}

static void
assert_measured (GKeyFile *kf, const char *key)
{
  assert_measured_of (kf, key, KERNELS_EVERYWHERE);
}

static void
test_measures_and_keeps (void)
{
  rm_cache ();
  spawn_child ("1", NULL);
  g_autoptr (GKeyFile) kf = load_tuning ();
  assert_measured (kf, PLAIN_KEY);
  assert_measured (kf, UPSAMPLED_KEY);
  g_autofree char *name = g_key_file_get_string (kf, "device", "name", NULL);
  g_assert_nonnull (name);
  g_autofree char *shaders = g_key_file_get_string (kf, "device", "shaders", NULL);
  g_assert_cmpuint (strlen (shaders), ==, 40);
  /* the child reports the kept kernels as the ones it runs */
  g_autofree char *plain = kernel_of (kf, PLAIN_KEY);
  g_autofree char *upsampled = kernel_of (kf, UPSAMPLED_KEY);
  g_autofree char *line = g_strdup_printf ("kernels: %s %s", plain, upsampled);
  g_autofree char *pattern = g_strdup_printf ("*%s*", line);
  g_test_trap_assert_stderr (pattern);
}

/* A kept choice is followed without measuring again, whatever it is. */
static void
test_follows_the_file (void)
{
  rm_cache ();
  spawn_child ("1", NULL);
  const char *forced[][2] = { { "gemm4", "winograd" }, { "winograd", "direct" },
                              { "direct", "gemm8" }, { "winograd4", "winograd4" } };
  for (guint i = 0; i < G_N_ELEMENTS (forced); i++)
    {
      g_autoptr (GKeyFile) kf = load_tuning ();
      g_key_file_set_string (kf, "conv3x3", PLAIN_KEY, forced[i][0]);
      g_key_file_set_string (kf, "conv3x3", UPSAMPLED_KEY, forced[i][1]);
      save_tuning (kf);
      spawn_child ("1", NULL);
      g_autofree char *line = g_strdup_printf ("*kernels: %s %s*", forced[i][0], forced[i][1]);
      g_test_trap_assert_stderr (line);
      g_autoptr (GKeyFile) after = load_tuning ();
      g_autofree char *plain = g_key_file_get_string (after, "conv3x3", PLAIN_KEY, NULL);
      g_assert_cmpstr (plain, ==, forced[i][0]);   /* not measured again */
    }
}

/* A file that is not a key file, an unknown kernel, or timings made with
 * other shaders: measured again and written anew. */
static void
test_measures_again (void)
{
  rm_cache ();
  spawn_child ("1", NULL);
  g_autofree char *path = tuning_file ();
  g_assert_true (g_file_set_contents (path, "\x01\x02 not [a key file\n", -1, NULL));
  spawn_child ("1", NULL);
  {
    g_autoptr (GKeyFile) kf = load_tuning ();
    assert_measured (kf, PLAIN_KEY);
    g_key_file_set_string (kf, "conv3x3", PLAIN_KEY, "warp9");
    save_tuning (kf);
  }
  spawn_child ("1", NULL);
  {
    g_autoptr (GKeyFile) kf = load_tuning ();
    assert_measured (kf, PLAIN_KEY);
    g_key_file_set_string (kf, "device", "shaders", "0000");
    g_key_file_set_string (kf, "conv3x3", PLAIN_KEY, "gemm4");
    g_key_file_set_string (kf, "conv3x3", UPSAMPLED_KEY, "gemm4");
    save_tuning (kf);
  }
  spawn_child ("1", NULL);
  g_autoptr (GKeyFile) kf = load_tuning ();
  assert_measured (kf, PLAIN_KEY);
  assert_measured (kf, UPSAMPLED_KEY);
}

/* lavapipe is a CPU driver: no tuning unless asked; a forced kernel wins. */
static void
test_off_unless_asked (void)
{
  rm_cache ();
  VkaContext *ctx = test_vulkan_context ();
  gboolean cpu_driver = ((VkaVkBackend *) vka_context_backend (ctx))->props.deviceType
                        == VK_PHYSICAL_DEVICE_TYPE_CPU;
  test_context_finish (ctx);
  spawn_child (NULL, NULL);
  g_autofree char *path = tuning_file ();
  if (cpu_driver)
    {
      g_assert_null (path);
      g_test_trap_assert_stderr ("*kernels: direct direct*");
    }
  else
    g_assert_nonnull (path);   /* GPUs tune by default */
  spawn_child ("1", "winograd");
  g_test_trap_assert_stderr ("*kernels: winograd winograd*");
  g_autofree char *after = tuning_file ();
  g_assert_cmpstr (after, ==, path);
  spawn_child ("0", NULL);
  g_autofree char *still = tuning_file ();
  g_assert_cmpstr (still, ==, path);
}

/* With $VKA_FP16 unset, a device that offers cooperative matrices times
 * that kernel as well (keys ending "-cm") and follows a file that keeps it;
 * skipped elsewhere, unless $VKA_TEST_REQUIRE_COOPMAT=1. */
static void
test_coopmat_candidate (void)
{
  g_autofree char *saved_fp16 = g_strdup (g_getenv ("VKA_FP16"));
  g_unsetenv ("VKA_FP16");
  g_setenv ("VKA_CONV3X3", "coopmat", TRUE);
  VkaContextConfig config = { .validation = TRUE, .vulkan_only = TRUE };
  g_autoptr (GError) error = NULL;
  VkaContext *ctx = vka_context_new_full (&config, &error);
  gboolean missing = !ctx && test_coopmat_missing (error);
  g_unsetenv ("VKA_CONV3X3");
  if (!ctx)
    {
      g_assert_true (missing);
      g_test_skip (error->message);
    }
  else
    {
      test_context_finish (ctx);
      rm_cache ();
      spawn_child ("1", NULL);
      g_autoptr (GKeyFile) kf = load_tuning ();
      assert_measured_of (kf, PLAIN_KEY "-cm", G_N_ELEMENTS (kernels) - 1);
      assert_measured_of (kf, UPSAMPLED_KEY "-cm", G_N_ELEMENTS (kernels) - 1);
      /* kept as the choice, it runs (and matches the reference) */
      g_key_file_set_string (kf, "conv3x3", PLAIN_KEY "-cm", "coopmat");
      g_key_file_set_string (kf, "conv3x3", UPSAMPLED_KEY "-cm", "coopmat");
      save_tuning (kf);
      spawn_child ("1", NULL);
      g_test_trap_assert_stderr ("*kernels: coopmat coopmat*");
    }
  if (saved_fp16)
    g_setenv ("VKA_FP16", saved_fp16, TRUE);
}

int
main (int argc, char **argv)
{
  test_init (&argc, &argv);
  /* the children inherit the directory through $VKA_TEST_TUNING_DIR */
  const char *inherited = g_getenv ("VKA_TEST_TUNING_DIR");
  cache_dir = inherited ? g_strdup (inherited) : g_dir_make_tmp ("vka-tuning-XXXXXX", NULL);
  g_setenv ("VKA_TEST_TUNING_DIR", cache_dir, TRUE);
  g_test_add_func ("/tuning/measures-and-keeps", test_measures_and_keeps);
  g_test_add_func ("/tuning/follows-the-file", test_follows_the_file);
  g_test_add_func ("/tuning/measures-again", test_measures_again);
  g_test_add_func ("/tuning/off-unless-asked", test_off_unless_asked);
  g_test_add_func ("/tuning/coopmat-candidate", test_coopmat_candidate);
  g_test_add_func ("/tuning/child", run_child);
  int status = g_test_run ();
  if (!inherited)
    test_rm_rf (cache_dir);   /* Mesa and the validation layer cache there too */
  g_free (cache_dir);
  return status;
}
