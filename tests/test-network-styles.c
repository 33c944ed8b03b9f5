/* test-network-styles.c — styles beyond one encode: the on-disk style
 * cache, the mix of several styles as one (vka_style_mix), and styles
 * prepared from pixels and files (vka-prepare.h). Part of test-network. */
#include "test-network.h"
#include "net/stylize-private.h"
#include "vka-prepare.h"

#include <glib/gstdio.h>
#include <string.h>

static guint
count_files (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;
  while (d && g_dir_read_name (d))
    n++;
  return n;
}

static char *
only_file (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  g_assert_nonnull (d);
  const char *name = g_dir_read_name (d);
  g_assert_nonnull (name);
  return g_build_filename (dir, name, NULL);
}

static void
assert_same_style (const VkaStyle *a, const VkaStyle *b)
{
  int c = vka_style_channels (a);
  g_assert_cmpint (c, ==, vka_style_channels (b));
  g_assert_cmpmem (vka_style_mean (a), c * 4, vka_style_mean (b), c * 4);
  g_assert_cmpmem (vka_style_std (a), c * 4, vka_style_std (b), c * 4);
}

/* The on-disk style cache: an entry is written, read back instead of an
 * encode (a planted entry comes back as it is), a damaged one is replaced,
 * another encoder gets its own, VKA_STYLE_CACHE=0 bypasses it, and a folder
 * given explicitly holds its own entries. */
static void
test_style_cache (void)
{
  Models m = make_models (61), other = make_models (62);
  g_autoptr (GRand) rand = g_rand_new_with_seed (3);
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "vk-adain", "styles",
                                           NULL);
  {
    g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name (d)))
      {
        g_autofree char *path = g_build_filename (dir, name, NULL);
        g_assert_cmpint (g_unlink (path), ==, 0);
      }
  }
  g_autoptr (VkaImage) picture = random_image (rand, 24, 20, 3);
  g_autoptr (VkaStyle) encoded = vka_style_from_image (m.device, picture, NULL, &error);
  g_assert_no_error (error);

  g_autoptr (VkaStyle) first = vka_style_from_image_cached (m.device, picture, NULL, &error);
  g_assert_no_error (error);
  assert_same_style (first, encoded);
  g_assert_cmpuint (count_files (dir), ==, 1);
  g_autofree char *entry = only_file (dir);

  int c = vka_style_channels (encoded);
  g_autofree float *values = g_new (float, c);
  for (int i = 0; i < c; i++)
    values[i] = 0.25f + i;
  g_autoptr (VkaStyle) planted = vka_style_new (c, values, values);
  g_assert_true (vka_style_save (planted, entry, &error));
  g_autoptr (VkaStyle) read_back = vka_style_from_image_cached (m.device, picture, NULL,
                                                                &error);
  g_assert_no_error (error);
  assert_same_style (read_back, planted);

  g_assert_true (g_file_set_contents (entry, "not a safetensors file", -1, NULL));
  g_autoptr (VkaStyle) reencoded = vka_style_from_image_cached (m.device, picture, NULL,
                                                                &error);
  g_assert_no_error (error);
  assert_same_style (reencoded, encoded);
  g_autoptr (VkaStyle) replaced = vka_style_load (entry, &error);
  g_assert_no_error (error);
  assert_same_style (replaced, encoded);

  g_autoptr (VkaStyle) other_model = vka_style_from_image_cached (other.device, picture,
                                                                  NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (count_files (dir), ==, 2);

  g_setenv ("VKA_STYLE_CACHE", "0", TRUE);
  g_autoptr (VkaImage) another = random_image (rand, 16, 16, 3);
  g_autoptr (VkaStyle) uncached = vka_style_from_image_cached (m.device, another, NULL,
                                                               &error);
  g_unsetenv ("VKA_STYLE_CACHE");
  g_assert_no_error (error);
  g_assert_cmpuint (count_files (dir), ==, 2);

  /* A folder of its own (a job array's shared cache; made when missing) is
   * used even with VKA_STYLE_CACHE=0, and its entry saves the encode. */
  g_autofree char *shared = g_build_filename (g_get_user_cache_dir (), "shared-styles",
                                              "sub", NULL);
  g_autofree char *entry_shared = NULL;
  {
    g_autoptr (GDir) d = g_dir_open (shared, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name (d)))
      {
        g_autofree char *path = g_build_filename (shared, name, NULL);
        g_assert_cmpint (g_unlink (path), ==, 0);
      }
  }
  g_setenv ("VKA_STYLE_CACHE", "0", TRUE);
  g_autoptr (VkaStyle) in_shared = vka_style_from_image_cached_in (m.device, another, shared,
                                                                   NULL, &error);
  g_assert_no_error (error);
  guint runs = vka_model_encoder_runs (m.device);
  g_autoptr (VkaStyle) from_shared = vka_style_from_image_cached_in (m.device, another, shared,
                                                                     NULL, &error);
  g_unsetenv ("VKA_STYLE_CACHE");
  g_assert_no_error (error);
  g_assert_cmpuint (vka_model_encoder_runs (m.device), ==, runs);
  assert_same_style (in_shared, uncached);
  assert_same_style (from_shared, uncached);
  g_assert_cmpuint (count_files (shared), ==, 1);
  g_assert_cmpuint (count_files (dir), ==, 2);
  free_models (&m);
  free_models (&other);
}

/* The mix as one style stylises exactly as the styles and weights given to
 * vka_stylize; weights that add up to 0 are refused. */
static void
test_style_mix (void)
{
  Models m = make_models (63);
  g_autoptr (GRand) rand = g_rand_new_with_seed (4);
  g_autoptr (GError) error = NULL;
  g_autoptr (VkaImage) content = random_image (rand, 24, 20, 3);
  g_autoptr (VkaImage) pa = random_image (rand, 20, 24, 3);
  g_autoptr (VkaImage) pb = random_image (rand, 28, 16, 3);
  g_autoptr (VkaStyle) a = vka_style_from_image (m.device, pa, NULL, &error);
  g_assert_no_error (error);
  g_autoptr (VkaStyle) b = vka_style_from_image (m.device, pb, NULL, &error);
  g_assert_no_error (error);
  const VkaStyle *both[2] = { a, b };
  const double weights[2] = { 1.0, 3.0 };
  g_autoptr (VkaStyle) mixed = vka_style_mix (both, weights, 2, &error);
  g_assert_no_error (error);
  const VkaStyle *one[1] = { mixed };
  g_autoptr (VkaImage) by_two = vka_image_new (24, 20, 3, NULL);
  g_autoptr (VkaImage) by_one = vka_image_new (24, 20, 3, NULL);
  g_assert_true (vka_stylize (m.device, content, both, weights, 2, NULL, by_two, NULL, NULL,
                              NULL, &error));
  g_assert_true (vka_stylize (m.device, content, one, NULL, 1, NULL, by_one, NULL, NULL,
                              NULL, &error));
  g_assert_cmpmem (by_two->pixels, 24 * 20 * 3 * 4, by_one->pixels, 24 * 20 * 3 * 4);
  const double zero[2] = { 0, 0 };
  g_assert_null (vka_style_mix (both, zero, 2, &error));
  g_assert_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT);
  free_models (&m);
}

/* A style from pixels is encoded once and kept; the same statistics saved
 * as a file come back through vka_style_source_new_file; colour transfer
 * on a statistics file and a missing file are errors naming the file. */
static void
test_style_source (void)
{
  Models m = make_models (64);
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);
  g_autoptr (GError) error = NULL;
  g_autoptr (VkaImage) picture = random_image (rand, 20, 24, 3);
  g_autoptr (VkaStyle) direct = vka_style_from_image (m.device, picture, NULL, &error);
  g_assert_no_error (error);

  g_autoptr (VkaStyleSource) pixels = vka_style_source_new_image (picture, "layer", FALSE, 0,
                                                                  FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (vka_style_source_image (pixels)->width, ==, 20);
  VkaStyleEncodeOptions no_cache = VKA_STYLE_ENCODE_OPTIONS_DEFAULT;
  no_cache.cache = FALSE;
  guint runs = vka_model_encoder_runs (m.device);
  g_autoptr (VkaStyle) first = vka_style_source_encode (m.device, pixels, &no_cache, NULL,
                                                        &error);
  g_assert_no_error (error);
  g_autoptr (VkaStyle) again = vka_style_source_encode (m.device, pixels, &no_cache, NULL,
                                                        &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vka_model_encoder_runs (m.device), ==, runs + 1);
  assert_same_style (first, direct);
  assert_same_style (again, direct);

  g_autoptr (VkaStyleSource) cropped = vka_style_source_new_image (picture, "layer", FALSE,
                                                                   16, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (vka_style_source_image (cropped)->width, ==, 16);
  g_assert_cmpint (vka_style_source_image (cropped)->height, ==, 16);

  g_autofree char *dir = g_dir_make_tmp ("vka-style-source-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *path = g_build_filename (dir, "saved.safetensors", NULL);
  g_assert_true (vka_style_save (direct, path, &error));
  g_autoptr (VkaStyleSource) file = vka_style_source_new_file (path, 512, FALSE, &error);
  g_assert_no_error (error);
  g_assert_null (vka_style_source_image (file));
  g_autoptr (VkaStyle) loaded = vka_style_source_encode (m.device, file, NULL, NULL, &error);
  g_assert_no_error (error);
  assert_same_style (loaded, direct);

  g_autoptr (VkaImage) content = random_image (rand, 16, 16, 3);
  VkaImageSource source;
  vka_image_source_init (&source, content);
  VkaStyleEncodeOptions coral = { VKA_COLOR_CORAL, &source, FALSE, NULL };
  g_assert_null (vka_style_source_encode (m.device, file, &coral, NULL, &error));
  g_assert_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "saved.safetensors"));
  g_clear_error (&error);
  g_autoptr (VkaStyle) moved = vka_style_source_encode (m.device, pixels, &coral, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (moved);

  /* Pictures whose ninth byte is '{' are not statistics files:
   * /cli/style-picture-with-brace. */
  g_assert_true (vka_style_file_probe (path));

  g_autofree char *missing = g_build_filename (dir, "missing.png", NULL);
  g_assert_null (vka_style_source_new_file (missing, 512, FALSE, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "missing.png"));
  g_unlink (path);
  g_rmdir (dir);
  free_models (&m);
}

void
test_network_styles_add (void)
{
  g_test_add_func ("/network/style-cache", test_style_cache);
  g_test_add_func ("/network/style-mix", test_style_mix);
  g_test_add_func ("/network/style-source", test_style_source);
}
