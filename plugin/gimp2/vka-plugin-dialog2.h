/* vka-plugin-dialog2.h — the GIMP 2.10 dialog (GTK 2). */
#pragma once

#include <libgimp/gimp.h>

#include "vka-plugin-params.h"

/* Shows the dialog with s as the starting values; on OK stores the chosen
 * values in s and returns TRUE. For tests, $VKA_PLUGIN_DIALOG_TIMEOUT=N
 * cancels the dialog by itself after N seconds. */
gboolean vka_plugin_dialog2_run (VkaPluginSettings *s, gint32 image_id, gint32 drawable_id);
