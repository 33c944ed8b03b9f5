/* vka-gegl-run.h — what the GEGL operation does besides GEGL's plumbing:
 * stylise a buffer with the process's one engine, or pass it through.
 *
 * The operation runs inside its host's process (GIMP, the gegl program):
 * nothing here may end that process. Every failure (no model, no device,
 * an unreadable style, out of memory) leaves the input unchanged in the
 * output and is reported with g_warning. */
#pragma once

#include <gegl.h>

#include "vka-plugin.h"

G_BEGIN_DECLS

/* Stylises rect of input into rect of output with the process-wide engine
 * (model and device loaded on first use and kept for the next render; one
 * render at a time). On failure output gets input's pixels and the failure
 * is reported with g_warning, once per distinct message (a host re-renders
 * often: panning, every change of a property); FALSE then. Without a style
 * file the input passes through quietly: that is the operation's state
 * before one is chosen. content_8bit: the input has 8-bit precision (for
 * resizing as the CLI does). */
gboolean vka_gegl_run (const VkaPluginSettings *settings, GeglBuffer *input,
                       GeglBuffer *output, const GeglRectangle *rect,
                       gboolean content_8bit, VkaPluginProgress progress,
                       gpointer progress_data);

/* Model folders searched after $VK_ADAIN_MODELS: GIMP 3's profile
 * (<profile>/vk-adain/models, as the plug-in), when there is one. */
char    *vka_gegl_profile_dir (void);

G_END_DECLS
