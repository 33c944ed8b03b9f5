/* vka-plugin-params.c — the one table of the procedure's arguments. */
#include "vka-plugin-params.h"
#include "vka-plugin-i18n.h"
#include "vka.h"

const VkaParam vka_params[VKA_N_PARAMS] = {
  [VKA_PARAM_STYLE_FILE] = {
    "style-file", N_("Style _picture"),
    N_("The style picture (PNG, JPEG, TIFF, WebP) or a style statistics file"),
    VKA_PARAM_TYPE_FILE, 0, 0, 0, 0, 0, 0 },
  [VKA_PARAM_STRENGTH] = {
    "strength", N_("S_trength"),
    N_("How much of the style to apply: 0 keeps the layer, 1 is full style transfer"),
    VKA_PARAM_TYPE_DOUBLE, VKA_STRENGTH_MIN, VKA_STRENGTH_MAX, VKA_STRENGTH_DEFAULT, 0.01, 0.1,
    2 },
  [VKA_PARAM_COLOR_MODE] = {
    "color-mode", N_("Color _mode"),
    N_("Keep the layer's colors: 0 no, 1 color transfer onto the style (CORAL), "
       "2 keep the layer's colors and take only the lightness"),
    VKA_PARAM_TYPE_INT, 0, 2, 0, 1, 1, 0 },
  [VKA_PARAM_STYLE_SIZE] = {
    "style-size", N_("Style si_ze"),
    N_("Resize the style picture so that its shorter side has this many pixels "
       "(0 = as it is); smaller sizes give coarser brush strokes"),
    VKA_PARAM_TYPE_INT, 0, 8192, VKA_STYLE_SIZE_DEFAULT, 16, 128, 0 },
  [VKA_PARAM_CONTENT_SIZE] = {
    "content-size", N_("Resolutio_n"),
    N_("Stylize at this size of the layer's shorter side and scale back "
       "(0 = full resolution)"),
    VKA_PARAM_TYPE_INT, 0, 16384, 0, 16, 128, 0 },
  [VKA_PARAM_STYLE_FILE_2] = {
    "style-file-2", N_("Second st_yle"),
    N_("An optional second style picture, blended with the first"),
    VKA_PARAM_TYPE_FILE, 0, 0, 0, 0, 0, 0 },
  [VKA_PARAM_STYLE_BLEND] = {
    "style-blend", N_("_Blend"),
    N_("Mix of the two styles: 0 is only the first, 1 only the second"),
    VKA_PARAM_TYPE_DOUBLE, 0.0, 1.0, 0.5, 0.01, 0.1, 2 },
  [VKA_PARAM_MEMORY_LIMIT] = {
    "memory-limit", N_("M_emory limit"),
    N_("Memory for a stylisation's working set in MiB, the picture aside (0 = automatic: "
       "a quarter of the free memory, at most 1 GiB, on a CPU; half a GPU's, at most "
       "4 GiB); larger pictures are done in tiles that fit, with the same result"),
    VKA_PARAM_TYPE_INT, 0, 65536, 0, 64, 1024, 0 },
  [VKA_PARAM_DEVICE] = {
    "device", N_("_Device"),
    N_("The Vulkan device or the CPU backend that computes; Automatic picks a GPU first"),
    VKA_PARAM_TYPE_STRING, 0, 0, 0, 0, 0, 0 },
  [VKA_PARAM_MODEL_DIR] = {
    "model-folder", N_("Model _folder"),
    N_("The folder with vgg_normalised.* and decoder.*; empty: $VK_ADAIN_MODELS, the "
       "profile's vk-adain/models, the user data folder, the installed data folder"),
    VKA_PARAM_TYPE_STRING, 0, 0, 0, 0, 0, 0 },
};

const char *const vka_color_mode_labels[VKA_N_COLOR_MODES] = {
  N_("Style colors"),
  N_("Layer colors (color transfer)"),
  N_("Layer colors (lightness only)"),
};

const char *const vka_proc_menu_label = N_("Style Transfer (AdaIN)...");
const char *const vka_proc_menu_path = "<Image>/Filters/Artistic";
const char *const vka_proc_blurb = N_("Paint the layer in the style of a picture");
const char *const vka_proc_help =
  N_("Arbitrary style transfer (AdaIN, Huang and Belongie 2017) on Vulkan: the layer, "
     "or the selection, takes the textures and colors of the style picture. The model "
     "is looked for in $VK_ADAIN_MODELS, the profile's vk-adain/models folder, the user "
     "data folder and the installed data folder.");
const char *const vka_proc_author = "vk-adain developers";
const char *const vka_proc_date = "2025";

void
vka_plugin_settings_init_defaults (VkaPluginSettings *s)
{
  *s = (VkaPluginSettings) {
    .strength = vka_params[VKA_PARAM_STRENGTH].def,
    .color_mode = (int) vka_params[VKA_PARAM_COLOR_MODE].def,
    .style_size = (int) vka_params[VKA_PARAM_STYLE_SIZE].def,
    .content_size = (int) vka_params[VKA_PARAM_CONTENT_SIZE].def,
    .style_blend = vka_params[VKA_PARAM_STYLE_BLEND].def,
  };
}

void
vka_plugin_settings_clear (VkaPluginSettings *s)
{
  g_clear_pointer (&s->style_file, g_free);
  g_clear_pointer (&s->style_file_2, g_free);
  g_clear_pointer (&s->model_dir, g_free);
  g_clear_pointer (&s->device, g_free);
  g_clear_pointer (&s->style_layer, vka_style_layer_free);
}

void
vka_style_layer_free (VkaStyleLayer *layer)
{
  if (!layer)
    return;
  g_free (layer->name);
  g_free (layer->pixels);
  g_free (layer);
}

static gboolean
check_range (VkaParamId id, double value, GError **error)
{
  const VkaParam *p = &vka_params[id];
  if (value >= p->min && value <= p->max)
    return TRUE;
  g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
               _("%s is %g, but must be between %g and %g"), p->name, value, p->min,
               p->max);
  return FALSE;
}

/* 0 (automatic), or at least what one tile needs. */
static gboolean
check_memory_limit (guint64 bytes, GError **error)
{
  guint64 mib = bytes >> 20;
  if (bytes == 0 || (mib >= VKA_MEMORY_LIMIT_MIN_MIB
                     && mib <= vka_params[VKA_PARAM_MEMORY_LIMIT].max))
    return TRUE;
  g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
               _("%s is %.0f MiB, but must be 0 (automatic) or between %d and %g MiB"),
               vka_params[VKA_PARAM_MEMORY_LIMIT].name, (double) mib,
               VKA_MEMORY_LIMIT_MIN_MIB, vka_params[VKA_PARAM_MEMORY_LIMIT].max);
  return FALSE;
}

/* Our own message for a style file that is not there (GIMP 3's own check
 * of an "open" file argument names neither the file nor the cause). */
static gboolean
check_exists (VkaParamId id, const char *path, GError **error)
{
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  g_autofree char *disp = g_filename_display_name (path);
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
               _("The style file %s (argument %s) does not exist"), disp,
               vka_params[id].name);
  return FALSE;
}

gboolean
vka_plugin_settings_check (const VkaPluginSettings *s, GError **error)
{
  if (s->style_layer)
    ;   /* the first style is a layer's pixels */
  else if (!s->style_file || !s->style_file[0])
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                   _("No style picture was given (argument %s)"),
                   vka_params[VKA_PARAM_STYLE_FILE].name);
      return FALSE;
    }
  if ((!s->style_layer && !check_exists (VKA_PARAM_STYLE_FILE, s->style_file, error))
      || (s->style_file_2 && s->style_file_2[0]
          && !check_exists (VKA_PARAM_STYLE_FILE_2, s->style_file_2, error)))
    return FALSE;
  return check_range (VKA_PARAM_STRENGTH, s->strength, error)
      && check_range (VKA_PARAM_COLOR_MODE, s->color_mode, error)
      && check_range (VKA_PARAM_STYLE_SIZE, s->style_size, error)
      && check_range (VKA_PARAM_CONTENT_SIZE, s->content_size, error)
      && check_range (VKA_PARAM_STYLE_BLEND, s->style_blend, error)
      && check_memory_limit (s->memory_limit, error);
}
