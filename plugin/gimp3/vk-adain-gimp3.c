/* vk-adain-gimp3.c — the GIMP 3.0 front-end (libgimp-3.0).
 *
 * plug-in-vk-adain (run-mode, image, drawables, style-file (GFile),
 * strength, color-mode, style-size, content-size, style-file-2 (GFile,
 * optional), style-blend): every argument comes from the common table, the
 * config remembers the last values, GimpProcedureDialog builds the dialog
 * from the same arguments (plus a gallery of the style folders' pictures,
 * file choosers, an open layer as the style, and the device and model
 * folder: aux arguments, saved with the settings but not part of the PDB
 * call).
 * Pixels: the selection's bounds of the drawable are stylised by
 * plugin/common into the shadow buffer, merged with one undo step; on any
 * failure nothing is merged and the procedure returns the error.
 */
#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>
#include <stdlib.h>

#include "vka-plugin.h"
#include "vka-plugin-gallery.h"
#include "vka-plugin-i18n.h"
#include "vka-plugin-widgets.h"

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
  VKA_PARAM_STYLE_BLEND,
};


static GList *
query_procedures (GimpPlugIn *plug_in)
{
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

static void
settings_from_config (VkaPluginSettings *s, GimpProcedureConfig *config, gboolean interactive)
{
  g_autoptr (GFile) style = NULL, style2 = NULL;
  g_object_get (config,
                "style-file", &style,
                "style-file-2", &style2,
                "strength", &s->strength,
                "color-mode", &s->color_mode,
                "style-size", &s->style_size,
                "content-size", &s->content_size,
                "style-blend", &s->style_blend,
                NULL);
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

/* ---- The dialog --------------------------------------------------------------------- */

typedef struct Preview Preview;

struct Preview
{
  GimpProcedureConfig *config;
  GimpDrawable        *drawable;
  gboolean             u8;
  VkaPluginEngine     *engine;   /* kept for the preview: model loaded once */
  GtkWidget           *status;   /* the preview's error, if any */
  GtkWidget           *layers;   /* an open layer as the style, or none */
  GtkWidget           *preview;
  VkaStyleLayer       *layer;    /* its pixels, read when picked */
};

static void
gallery_picked (const char *path, gpointer data)
{
  Preview *p = data;
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_object_set (p->config, "style-file", file, NULL);
  /* A picked picture replaces a layer chosen as the style. */
  gimp_int_combo_box_set_active (GIMP_INT_COMBO_BOX (p->layers), -1);
}

/* An open layer as the style: its pixels are read once, when picked. */
static void
layer_changed (GtkWidget *combo, Preview *p)
{
  gint id = -1;
  gimp_int_combo_box_get_active (GIMP_INT_COMBO_BOX (combo), &id);
  g_clear_pointer (&p->layer, vka_style_layer_free);
  GimpLayer *layer = id > 0 ? gimp_layer_get_by_id (id) : NULL;
  if (layer)
    {
      GimpImage *image = gimp_item_get_image (GIMP_ITEM (layer));
      g_autofree char *image_name = gimp_image_get_name (image);
      g_autofree char *layer_name = gimp_item_get_name (GIMP_ITEM (layer));
      g_autofree char *name = g_strdup_printf ("%s: %s", image_name, layer_name);
      GimpPrecision precision = gimp_image_get_precision (image);
      GeglBuffer *buffer = gimp_drawable_get_buffer (GIMP_DRAWABLE (layer));
      g_autoptr (GError) error = NULL;
      p->layer = vka_plugin_style_layer_read (buffer, name,
                                              precision == GIMP_PRECISION_U8_LINEAR
                                              || precision == GIMP_PRECISION_U8_NON_LINEAR
                                              || precision == GIMP_PRECISION_U8_PERCEPTUAL,
                                              &error);
      g_object_unref (buffer);
      if (error)
        gtk_label_set_text (GTK_LABEL (p->status), error->message);
    }
  gimp_preview_invalidate (GIMP_PREVIEW (p->preview));
}

static void
string_changed (GimpProcedureConfig *config, const char *property, const char *value)
{
  g_object_set (config, property, value, NULL);
}

static void
device_changed (const char *id, gpointer config)
{
  string_changed (config, vka_params[VKA_PARAM_DEVICE].name, id);
}

static void
model_dir_changed (const char *folder, gpointer config)
{
  string_changed (config, vka_params[VKA_PARAM_MODEL_DIR].name, folder);
}

/* A labelled row for a widget the procedure dialog does not make. */
static GtkWidget *
row (VkaParamId id, const char *label_text, GtkWidget *widget)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *label = gtk_label_new_with_mnemonic (label_text);
  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  /* beside the first line of a taller widget (the model folder's) */
  gtk_label_set_yalign (GTK_LABEL (label), id == VKA_PARAM_MODEL_DIR ? 0.15 : 0.5);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), widget);
  gtk_box_pack_start (GTK_BOX (box), label, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (box), widget, TRUE, TRUE, 0);
  if (id < VKA_N_PARAMS)
    gimp_help_set_help_data (widget, _(vka_params[id].blurb), NULL);
  return box;
}

/* A file chooser for a file argument (GIMP_FILE_CHOOSER_ACTION_ANY, for
 * which GimpProcedureDialog makes no widget), bound to the config. */
static GtkWidget *
file_chooser (GimpProcedureConfig *config, VkaParamId id)
{
  const VkaParam *p = &vka_params[id];
  GtkWidget *chooser = gimp_file_chooser_new (GIMP_FILE_CHOOSER_ACTION_OPEN, _(p->label),
                                              _("Choose a style picture"), NULL);
  g_object_bind_property (config, p->name, chooser, "file",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  gimp_help_set_help_data (chooser, _(p->blurb), NULL);
  return chooser;
}


/* The preview stylises the visible part at 1:1 (at the same scale as the
 * whole layer would be with the Resolution setting). */
static void
preview_update (GimpPreview *preview, Preview *p)
{
  VkaPluginSettings s;
  vka_plugin_settings_init_defaults (&s);
  settings_from_config (&s, p->config, TRUE);
  s.style_layer = p->layer;   /* borrowed */
  gint x, y, w, h;
  gimp_preview_get_position (preview, &x, &y);
  gimp_preview_get_size (preview, &w, &h);
  if ((!s.style_file && !s.style_layer) || w < 1 || h < 1)
    {
      gtk_label_set_text (GTK_LABEL (p->status), "");
      s.style_layer = NULL;
      vka_plugin_settings_clear (&s);
      return;
    }
  if (s.content_size > 0)
    {
      double full = MIN (gimp_drawable_get_width (p->drawable),
                         gimp_drawable_get_height (p->drawable));
      s.content_size = MAX (8, (int) (MIN (w, h) * s.content_size / full + 0.5));
    }
  GeglRectangle rect = { x, y, w, h };
  GeglBuffer *src = gimp_drawable_get_buffer (p->drawable);
  g_autoptr (GError) error = NULL;
  int rowstride = 0;
  g_autofree guchar *bytes = vka_plugin_preview_render (p->engine, &s, src, &rect,
                                                        gimp_drawable_is_gray (p->drawable),
                                                        gimp_drawable_has_alpha (p->drawable),
                                                        p->u8, &rowstride, &error);
  g_object_unref (src);
  s.style_layer = NULL;
  vka_plugin_settings_clear (&s);
  gtk_label_set_text (GTK_LABEL (p->status), error ? error->message : "");
  if (bytes)
    gimp_preview_draw_buffer (preview, bytes, rowstride);
}

static gboolean
timeout_cancel (gpointer dialog)
{
  gtk_dialog_response (GTK_DIALOG (dialog), GTK_RESPONSE_CANCEL);
  return G_SOURCE_REMOVE;
}

static gboolean
run_dialog (GimpProcedure *procedure, GimpProcedureConfig *config, GimpDrawable *drawable,
            gboolean u8, VkaStyleLayer **layer)
{
  gimp_ui_init (VKA_PLUGIN_BINARY);
  GtkWidget *dialog = gimp_procedure_dialog_new (procedure, config,
                                                 _("Style Transfer (AdaIN)"));
  GimpProcedureDialog *pd = GIMP_PROCEDURE_DIALOG (dialog);

  GimpIntStore *colors = GIMP_INT_STORE (gimp_int_store_new (_(vka_color_mode_labels[0]), 0,
                                                             _(vka_color_mode_labels[1]), 1,
                                                             _(vka_color_mode_labels[2]), 2,
                                                             NULL));
  gimp_procedure_dialog_get_int_combo (pd, "color-mode", colors);   /* takes the store */
  gimp_procedure_dialog_get_scale_entry (pd, "strength", 1.0);
  /* The second style: our file chooser and the blend slider, folded. */
  GtkWidget *second = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_box_pack_start (GTK_BOX (second), file_chooser (config, VKA_PARAM_STYLE_FILE_2),
                      FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (second),
                      gimp_procedure_dialog_get_scale_entry (pd, "style-blend", 1.0),
                      FALSE, FALSE, 0);
  GtkWidget *expander = gtk_expander_new_with_mnemonic (_("Second st_yle"));
  gtk_container_add (GTK_CONTAINER (expander), second);
  Preview pv = { config, drawable, u8, vka_plugin_engine_new (gimp_directory ()),
                 gtk_label_new (NULL), NULL, NULL, NULL };
  GtkWidget *preview = gimp_procedure_dialog_get_drawable_preview (pd, "preview", drawable);
  pv.preview = preview;
  g_signal_connect (preview, "invalidated", G_CALLBACK (preview_update), &pv);
  g_signal_connect_swapped (config, "notify", G_CALLBACK (gimp_preview_invalidate), preview);
  gimp_procedure_dialog_fill (pd, "preview", "strength", "color-mode", "style-size",
                              "content-size", NULL);

  /* Above the filled arguments: the gallery, the style file and the open
   * layers; below them: the second style, the device and the model. */
  GtkWidget *content = gtk_dialog_get_content_area (GTK_DIALOG (dialog));
  pv.layers = gimp_layer_combo_box_new (NULL, NULL, NULL);
  gimp_int_combo_box_prepend (GIMP_INT_COMBO_BOX (pv.layers),
                              GIMP_INT_STORE_VALUE, -1,
                              GIMP_INT_STORE_LABEL, _("None: the picture above"),
                              -1);
  gimp_int_combo_box_connect (GIMP_INT_COMBO_BOX (pv.layers), -1, G_CALLBACK (layer_changed),
                              &pv, NULL);
  g_autofree char *device = NULL, *model_dir = NULL;
  g_object_get (config, "device", &device, "model-folder", &model_dir, NULL);
  GtkWidget *top[] = {
    vka_plugin_gallery_new (gimp_directory (), gallery_picked, &pv),
    file_chooser (config, VKA_PARAM_STYLE_FILE),
    row (VKA_N_PARAMS, _("Or an open _layer"), pv.layers),
  };
  for (guint i = 0; i < G_N_ELEMENTS (top); i++)
    {
      gtk_box_pack_start (GTK_BOX (content), top[i], i == 0, i == 0, 0);
      gtk_box_reorder_child (GTK_BOX (content), top[i], (int) i);
      gtk_widget_show_all (top[i]);
    }
  gimp_help_set_help_data (pv.layers, _("Use the pixels of a layer of an open image as the "
                                        "style, instead of a picture file"), NULL);
  GtkWidget *bottom[] = {
    expander,
    row (VKA_PARAM_DEVICE, _(vka_params[VKA_PARAM_DEVICE].label),
         vka_plugin_device_combo_new (device, device_changed, config)),
    row (VKA_PARAM_MODEL_DIR, _(vka_params[VKA_PARAM_MODEL_DIR].label),
         vka_plugin_model_chooser_new (gimp_directory (), model_dir, model_dir_changed,
                                       config)),
  };
  for (guint i = 0; i < G_N_ELEMENTS (bottom); i++)
    {
      gtk_box_pack_start (GTK_BOX (content), bottom[i], FALSE, FALSE, 0);
      gtk_widget_show_all (bottom[i]);
    }
  gtk_label_set_line_wrap (GTK_LABEL (pv.status), TRUE);
  gtk_label_set_xalign (GTK_LABEL (pv.status), 0.0);
  gtk_box_pack_end (GTK_BOX (content), pv.status, FALSE, FALSE, 0);
  gtk_widget_show (pv.status);

  const char *timeout = g_getenv ("VKA_PLUGIN_DIALOG_TIMEOUT");
  if (timeout && atoi (timeout) > 0)
    g_timeout_add_seconds (atoi (timeout), timeout_cancel, dialog);

  gboolean ok = gimp_procedure_dialog_run (pd);
  g_signal_handlers_disconnect_by_func (config, G_CALLBACK (gimp_preview_invalidate), preview);
  gtk_widget_destroy (dialog);
  vka_plugin_engine_free (pv.engine);
  if (ok)
    *layer = g_steal_pointer (&pv.layer);
  vka_style_layer_free (pv.layer);
  return ok;
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
      && !run_dialog (procedure, config, drawables[0], u8, &layer))
    return gimp_procedure_new_return_values (procedure, GIMP_PDB_CANCEL, NULL);

  VkaPluginSettings s;
  vka_plugin_settings_init_defaults (&s);
  settings_from_config (&s, config, run_mode != GIMP_RUN_NONINTERACTIVE);
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
