/* vka-plugin-widgets.c — device and model folder widgets (see the header). */
#include "vka-plugin-widgets.h"
#include "vka-plugin.h"
#include "vka-plugin-i18n.h"
#include "vka-imageio.h"

#include <string.h>

typedef struct
{
  VkaPluginStringChanged changed;
  gpointer               user_data;
  char                  *profile_dir;
  GtkWidget             *chooser;   /* model folder */
  GtkWidget             *label;     /* where the model is found */
} Callback;

static void
callback_free (gpointer data)
{
  Callback *cb = data;
  g_free (cb->profile_dir);
  g_free (cb);
}

static Callback *
callback_new (GtkWidget *owner, VkaPluginStringChanged changed, gpointer user_data,
              const char *profile_dir)
{
  Callback *cb = g_new0 (Callback, 1);
  *cb = (Callback) { changed, user_data, g_strdup (profile_dir), NULL, NULL };
  g_object_set_data_full (G_OBJECT (owner), "vka-callback", cb, callback_free);
  return cb;
}

static GtkWidget *
box_new (gboolean vertical, int spacing)
{
#if GTK_CHECK_VERSION (3, 0, 0)
  return gtk_box_new (vertical ? GTK_ORIENTATION_VERTICAL : GTK_ORIENTATION_HORIZONTAL,
                      spacing);
#else
  return vertical ? gtk_vbox_new (FALSE, spacing) : gtk_hbox_new (FALSE, spacing);
#endif
}

GtkWidget *
vka_plugin_label_new (const char *text)
{
  GtkWidget *label = gtk_label_new (text);
  gtk_label_set_line_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
#if GTK_CHECK_VERSION (3, 16, 0)
  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 50);
  gtk_label_set_width_chars (GTK_LABEL (label), 30);
#else
  gtk_misc_set_alignment (GTK_MISC (label), 0.0, 0.5);
  gtk_widget_set_size_request (label, 320, -1);
#endif
  return label;
}

const char *
vka_plugin_no_model_text (void)
{
  return _("No style model is installed — see Help");
}

GtkWidget *
vka_plugin_unit_label_new (void)
{
  /* TRANSLATORS: the unit after a size in pixels */
  return gtk_label_new (_("px"));
}

/* ---- Style file chooser ------------------------------------------------------------ */

#define CHOOSER_PREVIEW_SIZE 192

static void
style_preview_update (GtkFileChooser *chooser, GtkWidget *image)
{
  g_autofree char *path = gtk_file_chooser_get_preview_filename (chooser);
  GdkPixbuf *pix = path && g_file_test (path, G_FILE_TEST_IS_REGULAR)
    ? gdk_pixbuf_new_from_file_at_size (path, CHOOSER_PREVIEW_SIZE, CHOOSER_PREVIEW_SIZE, NULL)
    : NULL;
  gtk_image_set_from_pixbuf (GTK_IMAGE (image), pix);
  gtk_file_chooser_set_preview_widget_active (chooser, pix != NULL);
  if (pix)
    g_object_unref (pix);
}

/* The folder of the gallery's first picture, else the first style folder
 * there is. */
static char *
style_folder (const char *profile_dir)
{
  g_autoptr (GPtrArray) styles = vka_plugin_list_styles (profile_dir);
  if (styles->len > 0)
    return g_path_get_dirname (styles->pdata[0]);
  g_auto (GStrv) dirs = vka_plugin_style_dirs (profile_dir);
  for (int i = 0; dirs[i]; i++)
    if (g_file_test (dirs[i], G_FILE_TEST_IS_DIR))
      return g_strdup (dirs[i]);
  return NULL;
}

GtkWidget *
vka_plugin_style_chooser_new (const char *profile_dir, const char *title)
{
  GtkWidget *chooser = gtk_file_chooser_button_new (title, GTK_FILE_CHOOSER_ACTION_OPEN);
  GtkFileFilter *images = gtk_file_filter_new ();
  gtk_file_filter_set_name (images, _("Pictures and style files"));
  for (const char *const *ext = vka_picture_extensions (); *ext; ext++)
    {
      g_autofree char *lower = g_strconcat ("*", *ext, NULL);
      g_autofree char *upper = g_ascii_strup (lower, -1);
      gtk_file_filter_add_pattern (images, lower);
      gtk_file_filter_add_pattern (images, upper);
    }
  gtk_file_filter_add_pattern (images, "*.safetensors");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), images);
  GtkWidget *image = gtk_image_new ();
  gtk_widget_set_size_request (image, CHOOSER_PREVIEW_SIZE, -1);
  gtk_file_chooser_set_preview_widget (GTK_FILE_CHOOSER (chooser), image);
  gtk_file_chooser_set_use_preview_label (GTK_FILE_CHOOSER (chooser), FALSE);
  g_signal_connect (chooser, "update-preview", G_CALLBACK (style_preview_update), image);
  g_autofree char *folder = style_folder (profile_dir);
  if (folder)
    gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser), folder);
  return chooser;
}

/* ---- Device ------------------------------------------------------------------ */

/* A GtkComboBox over (id, label) rows: GTK 2 has no ids in GtkComboBoxText. */
enum { DEV_ID, DEV_LABEL, DEV_N };

static void
device_changed (GtkComboBox *combo, Callback *cb)
{
  GtkTreeIter iter;
  if (!gtk_combo_box_get_active_iter (combo, &iter))
    return;
  g_autofree char *id = NULL;
  gtk_tree_model_get (gtk_combo_box_get_model (combo), &iter, DEV_ID, &id, -1);
  cb->changed (id, cb->user_data);
}

GtkWidget *
vka_plugin_device_combo_new (const char *current, VkaPluginStringChanged changed,
                             gpointer user_data)
{
  if (!current)
    current = "";
  GtkListStore *store = gtk_list_store_new (DEV_N, G_TYPE_STRING, G_TYPE_STRING);
  g_autoptr (GPtrArray) choices = vka_plugin_device_choices ();
  int active = -1;
  for (guint i = 0; i < choices->len; i++)
    {
      const VkaPluginChoice *c = choices->pdata[i];
      gtk_list_store_insert_with_values (store, NULL, -1, DEV_ID, c->id, DEV_LABEL, c->label,
                                         -1);
      if (active < 0 && strcmp (c->id, current) == 0)
        active = (int) i;
    }
  if (active < 0)
    {
      /* A remembered device that is not here now stays the choice (the
       * run then fails with the list of devices there are). */
      g_autofree char *label = g_strdup_printf (_("%s (not found)"), current);
      gtk_list_store_insert_with_values (store, NULL, -1, DEV_ID, current, DEV_LABEL, label,
                                         -1);
      active = (int) choices->len;
    }
  GtkWidget *combo = gtk_combo_box_new_with_model (GTK_TREE_MODEL (store));
  g_object_unref (store);
  GtkCellRenderer *cell = gtk_cell_renderer_text_new ();
  g_object_set (cell, "ellipsize", PANGO_ELLIPSIZE_END, NULL);
  gtk_cell_layout_pack_start (GTK_CELL_LAYOUT (combo), cell, TRUE);
  gtk_cell_layout_set_attributes (GTK_CELL_LAYOUT (combo), cell, "text", DEV_LABEL, NULL);
  gtk_combo_box_set_active (GTK_COMBO_BOX (combo), active);
  Callback *cb = callback_new (combo, changed, user_data, NULL);
  g_signal_connect (combo, "changed", G_CALLBACK (device_changed), cb);
  return combo;
}

/* ---- Model folder -------------------------------------------------------------- */

static void
model_show (Callback *cb, const char *model_dir)
{
  g_autofree char *text = vka_plugin_model_description (cb->profile_dir, model_dir);
  gtk_label_set_text (GTK_LABEL (cb->label), text);
  g_autofree char *folder = model_dir && model_dir[0]
    ? g_strdup (model_dir) : vka_plugin_model_folder (cb->profile_dir, NULL);
  if (folder)
    gtk_file_chooser_set_filename (GTK_FILE_CHOOSER (cb->chooser), folder);
  else
    gtk_file_chooser_unselect_all (GTK_FILE_CHOOSER (cb->chooser));
}

static void
model_folder_set (GtkFileChooser *chooser, Callback *cb)
{
  g_autofree char *folder = gtk_file_chooser_get_filename (chooser);
  if (!folder)
    return;
  g_autofree char *text = vka_plugin_model_description (cb->profile_dir, folder);
  gtk_label_set_text (GTK_LABEL (cb->label), text);
  cb->changed (folder, cb->user_data);
}

static void
model_default (GtkButton *button, Callback *cb)
{
  model_show (cb, NULL);
  cb->changed ("", cb->user_data);
}

GtkWidget *
vka_plugin_model_chooser_new (const char *profile_dir, const char *current,
                              VkaPluginStringChanged changed, gpointer user_data)
{
  GtkWidget *vbox = box_new (TRUE, 4);
  GtkWidget *hbox = box_new (FALSE, 6);
  gtk_box_pack_start (GTK_BOX (vbox), hbox, FALSE, FALSE, 0);
  Callback *cb = callback_new (vbox, changed, user_data, profile_dir);
  cb->chooser = gtk_file_chooser_button_new (_("Choose the model folder"),
                                             GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER);
  gtk_widget_set_tooltip_text (cb->chooser, _(vka_params[VKA_PARAM_MODEL_DIR].blurb));
  gtk_box_pack_start (GTK_BOX (hbox), cb->chooser, TRUE, TRUE, 0);
  GtkWidget *reset = gtk_button_new_with_mnemonic (_("Us_ual folders"));
  gtk_widget_set_tooltip_text (reset, _("Search the usual folders for the model"));
  gtk_box_pack_start (GTK_BOX (hbox), reset, FALSE, FALSE, 0);
  cb->label = vka_plugin_label_new (NULL);
  gtk_box_pack_start (GTK_BOX (vbox), cb->label, FALSE, FALSE, 0);
  model_show (cb, current);
  g_signal_connect (cb->chooser, "file-set", G_CALLBACK (model_folder_set), cb);
  g_signal_connect (reset, "clicked", G_CALLBACK (model_default), cb);
  return vbox;
}

void
vka_plugin_dialog_report (GtkWidget *dialog, GtkWidget *ok, GtkWidget *status)
{
  GtkAllocation win, button;
  gtk_widget_get_allocation (dialog, &win);
  gtk_widget_get_allocation (ok, &button);
  int x = 0, y = 0;
  gtk_widget_translate_coordinates (ok, dialog, 0, 0, &x, &y);
  g_printerr ("vka-dialog: window %dx%d, OK at %d,%d %dx%d, sensitive %d\n", win.width,
              win.height, x, y, button.width, button.height, gtk_widget_is_sensitive (ok));
  g_printerr ("vka-dialog: status: %s\n", status ? gtk_label_get_text (GTK_LABEL (status)) : "");
}
