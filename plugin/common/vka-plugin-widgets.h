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

/* A left-aligned, wrapped, selectable label (GTK 2 and 3 differ). */
GtkWidget *vka_plugin_label_new (const char *text);
