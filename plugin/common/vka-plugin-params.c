/* vka-plugin-params.c — the procedure's texts and the settings' checks. */
#include "vka-plugin-params.h"
#include "vka-plugin-i18n.h"
#include "vka.h"

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
  return vka_param_check (VKA_PARAM_STRENGTH, s->strength, "", error)
      && vka_param_check (VKA_PARAM_COLOR_MODE, s->color_mode, "", error)
      && vka_param_check (VKA_PARAM_STYLE_SIZE, s->style_size, "", error)
      && vka_param_check (VKA_PARAM_CONTENT_SIZE, s->content_size, "", error)
      && vka_param_check (VKA_PARAM_STYLE_BLEND, s->style_blend, "", error)
      && vka_param_check_memory_limit (s->memory_limit, "", error);
}
