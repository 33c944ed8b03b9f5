/* vka-plugin-dialog3.c — the GIMP 3.0 dialog, in two columns: the preview
 * and its status line on the left; on the right the style (a gallery of
 * the style folders' pictures, a file chooser, or an open layer), the
 * procedure's arguments as GimpProcedureDialog makes them, the second
 * style and its blend, the device, the memory limit and the model folder.
 * OK needs a style
 * and a model. */
#include <libgimp/gimpui.h>
#include <stdlib.h>

#include "vka-plugin-dialog3.h"
#include "vka-plugin-gallery.h"
#include "vka-plugin-i18n.h"
#include "vka-plugin-widgets.h"

#define PREVIEW_SIDE 360

typedef struct
{
  GimpProcedureConfig *config;
  GimpDrawable        *drawable;
  gboolean             u8;
  VkaPluginEngine     *engine;   /* kept for the preview: model loaded once */
  GtkWidget           *status;   /* the preview's message, if any */
  GtkWidget           *layers;   /* an open layer as the style, or none */
  GtkWidget           *preview;
  GtkWidget           *ok;
  GtkWidget           *blend;    /* sensitive only with a second style */
  GtkWidget           *choosers[2];
  VkaStyleLayer       *layer;    /* its pixels, read when picked */
  gboolean             centred;
  gint                 centre_x, centre_y;   /* where preview_centre put it */
} Dialog;

static gboolean
model_found (Dialog *d)
{
  g_autofree char *model_dir = NULL;
  g_object_get (d->config, "model-folder", &model_dir, NULL);
  g_autofree char *folder = vka_plugin_model_folder (gimp_directory (), model_dir);
  return folder != NULL;
}

static gboolean
has_file (Dialog *d, VkaParamId id)
{
  g_autoptr (GFile) file = NULL;
  g_object_get (d->config, vka_params[id].name, &file, NULL);
  return file != NULL;
}

/* Also called while the dialog is being built (the layer combo reports its
 * first choice at once): widgets not made yet are left alone. */
static void
update_sensitivity (Dialog *d)
{
  if (d->ok)
    gtk_widget_set_sensitive (d->ok, (has_file (d, VKA_PARAM_STYLE_FILE) || d->layer)
                                     && model_found (d));
  if (d->blend)
    gtk_widget_set_sensitive (d->blend, has_file (d, VKA_PARAM_STYLE_FILE_2));
}

static void
gallery_picked (const char *path, gpointer data)
{
  Dialog *d = data;
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_object_set (d->config, "style-file", file, NULL);
  /* A picked picture replaces a layer chosen as the style. */
  gimp_int_combo_box_set_active (GIMP_INT_COMBO_BOX (d->layers), -1);
}

/* An open layer as the style: its pixels are read once, when picked. */
static void
layer_changed (GtkWidget *combo, Dialog *d)
{
  gint id = -1;
  gimp_int_combo_box_get_active (GIMP_INT_COMBO_BOX (combo), &id);
  g_clear_pointer (&d->layer, vka_style_layer_free);
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
      d->layer = vka_plugin_style_layer_read (buffer, name,
                                              precision == GIMP_PRECISION_U8_LINEAR
                                              || precision == GIMP_PRECISION_U8_NON_LINEAR
                                              || precision == GIMP_PRECISION_U8_PERCEPTUAL,
                                              &error);
      g_object_unref (buffer);
      if (error)
        gtk_label_set_text (GTK_LABEL (d->status), error->message);
    }
  update_sensitivity (d);
  gimp_preview_invalidate (GIMP_PREVIEW (d->preview));
}

static void
device_changed (const char *id, gpointer data)
{
  Dialog *d = data;
  g_object_set (d->config, vka_params[VKA_PARAM_DEVICE].name, id, NULL);
}

static void
model_dir_changed (const char *folder, gpointer data)
{
  Dialog *d = data;
  g_object_set (d->config, vka_params[VKA_PARAM_MODEL_DIR].name, folder, NULL);
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

/* ---- The style file choosers ----------------------------------------------------- */

static void
chooser_file_set (GtkFileChooser *chooser, Dialog *d)
{
  VkaParamId id = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (chooser), "vka-param"));
  g_autoptr (GFile) file = gtk_file_chooser_get_file (chooser);
  g_object_set (d->config, vka_params[id].name, file, NULL);
}

/* The config's file into the chooser (a gallery pick, the last values). */
static void
chooser_show (Dialog *d, VkaParamId id)
{
  GtkFileChooser *chooser = GTK_FILE_CHOOSER (d->choosers[id == VKA_PARAM_STYLE_FILE_2]);
  g_autoptr (GFile) file = NULL;
  g_object_get (d->config, vka_params[id].name, &file, NULL);
  g_autoptr (GFile) shown = gtk_file_chooser_get_file (chooser);
  if (file && !(shown && g_file_equal (file, shown)))
    gtk_file_chooser_set_file (chooser, file, NULL);
  else if (!file && shown)
    gtk_file_chooser_unselect_all (chooser);
}

static void
config_changed (GimpProcedureConfig *config, GParamSpec *pspec, Dialog *d)
{
  if (g_strcmp0 (pspec->name, vka_params[VKA_PARAM_STYLE_FILE].name) == 0)
    chooser_show (d, VKA_PARAM_STYLE_FILE);
  else if (g_strcmp0 (pspec->name, vka_params[VKA_PARAM_STYLE_FILE_2].name) == 0)
    chooser_show (d, VKA_PARAM_STYLE_FILE_2);
  update_sensitivity (d);
  gimp_preview_invalidate (GIMP_PREVIEW (d->preview));
}

static GtkWidget *
style_chooser (Dialog *d, VkaParamId id)
{
  GtkWidget *chooser = vka_plugin_style_chooser_new (gimp_directory (),
                                                     _("Choose a style picture"));
  g_object_set_data (G_OBJECT (chooser), "vka-param", GINT_TO_POINTER (id));
  gimp_help_set_help_data (chooser, _(vka_params[id].blurb), NULL);
  d->choosers[id == VKA_PARAM_STYLE_FILE_2] = chooser;
  chooser_show (d, id);
  g_signal_connect (chooser, "file-set", G_CALLBACK (chooser_file_set), d);
  return chooser;
}

static void
second_clear (GtkButton *button, Dialog *d)
{
  g_object_set (d->config, vka_params[VKA_PARAM_STYLE_FILE_2].name, NULL, NULL);
}

/* The second style's chooser, a button to go back to none, and the blend. */
static GtkWidget *
second_style (Dialog *d, GimpProcedureDialog *pd)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *line = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_box_pack_start (GTK_BOX (line), style_chooser (d, VKA_PARAM_STYLE_FILE_2), TRUE, TRUE,
                      0);
  GtkWidget *clear = gtk_button_new_with_mnemonic (_("_None"));
  gimp_help_set_help_data (clear, _("No second style"), NULL);
  g_signal_connect (clear, "clicked", G_CALLBACK (second_clear), d);
  gtk_box_pack_start (GTK_BOX (line), clear, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (box), line, FALSE, FALSE, 0);
  d->blend = gimp_procedure_dialog_get_scale_entry (pd, "style-blend", 1.0);
  gtk_box_pack_start (GTK_BOX (box), d->blend, FALSE, FALSE, 0);
  GtkWidget *expander = gtk_expander_new_with_mnemonic (_("Second st_yle"));
  gtk_expander_set_expanded (GTK_EXPANDER (expander), has_file (d, VKA_PARAM_STYLE_FILE_2));
  gtk_container_add (GTK_CONTAINER (expander), box);
  return expander;
}

/* ---- The preview -------------------------------------------------------------------- */

/* The preview stylises the visible part at 1:1 (at the same scale as the
 * whole layer would be with the Resolution setting). */
static void
preview_update (GimpPreview *preview, Dialog *d)
{
  if (!model_found (d))
    {
      /* The model folder's line names the folders searched. */
      gtk_label_set_text (GTK_LABEL (d->status), vka_plugin_no_model_text ());
      return;
    }
  VkaPluginSettings s;
  vka_plugin_settings_init_defaults (&s);
  vka_plugin3_settings_from_config (&s, d->config, TRUE);
  s.style_layer = d->layer;   /* borrowed */
  gint x, y, w, h;
  gimp_preview_get_position (preview, &x, &y);
  gimp_preview_get_size (preview, &w, &h);
  if ((!s.style_file && !s.style_layer) || w < 1 || h < 1)
    {
      gtk_label_set_text (GTK_LABEL (d->status), "");
      s.style_layer = NULL;
      vka_plugin_settings_clear (&s);
      return;
    }
  if (s.content_size > 0)
    {
      double full = MIN (gimp_drawable_get_width (d->drawable),
                         gimp_drawable_get_height (d->drawable));
      s.content_size = MAX (8, (int) (MIN (w, h) * s.content_size / full + 0.5));
    }
  GeglRectangle rect = { x, y, w, h };
  GeglBuffer *src = gimp_drawable_get_buffer (d->drawable);
  g_autoptr (GError) error = NULL;
  int rowstride = 0;
  g_autofree guchar *bytes = vka_plugin_preview_render (d->engine, &s, src, &rect,
                                                        gimp_drawable_is_gray (d->drawable),
                                                        gimp_drawable_has_alpha (d->drawable),
                                                        d->u8, &rowstride, &error);
  g_object_unref (src);
  s.style_layer = NULL;
  vka_plugin_settings_clear (&s);
  gtk_label_set_text (GTK_LABEL (d->status), error ? error->message : "");
  if (bytes)
    gimp_preview_draw_buffer (preview, bytes, rowstride);
}

/* The preview starts on the middle of the layer (or of the selection), not
 * its top-left corner, and stays there while the dialog settles its size
 * (scroll bars come and go) until the user moves it. */
static void
preview_centre (GtkWidget *area, GtkAllocation *allocation, Dialog *d)
{
  GimpPreview *preview = GIMP_PREVIEW (d->preview);
  gint x, y, w, h, xmin, ymin, xmax, ymax;
  gimp_preview_get_position (preview, &x, &y);
  gimp_preview_get_size (preview, &w, &h);
  gimp_preview_get_bounds (preview, &xmin, &ymin, &xmax, &ymax);
  if (w < 2 || h < 2 || (d->centred && (x != d->centre_x || y != d->centre_y)))
    return;
  gimp_scrolled_preview_set_position (GIMP_SCROLLED_PREVIEW (preview),
                                      xmin + (xmax - xmin - w) / 2,
                                      ymin + (ymax - ymin - h) / 2);
  gimp_preview_get_position (preview, &d->centre_x, &d->centre_y);
  d->centred = TRUE;
}

static void
make_preview (Dialog *d, GimpProcedureDialog *pd)
{
  d->preview = gimp_procedure_dialog_get_drawable_preview (pd, "preview", d->drawable);
  /* The whole preview (the area, its scroll bars and navigation button):
   * GIMP sizes the area itself. */
  gtk_widget_set_size_request (d->preview,
                               MIN (PREVIEW_SIDE, gimp_drawable_get_width (d->drawable) + 24),
                               MIN (PREVIEW_SIDE, gimp_drawable_get_height (d->drawable) + 48));
  g_signal_connect_after (gimp_preview_get_area (GIMP_PREVIEW (d->preview)), "size-allocate",
                          G_CALLBACK (preview_centre), d);
  g_signal_connect (d->preview, "invalidated", G_CALLBACK (preview_update), d);
}

/* ---- The dialog ---------------------------------------------------------------------- */

/* A size argument with "px" after it, as one box the dialog knows by id. */
static void
size_with_unit (GimpProcedureDialog *pd, const char *property, double ui_max)
{
  GtkWidget *scale = gimp_procedure_dialog_get_scale_entry (pd, property, 1.0);
  gimp_scale_entry_set_bounds (GIMP_SCALE_ENTRY (scale), 0, ui_max, FALSE);
  g_autofree char *unit_id = g_strconcat (property, "-unit", NULL);
  g_autofree char *box_id = g_strconcat (property, "-box", NULL);
  /* TRANSLATORS: the unit after a size in pixels */
  gimp_procedure_dialog_get_label (pd, unit_id, _("px"), FALSE, FALSE);
  GtkWidget *box = gimp_procedure_dialog_fill_box (pd, box_id, property, unit_id, NULL);
  gtk_orientable_set_orientation (GTK_ORIENTABLE (box), GTK_ORIENTATION_HORIZONTAL);
  gtk_box_set_child_packing (GTK_BOX (box), scale, TRUE, TRUE, 0, GTK_PACK_START);
}

/* The memory limit's spin button with "MiB" after it. */
static GtkWidget *
memory_limit_box (GimpProcedureDialog *pd)
{
  const char *property = vka_params[VKA_PARAM_MEMORY_LIMIT].name;
  gimp_procedure_dialog_get_widget (pd, property, GIMP_TYPE_LABEL_SPIN);
  /* TRANSLATORS: the unit after the memory limit */
  gimp_procedure_dialog_get_label (pd, "memory-limit-unit", _("MiB"), FALSE, FALSE);
  GtkWidget *box = gimp_procedure_dialog_fill_box (pd, "memory-limit-box", property,
                                                   "memory-limit-unit", NULL);
  gtk_orientable_set_orientation (GTK_ORIENTABLE (box), GTK_ORIENTATION_HORIZONTAL);
  gtk_box_set_spacing (GTK_BOX (box), 6);
  return box;
}

/* The right column: the style on top, then the procedure's arguments, then
 * the second style, the device and the memory limit, and the model. */
static void
fill_settings (Dialog *d, GimpProcedureDialog *pd)
{
  GimpIntStore *colors = GIMP_INT_STORE (gimp_int_store_new (_(vka_color_mode_labels[0]), 0,
                                                             _(vka_color_mode_labels[1]), 1,
                                                             _(vka_color_mode_labels[2]), 2,
                                                             NULL));
  gimp_procedure_dialog_get_int_combo (pd, "color-mode", colors);   /* takes the store */
  gimp_procedure_dialog_get_scale_entry (pd, "strength", 1.0);
  size_with_unit (pd, "style-size", 2048);
  size_with_unit (pd, "content-size", 4096);
  GtkWidget *settings = gimp_procedure_dialog_fill_box (pd, "settings", "strength",
                                                        "color-mode", "style-size-box",
                                                        "content-size-box", NULL);
  gtk_box_set_spacing (GTK_BOX (settings), 6);

  d->layers = gimp_layer_combo_box_new (NULL, NULL, NULL);
  gimp_int_combo_box_prepend (GIMP_INT_COMBO_BOX (d->layers),
                              GIMP_INT_STORE_VALUE, -1,
                              GIMP_INT_STORE_LABEL, _("None: the picture above"),
                              -1);
  gimp_int_combo_box_connect (GIMP_INT_COMBO_BOX (d->layers), -1, G_CALLBACK (layer_changed),
                              d, NULL);
  gimp_help_set_help_data (d->layers, _("Use the pixels of a layer of an open image as the "
                                        "style, instead of a picture file"), NULL);
  GtkWidget *top[] = {
    vka_plugin_gallery_new (gimp_directory (), gallery_picked, d),
    row (VKA_PARAM_STYLE_FILE, _(vka_params[VKA_PARAM_STYLE_FILE].label),
         style_chooser (d, VKA_PARAM_STYLE_FILE)),
    row (VKA_N_PARAMS, _("Or an open _layer"), d->layers),
  };
  for (guint i = 0; i < G_N_ELEMENTS (top); i++)
    {
      gtk_box_pack_start (GTK_BOX (settings), top[i], i == 0, i == 0, 0);
      gtk_box_reorder_child (GTK_BOX (settings), top[i], (int) i);
      gtk_widget_show_all (top[i]);
    }
  g_autofree char *device = NULL, *model_dir = NULL;
  g_object_get (d->config, "device", &device, "model-folder", &model_dir, NULL);
  /* The memory limit beside the device: a row more would make the dialog
   * without a model taller than a 768-pixel screen. */
  GtkWidget *device_row = row (VKA_PARAM_DEVICE, _(vka_params[VKA_PARAM_DEVICE].label),
                               vka_plugin_device_combo_new (device, device_changed, d));
  gtk_box_pack_start (GTK_BOX (device_row), memory_limit_box (pd), FALSE, FALSE, 6);
  GtkWidget *bottom[] = {
    second_style (d, pd),
    device_row,
    row (VKA_PARAM_MODEL_DIR, _(vka_params[VKA_PARAM_MODEL_DIR].label),
         vka_plugin_model_chooser_new (gimp_directory (), model_dir, model_dir_changed, d)),
  };
  for (guint i = 0; i < G_N_ELEMENTS (bottom); i++)
    {
      gtk_box_pack_start (GTK_BOX (settings), bottom[i], FALSE, FALSE, 0);
      gtk_widget_show_all (bottom[i]);
    }
}

static gboolean
timeout_cancel (gpointer data)
{
  Dialog *d = data;
  GtkWidget *dialog = gtk_widget_get_toplevel (d->ok);
  vka_plugin_dialog_report (dialog, d->ok, d->status);
  GimpPreview *preview = GIMP_PREVIEW (d->preview);
  gint x, y, w, h, xmin, ymin, xmax, ymax;
  gimp_preview_get_position (preview, &x, &y);
  gimp_preview_get_size (preview, &w, &h);
  gimp_preview_get_bounds (preview, &xmin, &ymin, &xmax, &ymax);
  g_printerr ("vka-dialog: preview at %d,%d %dx%d of %d,%d..%d,%d\n", x, y, w, h, xmin, ymin,
              xmax, ymax);
  g_printerr ("vka-dialog: blend sensitive %d\n", gtk_widget_is_sensitive (d->blend));
  gtk_dialog_response (GTK_DIALOG (dialog), GTK_RESPONSE_CANCEL);
  return G_SOURCE_REMOVE;
}

gboolean
vka_plugin_dialog3_run (GimpProcedure *procedure, GimpProcedureConfig *config,
                        GimpDrawable *drawable, gboolean u8, VkaStyleLayer **layer)
{
  gimp_ui_init (VKA_PLUGIN_BINARY);
  GtkWidget *dialog = gimp_procedure_dialog_new (procedure, config,
                                                 _("Style Transfer (AdaIN)"));
  GimpProcedureDialog *pd = GIMP_PROCEDURE_DIALOG (dialog);
  Dialog d = { .config = config, .drawable = drawable, .u8 = u8,
               .engine = vka_plugin_engine_new (gimp_directory ()),
               .status = gtk_label_new (NULL) };
  gtk_label_set_line_wrap (GTK_LABEL (d.status), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (d.status), 40);
  gtk_label_set_xalign (GTK_LABEL (d.status), 0.0);
  d.ok = gtk_dialog_get_widget_for_response (GTK_DIALOG (dialog), GTK_RESPONSE_OK);

  make_preview (&d, pd);
  GtkWidget *left = gimp_procedure_dialog_fill_box (pd, "preview-column", "preview", NULL);
  gtk_box_pack_start (GTK_BOX (left), d.status, FALSE, FALSE, 0);
  gtk_widget_show (d.status);
  fill_settings (&d, pd);
  GtkWidget *columns = gimp_procedure_dialog_fill_box (pd, "columns", "preview-column",
                                                       "settings", NULL);
  gtk_orientable_set_orientation (GTK_ORIENTABLE (columns), GTK_ORIENTATION_HORIZONTAL);
  gtk_box_set_spacing (GTK_BOX (columns), 12);
  gimp_procedure_dialog_fill (pd, "columns", NULL);

  g_signal_connect (config, "notify", G_CALLBACK (config_changed), &d);
  update_sensitivity (&d);
  const char *timeout = g_getenv ("VKA_PLUGIN_DIALOG_TIMEOUT");
  if (timeout && atoi (timeout) > 0)
    g_timeout_add_seconds (atoi (timeout), timeout_cancel, &d);

  gboolean ok = gimp_procedure_dialog_run (pd);
  g_signal_handlers_disconnect_by_func (config, G_CALLBACK (config_changed), &d);
  gtk_widget_destroy (dialog);
  vka_plugin_engine_free (d.engine);
  if (ok)
    *layer = g_steal_pointer (&d.layer);
  vka_style_layer_free (d.layer);
  return ok;
}
