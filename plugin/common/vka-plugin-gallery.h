/* vka-plugin-gallery.h — the dialog's style gallery, shared by both
 * front-ends (the GtkIconView API is the same in GTK 2 and 3). */
#pragma once

#include <gtk/gtk.h>

typedef void (*VkaGalleryPick) (const char *path, gpointer user_data);

/* Thumbnails of the pictures in the style folders under profile_dir; a
 * click calls pick with the picture's path. With no pictures, a label that
 * says where to put some. */
GtkWidget *vka_plugin_gallery_new (const char *profile_dir, VkaGalleryPick pick,
                                   gpointer user_data);
