/* vka-plugin-dialog3.h — the GIMP 3.0 dialog and the settings it edits. */
#pragma once

#include <libgimp/gimp.h>

#include "vka-plugin.h"

/* The run's settings from the config; device and model folder only for
 * an interactive run (or one with the last values). */
void     vka_plugin3_settings_from_config (VkaPluginSettings *s, GimpProcedureConfig *config,
                                           gboolean interactive);

/* The dialog: TRUE for OK. *layer gets an open layer chosen as the style
 * (owned by the caller), or stays NULL. u8: the image has 8-bit precision. */
gboolean vka_plugin_dialog3_run (GimpProcedure *procedure, GimpProcedureConfig *config,
                                 GimpDrawable *drawable, gboolean u8, VkaStyleLayer **layer);
