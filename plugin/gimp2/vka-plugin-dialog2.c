/* vka-plugin-dialog2.c — the GIMP 2.10 dialog: a gallery of the style
 * folders' pictures, a file chooser or an open layer as the style, one
 * widget per numeric argument of the common table (strength, colors, style
 * size, resolution), the device, the memory limit and the model folder. */
#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>
#include <stdlib.h>

#include "vka-plugin.h"
#include "vka-plugin-i18n.h"
#include "vka-plugin-dialog2.h"
#include "vka-plugin-gallery.h"
#include "vka-plugin-widgets.h"



typedef struct
{
  VkaPluginSettings *s;
  gint32             drawable_id;
  gboolean           u8;
  VkaPluginEngine   *engine;     /* kept for the preview: model loaded once */
  GtkWidget         *chooser;
  GtkWidget         *layers;     /* an open layer as the style, or none */
  GtkWidget         *ok;
  GtkWidget         *preview;
  GtkWidget         *status;     /* the preview's error, if any */
  gboolean           centred;    /* the preview was moved to the centre */
  gint               centre_x, centre_y;   /* where preview_centre put it */
} Dialog;

static gboolean
model_found (Dialog *d)
{
  g_autofree char *folder = vka_plugin_model_folder (gimp_directory (), d->s->model_dir);
  return folder != NULL;
}

static void
invalidate (Dialog *d)
{
  if (d->preview)
    gimp_preview_invalidate (GIMP_PREVIEW (d->preview));
}

/* The preview stylises the visible part at 1:1 (at the same scale as the
 * whole layer would be with the Resolution setting). */
static void
preview_update (GimpPreview *preview, Dialog *d)
{
  g_autofree char *style = gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (d->chooser));
  gint x, y, w, h;
  gimp_preview_get_position (preview, &x, &y);
  gimp_preview_get_size (preview, &w, &h);
  if (!model_found (d))
    {
      /* The model folder's line names the folders searched. */
      gtk_label_set_text (GTK_LABEL (d->status), vka_plugin_no_model_text ());
      return;
    }
  if ((!style && !d->s->style_layer) || w < 1 || h < 1)
    {
      gtk_label_set_text (GTK_LABEL (d->status), "");
      return;
    }
  VkaPluginSettings s = *d->s;
  s.style_file = style;
  if (d->s->content_size > 0)
    {
      double full = MIN (gimp_drawable_width (d->drawable_id),
                         gimp_drawable_height (d->drawable_id));
      s.content_size = MAX (8, (int) (MIN (w, h) * d->s->content_size / full + 0.5));
    }
  GeglRectangle rect = { x, y, w, h };
  GeglBuffer *src = gimp_drawable_get_buffer (d->drawable_id);
  g_autoptr (GError) error = NULL;
  int rowstride = 0;
  g_autofree guchar *bytes = vka_plugin_preview_render (d->engine, &s, src, &rect,
                                                        gimp_drawable_is_gray (d->drawable_id),
                                                        gimp_drawable_has_alpha (d->drawable_id),
                                                        d->u8, &rowstride, &error);
  g_object_unref (src);
  gtk_label_set_text (GTK_LABEL (d->status), error ? error->message : "");
  if (bytes)
    gimp_preview_draw_buffer (preview, bytes, rowstride);
}

static void
update_ok (Dialog *d)
{
  g_autofree char *path = gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (d->chooser));
  gtk_widget_set_sensitive (d->ok, (path != NULL || d->s->style_layer != NULL)
                                    && model_found (d));
}

/* An open layer as the style: its pixels are read once, when picked. */
static void
layer_changed (GtkWidget *combo, Dialog *d)
{
  gint id = -1;
  gimp_int_combo_box_get_active (GIMP_INT_COMBO_BOX (combo), &id);
  g_clear_pointer (&d->s->style_layer, vka_style_layer_free);
  if (id > 0 && gimp_item_is_valid (id))
    {
      gint32 image = gimp_item_get_image (id);
      GimpPrecision precision = gimp_image_get_precision (image);
      g_autofree char *image_name = gimp_image_get_name (image);
      g_autofree char *layer_name = gimp_item_get_name (id);
      g_autofree char *name = g_strdup_printf ("%s: %s", image_name, layer_name);
      GeglBuffer *buffer = gimp_drawable_get_buffer (id);
      g_autoptr (GError) error = NULL;
      d->s->style_layer = vka_plugin_style_layer_read (buffer, name,
                                                       precision == GIMP_PRECISION_U8_LINEAR
                                                       || precision == GIMP_PRECISION_U8_GAMMA,
                                                       &error);
      g_object_unref (buffer);
      if (error)
        gtk_label_set_text (GTK_LABEL (d->status), error->message);
    }
  update_ok (d);
  invalidate (d);
}

static void
device_changed (const char *id, gpointer data)
{
  Dialog *d = data;
  g_free (d->s->device);
  d->s->device = g_strdup (id);
  invalidate (d);
}

static void
memory_limit_changed (GtkAdjustment *adj, Dialog *d)
{
  d->s->memory_limit = (guint64) gtk_adjustment_get_value (adj) << 20;
}

static void
model_dir_changed (const char *folder, gpointer data)
{
  Dialog *d = data;
  g_free (d->s->model_dir);
  d->s->model_dir = g_strdup (folder);
  update_ok (d);
  invalidate (d);
}

static void
chooser_changed (GtkFileChooser *chooser, Dialog *d)
{
  update_ok (d);
  invalidate (d);
}

static void
gallery_picked (const char *path, gpointer data)
{
  Dialog *d = data;
  gtk_file_chooser_set_filename (GTK_FILE_CHOOSER (d->chooser), path);
  /* A picked picture replaces a layer chosen as the style. */
  gimp_int_combo_box_set_active (GIMP_INT_COMBO_BOX (d->layers), -1);
}

static GtkWidget *
make_chooser (Dialog *d)
{
  GtkWidget *chooser = vka_plugin_style_chooser_new (gimp_directory (),
                                                     _("Choose a style picture"));
  if (d->s->style_file && d->s->style_file[0])
    gtk_file_chooser_set_filename (GTK_FILE_CHOOSER (chooser), d->s->style_file);
  g_signal_connect (chooser, "file-set", G_CALLBACK (chooser_changed), d);
  g_signal_connect (chooser, "selection-changed", G_CALLBACK (chooser_changed), d);
  d->chooser = chooser;
  return chooser;
}

static GtkObject *
scale_row (GtkTable *table, int row, VkaParamId id, double value, double ui_max)
{
  const VkaParam *p = &vka_params[id];
  gboolean constrain = ui_max >= p->max;
  GtkObject *adj = gimp_scale_entry_new (table, 0, row, _(p->label), 200, 6, value,
                                         p->min, constrain ? p->max : ui_max, p->step,
                                         p->page, p->digits, constrain, p->min, p->max,
                                         _(p->blurb), NULL);
  return adj;
}

/* The preview starts on the middle of the layer (or of the selection), not
 * its top-left corner, and stays there while the dialog settles its size
 * (scroll bars come and go) until the user moves it. */
static void
preview_centre (GtkWidget *widget, GtkAllocation *allocation, Dialog *d)
{
  GimpPreview *preview = GIMP_PREVIEW (d->preview);
  gint x = preview->xoff + preview->xmin, y = preview->yoff + preview->ymin;
  if (preview->width < 2 || preview->height < 2
      || (d->centred && (x != d->centre_x || y != d->centre_y)))
    return;
  gimp_scrolled_preview_set_position (GIMP_SCROLLED_PREVIEW (preview),
                                      preview->xmin + (preview->xmax - preview->xmin
                                                       - preview->width) / 2,
                                      preview->ymin + (preview->ymax - preview->ymin
                                                       - preview->height) / 2);
  d->centre_x = preview->xoff + preview->xmin;
  d->centre_y = preview->yoff + preview->ymin;
  d->centred = TRUE;
}

static GtkWidget *
make_preview (Dialog *d)
{
  GtkWidget *preview = gimp_drawable_preview_new_from_drawable_id (d->drawable_id);
  /* The whole preview (the area, its scroll bars and navigation button):
   * GIMP sizes the area itself. */
  int side = 360;
  gtk_widget_set_size_request (preview, MIN (side, gimp_drawable_width (d->drawable_id) + 24),
                               MIN (side, gimp_drawable_height (d->drawable_id) + 48));
  g_signal_connect_after (gimp_preview_get_area (GIMP_PREVIEW (preview)), "size-allocate",
                          G_CALLBACK (preview_centre), d);
  return preview;
}

/* A size in pixels: the scale and "px". */
static GtkObject *
size_row (GtkTable *table, int row, VkaParamId id, double value, double ui_max)
{
  GtkObject *adj = scale_row (table, row, id, value, ui_max);
  GtkWidget *unit = vka_plugin_unit_label_new ();
  gtk_misc_set_alignment (GTK_MISC (unit), 0.0, 0.5);
  gtk_table_attach (table, unit, 3, 4, row, row + 1, GTK_FILL, GTK_FILL, 0, 0);
  return adj;
}

/* The memory limit in MiB: a spin button and "MiB". */
static void
memory_row (GtkTable *table, int row, Dialog *d)
{
  const VkaParam *p = &vka_params[VKA_PARAM_MEMORY_LIMIT];
  GtkObject *adj = gtk_adjustment_new ((double) (d->s->memory_limit >> 20), p->min, p->max,
                                       p->step, p->page, 0);
  GtkWidget *spin = gtk_spin_button_new (GTK_ADJUSTMENT (adj), 1, 0);
  gtk_spin_button_set_numeric (GTK_SPIN_BUTTON (spin), TRUE);
  gimp_help_set_help_data (spin, _(p->blurb), NULL);
  GtkWidget *hbox = gtk_hbox_new (FALSE, 6);
  gtk_box_pack_start (GTK_BOX (hbox), spin, FALSE, FALSE, 0);
  /* TRANSLATORS: the unit after the memory limit */
  gtk_box_pack_start (GTK_BOX (hbox), gtk_label_new (_("MiB")), FALSE, FALSE, 0);
  GtkWidget *label = gimp_table_attach_aligned (table, 0, row, _(p->label), 0.0, 0.5, hbox,
                                                2, TRUE);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), spin);
  g_signal_connect (adj, "value-changed", G_CALLBACK (memory_limit_changed), d);
}

static gboolean
timeout_cancel (gpointer data)
{
  Dialog *d = data;
  GtkWidget *dialog = gtk_widget_get_toplevel (d->ok);
  vka_plugin_dialog_report (dialog, d->ok, d->status);
  GimpPreview *p = GIMP_PREVIEW (d->preview);
  g_printerr ("vka-dialog: preview at %d,%d %dx%d of %d,%d..%d,%d\n", p->xoff + p->xmin,
              p->yoff + p->ymin, p->width, p->height, p->xmin, p->ymin, p->xmax, p->ymax);
  gtk_dialog_response (GTK_DIALOG (dialog), GTK_RESPONSE_CANCEL);
  return G_SOURCE_REMOVE;
}

gboolean
vka_plugin_dialog2_run (VkaPluginSettings *s, gint32 image_id, gint32 drawable_id)
{
  gimp_ui_init (VKA_PLUGIN_BINARY, FALSE);
  GimpPrecision precision = gimp_image_get_precision (image_id);
  Dialog d = { .s = s, .drawable_id = drawable_id,
               .u8 = precision == GIMP_PRECISION_U8_LINEAR
                     || precision == GIMP_PRECISION_U8_GAMMA,
               .engine = vka_plugin_engine_new (gimp_directory ()) };

  GtkWidget *dialog = gimp_dialog_new (_("Style Transfer (AdaIN)"), VKA_PLUGIN_ROLE,
                                       NULL, 0, gimp_standard_help_func, VKA_PLUGIN_PROC,
                                       _("_Cancel"), GTK_RESPONSE_CANCEL,
                                       _("_OK"), GTK_RESPONSE_OK,
                                       NULL);
  gtk_dialog_set_alternative_button_order (GTK_DIALOG (dialog), GTK_RESPONSE_OK,
                                           GTK_RESPONSE_CANCEL, -1);
  d.ok = gtk_dialog_get_widget_for_response (GTK_DIALOG (dialog), GTK_RESPONSE_OK);
  gimp_window_set_transient (GTK_WINDOW (dialog));

  GtkWidget *hbox_main = gtk_hbox_new (FALSE, 12);
  gtk_container_set_border_width (GTK_CONTAINER (hbox_main), 12);
  gtk_box_pack_start (GTK_BOX (gtk_dialog_get_content_area (GTK_DIALOG (dialog))),
                      hbox_main, TRUE, TRUE, 0);
  GtkWidget *pbox = gtk_vbox_new (FALSE, 6);
  gtk_box_pack_start (GTK_BOX (hbox_main), pbox, FALSE, FALSE, 0);
  d.preview = make_preview (&d);
  gtk_box_pack_start (GTK_BOX (pbox), d.preview, FALSE, FALSE, 0);
  d.status = gtk_label_new (NULL);
  gtk_label_set_line_wrap (GTK_LABEL (d.status), TRUE);
  gtk_widget_set_size_request (d.status, 320, -1);
  gtk_box_pack_start (GTK_BOX (pbox), d.status, FALSE, FALSE, 0);
  g_signal_connect (d.preview, "invalidated", G_CALLBACK (preview_update), &d);

  GtkWidget *vbox = gtk_vbox_new (FALSE, 12);
  gtk_box_pack_start (GTK_BOX (hbox_main), vbox, TRUE, TRUE, 0);

  GtkWidget *frame = gimp_frame_new (_("Style picture"));
  gtk_box_pack_start (GTK_BOX (vbox), frame, TRUE, TRUE, 0);
  GtkWidget *fbox = gtk_vbox_new (FALSE, 6);
  gtk_container_add (GTK_CONTAINER (frame), fbox);
  gtk_box_pack_start (GTK_BOX (fbox),
                      vka_plugin_gallery_new (gimp_directory (), gallery_picked, &d),
                      TRUE, TRUE, 0);
  GtkWidget *hbox = gtk_hbox_new (FALSE, 6);
  gtk_box_pack_start (GTK_BOX (fbox), hbox, FALSE, FALSE, 0);
  GtkWidget *label = gtk_label_new_with_mnemonic (_(vka_params[VKA_PARAM_STYLE_FILE].label));
  gtk_box_pack_start (GTK_BOX (hbox), label, FALSE, FALSE, 0);
  GtkWidget *chooser = make_chooser (&d);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), chooser);
  gtk_box_pack_start (GTK_BOX (hbox), chooser, TRUE, TRUE, 0);
  hbox = gtk_hbox_new (FALSE, 6);
  gtk_box_pack_start (GTK_BOX (fbox), hbox, FALSE, FALSE, 0);
  label = gtk_label_new_with_mnemonic (_("Or an open _layer"));
  gtk_box_pack_start (GTK_BOX (hbox), label, FALSE, FALSE, 0);
  d.layers = gimp_layer_combo_box_new (NULL, NULL);
  gimp_int_combo_box_prepend (GIMP_INT_COMBO_BOX (d.layers),
                              GIMP_INT_STORE_VALUE, -1,
                              GIMP_INT_STORE_LABEL, _("None: the picture above"),
                              -1);
  gimp_int_combo_box_connect (GIMP_INT_COMBO_BOX (d.layers), -1, G_CALLBACK (layer_changed),
                              &d);
  gimp_help_set_help_data (d.layers, _("Use the pixels of a layer of an open image as "
                                       "the style, instead of a picture file"), NULL);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), d.layers);
  gtk_box_pack_start (GTK_BOX (hbox), d.layers, TRUE, TRUE, 0);

  GtkWidget *table = gtk_table_new (7, 4, FALSE);
  gtk_table_set_col_spacings (GTK_TABLE (table), 6);
  gtk_table_set_row_spacings (GTK_TABLE (table), 6);
  gtk_box_pack_start (GTK_BOX (vbox), table, FALSE, FALSE, 0);

  GtkObject *strength = scale_row (GTK_TABLE (table), 0, VKA_PARAM_STRENGTH, s->strength, 1);
  g_signal_connect (strength, "value-changed", G_CALLBACK (gimp_double_adjustment_update),
                    &s->strength);

  GtkWidget *combo = gimp_int_combo_box_new (_(vka_color_mode_labels[0]), 0,
                                             _(vka_color_mode_labels[1]), 1,
                                             _(vka_color_mode_labels[2]), 2, NULL);
  gimp_int_combo_box_connect (GIMP_INT_COMBO_BOX (combo), s->color_mode,
                              G_CALLBACK (gimp_int_combo_box_get_active), &s->color_mode);
  gimp_table_attach_aligned (GTK_TABLE (table), 0, 1,
                             _(vka_params[VKA_PARAM_COLOR_MODE].label), 0.0, 0.5,
                             combo, 2, FALSE);
  gimp_help_set_help_data (combo, _(vka_params[VKA_PARAM_COLOR_MODE].blurb), NULL);

  GtkObject *style_size = size_row (GTK_TABLE (table), 2, VKA_PARAM_STYLE_SIZE,
                                    s->style_size, 2048);
  g_signal_connect (style_size, "value-changed", G_CALLBACK (gimp_int_adjustment_update),
                    &s->style_size);
  GtkObject *content_size = size_row (GTK_TABLE (table), 3, VKA_PARAM_CONTENT_SIZE,
                                      s->content_size, 4096);
  g_signal_connect (content_size, "value-changed", G_CALLBACK (gimp_int_adjustment_update),
                    &s->content_size);

  GtkWidget *device = vka_plugin_device_combo_new (s->device, device_changed, &d);
  gimp_table_attach_aligned (GTK_TABLE (table), 0, 4, _(vka_params[VKA_PARAM_DEVICE].label),
                             0.0, 0.5, device, 2, FALSE);
  gimp_help_set_help_data (device, _(vka_params[VKA_PARAM_DEVICE].blurb), NULL);
  memory_row (GTK_TABLE (table), 5, &d);
  GtkWidget *model = vka_plugin_model_chooser_new (gimp_directory (), s->model_dir,
                                                   model_dir_changed, &d);
  gimp_table_attach_aligned (GTK_TABLE (table), 0, 6,
                             _(vka_params[VKA_PARAM_MODEL_DIR].label), 0.0, 0.0, model, 2,
                             FALSE);

  g_signal_connect_swapped (strength, "value-changed", G_CALLBACK (invalidate), &d);
  g_signal_connect_swapped (combo, "changed", G_CALLBACK (invalidate), &d);
  g_signal_connect_swapped (style_size, "value-changed", G_CALLBACK (invalidate), &d);
  g_signal_connect_swapped (content_size, "value-changed", G_CALLBACK (invalidate), &d);

  update_ok (&d);
  gtk_widget_show_all (dialog);

  const char *timeout = g_getenv ("VKA_PLUGIN_DIALOG_TIMEOUT");
  if (timeout && atoi (timeout) > 0)
    g_timeout_add_seconds (atoi (timeout), timeout_cancel, &d);

  gboolean run = gimp_dialog_run (GIMP_DIALOG (dialog)) == GTK_RESPONSE_OK;
  if (run)
    {
      g_free (s->style_file);
      s->style_file = gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (d.chooser));
    }
  gtk_widget_destroy (dialog);
  vka_plugin_engine_free (d.engine);
  if (!run)
    g_clear_pointer (&s->style_layer, vka_style_layer_free);
  return run && (s->style_file || s->style_layer);
}
