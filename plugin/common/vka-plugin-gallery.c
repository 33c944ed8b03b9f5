/* vka-plugin-gallery.c — the style gallery (see the header). Compiled into
 * each front-end, against its own GTK. */
#include "vka-plugin-gallery.h"
#include "vka-plugin.h"
#include "vka-plugin-i18n.h"
#include "vka-plugin-widgets.h"

#define THUMB_SIZE 72

enum { COL_PIXBUF, COL_NAME, COL_PATH, N_COLS };

typedef struct
{
  VkaGalleryPick pick;
  gpointer       user_data;
} Pick;

static void
on_selection_changed (GtkIconView *view, Pick *pick)
{
  GList *sel = gtk_icon_view_get_selected_items (view);
  if (!sel)
    return;
  GtkTreeModel *model = gtk_icon_view_get_model (view);
  GtkTreeIter iter;
  if (gtk_tree_model_get_iter (model, &iter, sel->data))
    {
      g_autofree char *path = NULL;
      gtk_tree_model_get (model, &iter, COL_PATH, &path, -1);
      pick->pick (path, pick->user_data);
    }
  g_list_free_full (sel, (GDestroyNotify) gtk_tree_path_free);
}

static void
free_pick (gpointer data, GClosure *closure)
{
  g_free (data);
}

static GtkWidget *
no_styles_label (const char *profile_dir)
{
  g_auto (GStrv) dirs = vka_plugin_style_dirs (profile_dir);
  g_autofree char *list = g_strjoinv ("\n", dirs);
  g_autofree char *text = g_strdup_printf (_("No style pictures found. Put some in "
                                             "one of these folders:\n%s"), list);
  GtkWidget *label = vka_plugin_label_new (text);
  gtk_label_set_line_wrap (GTK_LABEL (label), FALSE);   /* a folder a line */
  return label;
}

GtkWidget *
vka_plugin_gallery_new (const char *profile_dir, VkaGalleryPick pick, gpointer user_data)
{
  g_autoptr (GPtrArray) styles = vka_plugin_list_styles (profile_dir);
  if (styles->len == 0)
    return no_styles_label (profile_dir);
  GtkListStore *store = gtk_list_store_new (N_COLS, GDK_TYPE_PIXBUF, G_TYPE_STRING,
                                            G_TYPE_STRING);
  for (guint i = 0; i < styles->len; i++)
    {
      const char *path = styles->pdata[i];
      GdkPixbuf *pix = gdk_pixbuf_new_from_file_at_scale (path, THUMB_SIZE, THUMB_SIZE,
                                                          TRUE, NULL);
      if (!pix)
        continue;
      g_autofree char *base = g_path_get_basename (path);
      GtkTreeIter iter;
      gtk_list_store_append (store, &iter);
      gtk_list_store_set (store, &iter, COL_PIXBUF, pix, COL_NAME, base, COL_PATH, path, -1);
      g_object_unref (pix);
    }
  GtkWidget *view = gtk_icon_view_new_with_model (GTK_TREE_MODEL (store));
  g_object_unref (store);
  gtk_icon_view_set_pixbuf_column (GTK_ICON_VIEW (view), COL_PIXBUF);
  gtk_icon_view_set_text_column (GTK_ICON_VIEW (view), COL_NAME);
  gtk_icon_view_set_item_width (GTK_ICON_VIEW (view), THUMB_SIZE + 16);
  gtk_icon_view_set_selection_mode (GTK_ICON_VIEW (view), GTK_SELECTION_SINGLE);
  Pick *p = g_new (Pick, 1);
  *p = (Pick) { pick, user_data };
  g_signal_connect_data (view, "selection-changed", G_CALLBACK (on_selection_changed), p,
                         free_pick, 0);

  GtkWidget *scroll = gtk_scrolled_window_new (NULL, NULL);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroll), GTK_POLICY_AUTOMATIC,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_shadow_type (GTK_SCROLLED_WINDOW (scroll), GTK_SHADOW_IN);
  gtk_widget_set_size_request (scroll, 4 * (THUMB_SIZE + 28), THUMB_SIZE + 56);
  gtk_container_add (GTK_CONTAINER (scroll), view);
  return scroll;
}
