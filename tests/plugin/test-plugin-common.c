/* test-plugin-common.c — the plug-in core (plugin/common) without GIMP:
 * the dialog's device choices each pick that device, a layer's pixels as
 * the style give the same result as the picture file they came from, the
 * model folder's description names what it found or the folders searched,
 * and a missing style file is named in the settings check.
 *   test-plugin-common GOLDEN_DIR [--tap]   (tests/cli/golden) */
#include "vka-plugin.h"
#include "vka-imageio.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

static const char *golden;
static char *models;   /* a temporary folder with vgg_normalised.pth + decoder.pth */

static void
make_models (void)
{
  g_autoptr (GError) error = NULL;
  models = g_dir_make_tmp ("vka-plugin-models-XXXXXX", &error);
  g_assert_no_error (error);
  const char *names[2][2] = { { "vgg.pth", "vgg_normalised.pth" },
                              { "decoder.pth", "decoder.pth" } };
  for (int i = 0; i < 2; i++)
    {
      g_autofree char *from = g_build_filename (golden, names[i][0], NULL);
      g_autofree char *to = g_build_filename (models, names[i][1], NULL);
      g_autofree char *data = NULL;
      gsize len = 0;
      g_assert_true (g_file_get_contents (from, &data, &len, &error));
      g_assert_true (g_file_set_contents (to, data, (gssize) len, &error));
    }
}

static void
test_device_choices (void)
{
  g_autoptr (GPtrArray) choices = vka_plugin_device_choices ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) devices = vka_list_devices (&error);
  g_assert_no_error (error);
  g_assert_cmpuint (choices->len, ==, devices->len + 1);
  g_assert_cmpstr (((VkaPluginChoice *) choices->pdata[0])->id, ==, "");
  for (guint i = 1; i < choices->len; i++)
    {
      const VkaPluginChoice *c = choices->pdata[i];
      const VkaDeviceInfo *want = devices->pdata[i - 1];
      VkaContextOptions opt = { .device = c->id };
      g_autoptr (VkaContext) ctx = vka_context_new (&opt, &error);
      g_assert_no_error (error);
      g_test_message ("choice '%s' (%s) -> %s", c->id, c->label, vka_context_device (ctx)->name);
      g_assert_cmpstr (vka_context_device (ctx)->name, ==, want->name);
    }
}

static void
run_engine (const VkaPluginSettings *s, const VkaImage *content, VkaImage *out)
{
  g_autoptr (VkaPluginEngine) engine = vka_plugin_engine_new (NULL);
  g_autoptr (GError) error = NULL;
  gboolean ok = vka_plugin_engine_run (engine, s, content, TRUE, out, NULL, NULL, NULL,
                                       &error);
  g_assert_no_error (error);
  g_assert_true (ok);
}

static void
test_layer_style (void)
{
  g_autofree char *content_path = g_build_filename (golden, "content.png", NULL);
  g_autofree char *style_path = g_build_filename (golden, "style.png", NULL);
  g_autoptr (GError) error = NULL;
  VkaImageInfo info;
  g_autoptr (VkaImage) content = vka_image_load (content_path, &info, &error);
  g_assert_no_error (error);
  g_autoptr (VkaImage) style = vka_image_load (style_path, &info, &error);
  g_assert_no_error (error);
  g_assert_cmpint (style->channels, ==, 3);

  VkaPluginSettings s;
  vka_plugin_settings_init_defaults (&s);
  s.style_file = g_strdup (style_path);
  s.style_size = 24;   /* resized, so the layer goes through the same resize */
  s.model_dir = g_strdup (models);
  g_autoptr (VkaImage) from_file = vka_image_new (content->width, content->height, 3, &error);
  run_engine (&s, content, from_file);

  VkaStyleLayer *layer = g_new0 (VkaStyleLayer, 1);
  layer->name = g_strdup ("style layer");
  layer->is_8bit = TRUE;
  layer->width = style->width;
  layer->height = style->height;
  layer->pixels = g_memdup2 (style->pixels, sizeof (float) * 3 * style->width * style->height);
  layer->serial = 1;
  g_clear_pointer (&s.style_file, g_free);   /* the layer needs no file */
  s.style_layer = layer;
  g_autoptr (VkaImage) from_layer = vka_image_new (content->width, content->height, 3, &error);
  run_engine (&s, content, from_layer);
  vka_plugin_settings_clear (&s);

  gsize n = (gsize) content->width * content->height * 3;
  double max = 0;
  for (gsize i = 0; i < n; i++)
    max = MAX (max, fabs (from_file->pixels[i] - from_layer->pixels[i]));
  g_test_message ("layer vs file: max |diff| %g", max);
  /* The same calls; only the device's rounding differs between two runs
   * (lavapipe's reductions are not bit-reproducible). */
  g_assert_cmpfloat (max, <, 1e-4);
  /* and the style did something */
  double moved = 0;
  for (gsize i = 0; i < n; i++)
    moved = MAX (moved, fabs (from_file->pixels[i] - content->pixels[i]));
  g_assert_cmpfloat (moved, >, 0.05);
}

static void
test_model_description (void)
{
  g_autofree char *found = vka_plugin_model_description (NULL, models);
  g_assert_true (g_str_has_prefix (found, "Model: "));
  g_assert_nonnull (strstr (found, models));
  g_autofree char *folder = vka_plugin_model_folder (NULL, models);
  g_assert_cmpstr (folder, ==, models);

  g_autofree char *empty = g_dir_make_tmp ("vka-plugin-empty-XXXXXX", NULL);
  g_setenv ("VK_ADAIN_MODELS", empty, TRUE);
  g_autofree char *missing = vka_plugin_model_description (NULL, "/nonexistent/vka-models");
  g_unsetenv ("VK_ADAIN_MODELS");
  g_test_message ("%s", missing);
  /* Unless a model is installed, the message names the folders searched. */
  if (!g_str_has_prefix (missing, "Model: "))
    {
      g_assert_nonnull (strstr (missing, "/nonexistent/vka-models"));
      g_assert_nonnull (strstr (missing, empty));
    }
  g_rmdir (empty);
}

static void
test_missing_style (void)
{
  VkaPluginSettings s;
  vka_plugin_settings_init_defaults (&s);
  s.style_file = g_strdup ("/nonexistent/no-such-style.png");
  g_autoptr (GError) error = NULL;
  g_assert_false (vka_plugin_settings_check (&s, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "/nonexistent/no-such-style.png"));
  vka_plugin_settings_clear (&s);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (argc < 2)
    {
      g_printerr ("usage: test-plugin-common GOLDEN_DIR [--tap]\n");
      return 2;
    }
  golden = argv[1];
  g_setenv ("VKA_STYLE_CACHE", "0", TRUE);
  make_models ();
  g_test_add_func ("/plugin/device-choices", test_device_choices);
  g_test_add_func ("/plugin/layer-style", test_layer_style);
  g_test_add_func ("/plugin/model-description", test_model_description);
  g_test_add_func ("/plugin/missing-style", test_missing_style);
  int status = g_test_run ();
  g_autofree char *vgg = g_build_filename (models, "vgg_normalised.pth", NULL);
  g_autofree char *dec = g_build_filename (models, "decoder.pth", NULL);
  g_unlink (vgg);
  g_unlink (dec);
  g_rmdir (models);
  return status;
}
