/* vk-adain-gimp3.c — the GIMP 3.0 front-end (libgimp-3.0).
 *
 * plug-in-vk-adain (run-mode, image, drawables, style-file (GFile),
 * strength, color-mode, style-size, content-size, style-file-2 (GFile,
 * optional), style-blend, memory-limit (MiB, 0 = automatic)): every
 * argument comes from the common table, the config remembers the last
 * values, GimpProcedureDialog builds the dialog from the same arguments
 * (plus a gallery of the style folders' pictures, file choosers, an open
 * layer as the style, and the device and model folder: aux arguments,
 * saved with the settings but not part of the PDB call).
 * Pixels: the selection's bounds of the drawable are stylised by
 * plugin/common into the shadow buffer, merged with one undo step; on any
 * failure nothing is merged and the procedure returns the error.
 */
#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>
#include <stdlib.h>

#include "vka-plugin.h"
#include "vka-plugin-dialog3.h"
#include "vka-plugin-i18n.h"

#define VKA_TYPE_PLUG_IN (vka_plug_in_get_type ())
G_DECLARE_FINAL_TYPE (VkaPlugIn, vka_plug_in, VKA, PLUG_IN, GimpPlugIn)

struct _VkaPlugIn
{
  GimpPlugIn parent_instance;
};

G_DEFINE_TYPE (VkaPlugIn, vka_plug_in, GIMP_TYPE_PLUG_IN)

GIMP_MAIN (VKA_TYPE_PLUG_IN)

/* The 3.0 arguments after run-mode, image, drawables: the order. */
static const VkaParamId gimp3_params[] = {
  VKA_PARAM_STYLE_FILE, VKA_PARAM_STRENGTH, VKA_PARAM_COLOR_MODE,
  VKA_PARAM_STYLE_SIZE, VKA_PARAM_CONTENT_SIZE, VKA_PARAM_STYLE_FILE_2,
  VKA_PARAM_STYLE_BLEND, VKA_PARAM_MEMORY_LIMIT,
};


static GList *
query_procedures (GimpPlugIn *plug_in)
{
  /* The Help button's page: help/ next to the plug-in. */
  g_autofree char *self = g_path_get_dirname (gimp_get_progname ());
  g_autofree char *help = g_build_filename (self, "help", NULL);
  g_autoptr (GFile) help_dir = g_file_new_for_path (help);
  gimp_plug_in_set_help_domain (plug_in, VKA_PLUGIN_HELP_DOMAIN, help_dir);
  return g_list_append (NULL, g_strdup (VKA_PLUGIN_PROC));
}

static GimpValueArray *run (GimpProcedure *procedure, GimpRunMode run_mode,
                            GimpImage *image, GimpDrawable **drawables,
                            GimpProcedureConfig *config, gpointer run_data);

static GimpProcedure *
create_procedure (GimpPlugIn *plug_in, const gchar *name)
{
  if (g_strcmp0 (name, VKA_PLUGIN_PROC) != 0)
    return NULL;
  GimpProcedure *procedure = gimp_image_procedure_new (plug_in, name,
                                                       GIMP_PDB_PROC_TYPE_PLUGIN,
                                                       run, NULL, NULL);
  gimp_procedure_set_image_types (procedure, "RGB*, GRAY*");
  gimp_procedure_set_sensitivity_mask (procedure, GIMP_PROCEDURE_SENSITIVE_DRAWABLE);
  gimp_procedure_set_menu_label (procedure, _(vka_proc_menu_label));
  gimp_procedure_add_menu_path (procedure, vka_proc_menu_path);
  gimp_procedure_set_documentation (procedure, _(vka_proc_blurb), _(vka_proc_help), name);
  gimp_procedure_set_attribution (procedure, vka_proc_author, vka_proc_author,
                                  vka_proc_date);

  for (guint i = 0; i < G_N_ELEMENTS (gimp3_params); i++)
    {
      const VkaParam *p = &vka_params[gimp3_params[i]];
      switch (p->type)
        {
        case VKA_PARAM_TYPE_FILE:
          /* Any file: with an "open" file GIMP would refuse a missing one
           * itself, before the plug-in runs, with a message that names
           * neither the file nor the cause; vka_plugin_settings_check
           * names it. GimpProcedureDialog has no widget for such an
           * argument, so the dialog makes its own file chooser. */
          gimp_procedure_add_file_argument (procedure, p->name, _(p->label), _(p->blurb),
                                            GIMP_FILE_CHOOSER_ACTION_ANY, TRUE, NULL,
                                            G_PARAM_READWRITE);
          break;
        case VKA_PARAM_TYPE_DOUBLE:
          gimp_procedure_add_double_argument (procedure, p->name, _(p->label), _(p->blurb),
                                              p->min, p->max, p->def, G_PARAM_READWRITE);
          break;
        case VKA_PARAM_TYPE_STRING:   /* the aux arguments below */
          break;
        case VKA_PARAM_TYPE_INT:
          gimp_procedure_add_int_argument (procedure, p->name, _(p->label), _(p->blurb),
                                           (int) p->min, (int) p->max, (int) p->def,
                                           G_PARAM_READWRITE);
          break;
        }
    }
  /* The dialog's device and model folder: remembered in the config. */
  for (VkaParamId id = VKA_PARAM_DEVICE; id <= VKA_PARAM_MODEL_DIR; id++)
    gimp_procedure_add_string_aux_argument (procedure, vka_params[id].name,
                                            _(vka_params[id].label), _(vka_params[id].blurb),
                                            "", G_PARAM_READWRITE);
  return procedure;
}

static void
vka_plug_in_class_init (VkaPlugInClass *klass)
{
  GimpPlugInClass *plug_in_class = GIMP_PLUG_IN_CLASS (klass);
  plug_in_class->query_procedures = query_procedures;
  plug_in_class->create_procedure = create_procedure;
  /* set_i18n unset: GIMP binds the domain "vk-adain" to the plug-in
   * folder's locale/, where po/meson.build installs the catalogs. */
}

static void
vka_plug_in_init (VkaPlugIn *plug_in)
{
}

/* ---- Settings from the config ------------------------------------------------ */

/* The local path, or for a file with none (a remote URI) its name for
 * the messages: vka_plugin_settings_check then reports it missing. */
static char *
file_path (GFile *file)
{
  if (!file)
    return NULL;
  char *path = g_file_get_path (file);
  return path ? path : g_file_get_parse_name (file);
}

void
vka_plugin3_settings_from_config (VkaPluginSettings *s, GimpProcedureConfig *config,
                                  gboolean interactive)
{
  g_autoptr (GFile) style = NULL, style2 = NULL;
  int memory_mib = 0;
  g_object_get (config,
                "style-file", &style,
                "style-file-2", &style2,
                "strength", &s->strength,
                "color-mode", &s->color_mode,
                "style-size", &s->style_size,
                "content-size", &s->content_size,
                "style-blend", &s->style_blend,
                "memory-limit", &memory_mib,
                NULL);
  s->memory_limit = (guint64) memory_mib << 20;
  /* A non-interactive run picks the device and model as the CLI does
   * ($VK_ADAIN_DEVICE, the model search); the dialog's choices apply to
   * the runs it starts and to runs with the last values. */
  g_clear_pointer (&s->device, g_free);
  g_clear_pointer (&s->model_dir, g_free);
  if (interactive)
    g_object_get (config, "device", &s->device, "model-folder", &s->model_dir, NULL);
  g_free (s->style_file);
  g_free (s->style_file_2);
  s->style_file = file_path (style);
  s->style_file_2 = file_path (style2);
}

/* ---- The run --------------------------------------------------------------------- */

/* Called between tiles, where the core also checks the cancellable: a
 * cancelled run stops there, merges nothing and returns GIMP_PDB_CANCEL
 * (the tests fire it with VKA_PLUGIN_TEST_CANCEL_AFTER). GIMP's own Cancel
 * button (the progress bar's) tells a plug-in nothing: GIMP closes it, a
 * quit message (acted on by libgimp at the next PDB call, such as the
 * progress update below) and SIGKILL 10 ms later, wherever it is. Either
 * way the shadow buffer is never merged, so the image stays as it was. */
static void
progress_cb (double fraction, const char *text, gpointer data)
{
  if (text)
    gimp_progress_set_text (text);
  gimp_progress_update (fraction);
}

static gboolean
stylize_drawable (GimpImage *image, GimpDrawable *drawable, const VkaPluginSettings *s,
                  GError **error)
{
  gint x, y, w, h;
  if (!gimp_drawable_mask_intersect (drawable, &x, &y, &w, &h))
    return TRUE;   /* the selection does not touch this drawable */
  GeglRectangle rect = { x, y, w, h };
  GimpPrecision precision = gimp_image_get_precision (image);
  gboolean u8 = precision == GIMP_PRECISION_U8_LINEAR
             || precision == GIMP_PRECISION_U8_NON_LINEAR
             || precision == GIMP_PRECISION_U8_PERCEPTUAL;

  gimp_progress_init (_("Style transfer"));
  g_autoptr (VkaPluginEngine) engine = vka_plugin_engine_new (gimp_directory ());
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  GeglBuffer *src = gimp_drawable_get_buffer (drawable);
  GeglBuffer *dst = gimp_drawable_get_shadow_buffer (drawable);
  gboolean ok = vka_plugin_stylize_buffer (engine, s, src, dst, &rect,
                                           gimp_drawable_is_gray (drawable),
                                           gimp_drawable_has_alpha (drawable), u8,
                                           progress_cb, NULL, cancellable, error);
  g_object_unref (src);
  if (ok)
    {
      gegl_buffer_flush (dst);
      g_object_unref (dst);
      gimp_drawable_merge_shadow (drawable, TRUE);
      gimp_drawable_update (drawable, x, y, w, h);
    }
  else
    {
      g_object_unref (dst);
      gimp_drawable_free_shadow (drawable);
    }
  gimp_progress_end ();
  return ok;
}

static GimpValueArray *
run (GimpProcedure *procedure, GimpRunMode run_mode, GimpImage *image,
     GimpDrawable **drawables, GimpProcedureConfig *config, gpointer run_data)
{
  GError *error = NULL;
  gegl_init (NULL, NULL);

  if (gimp_core_object_array_get_length ((GObject **) drawables) != 1)
    {
      g_set_error (&error, GIMP_PLUG_IN_ERROR, 0,
                   _("Procedure '%s' works with one layer."), VKA_PLUGIN_PROC);
      return gimp_procedure_new_return_values (procedure, GIMP_PDB_CALLING_ERROR, error);
    }
  GimpPrecision precision = gimp_image_get_precision (image);
  gboolean u8 = precision == GIMP_PRECISION_U8_LINEAR
             || precision == GIMP_PRECISION_U8_NON_LINEAR
             || precision == GIMP_PRECISION_U8_PERCEPTUAL;
  VkaStyleLayer *layer = NULL;
  if (run_mode == GIMP_RUN_INTERACTIVE
      && !vka_plugin_dialog3_run (procedure, config, drawables[0], u8, &layer))
    return gimp_procedure_new_return_values (procedure, GIMP_PDB_CANCEL, NULL);

  VkaPluginSettings s;
  vka_plugin_settings_init_defaults (&s);
  vka_plugin3_settings_from_config (&s, config, run_mode != GIMP_RUN_NONINTERACTIVE);
  s.style_layer = layer;   /* owned by s now */
  GimpPDBStatusType status = GIMP_PDB_SUCCESS;
  if (!vka_plugin_settings_check (&s, &error))
    status = GIMP_PDB_CALLING_ERROR;
  else if (!stylize_drawable (image, drawables[0], &s, &error))
    status = vka_plugin_error_is_cancel (error) ? GIMP_PDB_CANCEL : GIMP_PDB_EXECUTION_ERROR;
  else if (run_mode != GIMP_RUN_NONINTERACTIVE)
    gimp_displays_flush ();
  vka_plugin_settings_clear (&s);
  /* libgimp takes no error with GIMP_PDB_CANCEL. */
  if (status == GIMP_PDB_CANCEL)
    g_clear_error (&error);
  return gimp_procedure_new_return_values (procedure, status, error);
}
