/* vka-plugin-widgets.h — the dialog widgets both front-ends share: the
 * device choice and the model folder. Compiled into each front-end against
 * its own GTK (2 for GIMP 2.10, 3 for GIMP 3.0); the front-end keeps the
 * value (last values on 2.10, the config on 3.0), these widgets report
 * changes through a callback. */
#pragma once

#include <gtk/gtk.h>

typedef void (*VkaPluginStringChanged) (const char *value, gpointer user_data);

/* A combo of vka_plugin_device_choices (); current ("" or NULL: automatic)
 * is shown, and kept as a choice even when no such device is present. */
GtkWidget *vka_plugin_device_combo_new (const char *current, VkaPluginStringChanged changed,
                                        gpointer user_data);

/* A folder chooser for the model folder, a button back to the usual search
 * (changed gets ""), and a line saying where the model is found (or the
 * error that names the folders searched). With current "" or NULL the
 * chooser shows the folder the usual search finds. */
GtkWidget *vka_plugin_model_chooser_new (const char *profile_dir, const char *current,
                                         VkaPluginStringChanged changed, gpointer user_data);

/* A left-aligned, wrapped, selectable label (GTK 2 and 3 differ), at most
 * about 50 characters wide so that a long message makes it taller, not the
 * dialog wider. */
GtkWidget *vka_plugin_label_new (const char *text);

/* A file chooser button for a style: pictures and statistics files, a
 * preview of the picture under the cursor, and (with no file chosen yet)
 * the folder of the gallery's first picture. title: the chooser's. */
GtkWidget *vka_plugin_style_chooser_new (const char *profile_dir, const char *title);

/* The dialogs' plain message when no model is found (the model folder's
 * line gives the folders searched). */
const char *vka_plugin_no_model_text (void);

/* "px", after a size in pixels. */
GtkWidget *vka_plugin_unit_label_new (void);

/* Test hook (VKA_PLUGIN_DIALOG_TIMEOUT): prints to stderr the dialog's
 * size, the OK button's place in it and whether it is sensitive, and the
 * status line, for the tests to check against the screen. */
void vka_plugin_dialog_report (GtkWidget *dialog, GtkWidget *ok, GtkWidget *status);
