/* params.c — the one table of a stylisation's parameters. */
#include "vka-params.h"
#include "vka.h"
#include "vka-i18n.h"

const VkaParam vka_params[VKA_N_PARAMS] = {
  [VKA_PARAM_STYLE_FILE] = {
    "style-file", N_("Style _picture"),
    N_("The style picture (PNG, JPEG, TIFF, WebP) or a style statistics file"),
    VKA_PARAM_TYPE_FILE, 0, 0, 0, 0, 0, 0, 0 },
  [VKA_PARAM_STRENGTH] = {
    "strength", N_("S_trength"),
    N_("How much of the style to apply: 0 keeps the picture, 1 is full style transfer"),
    VKA_PARAM_TYPE_DOUBLE, 0.0, 1.0, VKA_STRENGTH_DEFAULT, 1.0, 0.01, 0.1, 2 },
  [VKA_PARAM_COLOR_MODE] = {
    "color-mode", N_("Color _mode"),
    N_("Keep the picture's colors: 0 no, 1 color transfer onto the style (CORAL), "
       "2 keep the picture's colors and take only the lightness"),
    VKA_PARAM_TYPE_INT, 0, 2, 0, 2, 1, 1, 0 },
  [VKA_PARAM_STYLE_SIZE] = {
    "style-size", N_("Style si_ze"),
    N_("Resize the style picture so that its shorter side has this many pixels "
       "(0 = as it is); smaller sizes give coarser brush strokes"),
    VKA_PARAM_TYPE_INT, 0, 8192, VKA_STYLE_SIZE_DEFAULT, 2048, 16, 128, 0 },
  [VKA_PARAM_CONTENT_SIZE] = {
    "content-size", N_("Resolutio_n"),
    N_("Stylize at this size of the picture's shorter side and scale back "
       "(0 = full resolution)"),
    VKA_PARAM_TYPE_INT, 0, 16384, 0, 4096, 16, 128, 0 },
  [VKA_PARAM_STYLE_FILE_2] = {
    "style-file-2", N_("Second st_yle"),
    N_("An optional second style picture, blended with the first"),
    VKA_PARAM_TYPE_FILE, 0, 0, 0, 0, 0, 0, 0 },
  [VKA_PARAM_STYLE_BLEND] = {
    "style-blend", N_("_Blend"),
    N_("Mix of the two styles: 0 is only the first, 1 only the second"),
    VKA_PARAM_TYPE_DOUBLE, 0.0, 1.0, 0.5, 1.0, 0.01, 0.1, 2 },
  [VKA_PARAM_MEMORY_LIMIT] = {
    "memory-limit", N_("M_emory limit"),
    N_("Memory for a stylisation's working set in MiB, the picture aside (0 = automatic: "
       "a quarter of the free memory, at most 1 GiB, on a CPU; half a GPU's, at most "
       "4 GiB); larger pictures are done in tiles that fit, with the same result"),
    VKA_PARAM_TYPE_INT, 0, 65536, 0, 8192, 64, 1024, 0 },
  [VKA_PARAM_DEVICE] = {
    "device", N_("_Device"),
    N_("The Vulkan device or the CPU backend that computes; Automatic picks a GPU first"),
    VKA_PARAM_TYPE_STRING, 0, 0, 0, 0, 0, 0, 0 },
  [VKA_PARAM_MODEL_DIR] = {
    "model-folder", N_("Model _folder"),
    N_("The folder with vgg_normalised.* and decoder.*; empty: $VK_ADAIN_MODELS, the "
       "profile's vk-adain/models, the user data folder, the installed data folder"),
    VKA_PARAM_TYPE_STRING, 0, 0, 0, 0, 0, 0, 0 },
};

const char *const vka_color_mode_names[VKA_N_COLOR_MODES] = {
  "style", "coral", "luminance",
};

const char *const vka_color_mode_labels[VKA_N_COLOR_MODES] = {
  N_("Style colors"),
  N_("Layer colors (color transfer)"),
  N_("Layer colors (lightness only)"),
};

const char *
vka_param_plain_label (VkaParamId id)
{
  g_return_val_if_fail (id < VKA_N_PARAMS, NULL);
  GString *plain = g_string_new (NULL);
  for (const char *c = vka_params[id].label; *c; c++)
    if (*c != '_')
      g_string_append_c (plain, *c);
  const char *interned = g_intern_string (plain->str);
  g_string_free (plain, TRUE);
  return interned;
}

gboolean
vka_param_check (VkaParamId id, double value, const char *option_prefix, GError **error)
{
  g_return_val_if_fail (id < VKA_N_PARAMS, FALSE);
  const VkaParam *p = &vka_params[id];
  if (value >= p->min && value <= p->max)
    return TRUE;
  g_autofree char *name = g_strconcat (option_prefix ? option_prefix : "", p->name, NULL);
  g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
               _("%s is %g, but must be between %g and %g"), name, value, p->min, p->max);
  return FALSE;
}

gboolean
vka_param_check_memory_limit (guint64 bytes, const char *option_prefix, GError **error)
{
  const VkaParam *p = &vka_params[VKA_PARAM_MEMORY_LIMIT];
  if (bytes == 0 || (bytes >= (guint64) VKA_MEMORY_LIMIT_MIN_MIB << 20
                     && bytes <= (guint64) p->max << 20))
    return TRUE;
  g_autofree char *name = g_strconcat (option_prefix ? option_prefix : "", p->name, NULL);
  g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
               _("%s is %.0f MiB, but must be 0 (automatic) or between %d and %g MiB"),
               name, (double) (bytes >> 20), VKA_MEMORY_LIMIT_MIN_MIB, p->max);
  return FALSE;
}
