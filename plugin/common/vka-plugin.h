/* vka-plugin.h — what the two GIMP front-ends share: model and style
 * folders, GEGL buffers <-> VkaImage, and the one stylise call.
 *
 * Nothing here calls libgimp (its 2.10 and 3.0 APIs differ); the front-ends
 * hand over GEGL buffers, the selection's bounds and the profile folder.
 * The pixels are those of the CLI for the same settings: the content is the
 * layer at full resolution (content-size 0) or resized as the CLI resizes,
 * the style picture is loaded and resized (shorter side = style-size) by the
 * same functions the CLI uses, and the same vka_stylize call follows.
 */
#pragma once

#include <gegl.h>

#include "vka.h"
#include "vka-plugin-params.h"

G_BEGIN_DECLS

/* ---- Folders -------------------------------------------------------------- */

/* Model folders in search order: settings' model_dir, $VK_ADAIN_MODELS,
 * <profile>/vk-adain/models, then (inside vka_model_files_find) the user
 * data dir and the installed data dir. profile_dir may be NULL. */
gboolean   vka_plugin_find_model (const char *profile_dir, const char *model_dir,
                                  char **encoder_path, char **decoder_path,
                                  GError **error);

/* Style folders, in order: $VK_ADAIN_STYLES, <profile>/vk-adain/styles,
 * <user data>/vk-adain/styles, <installed data>/vk-adain/styles and
 * .../samples (of which the gallery lists style*.* only). Owned strings;
 * not filtered for existence. */
GStrv      vka_plugin_style_dirs (const char *profile_dir);
/* The style pictures (.png .jpg .jpeg .tif .tiff .webp) of those folders,
 * sorted by folder then name: a GPtrArray of owned paths. */
GPtrArray *vka_plugin_list_styles (const char *profile_dir);

/* ---- Devices and the model folder ------------------------------------------ */

typedef struct
{
  char *id;      /* what VkaPluginSettings.device holds */
  char *label;   /* translated, for a combo box */
} VkaPluginChoice;

/* The dialog's device choices: "" (automatic), the Vulkan devices the
 * library lists (by name) and the CPU backend if built ("cpu"). Never
 * empty; a GPtrArray of VkaPluginChoice*. */
GPtrArray *vka_plugin_device_choices (void);
/* "Model: FOLDER" where the model is found (model_dir first, then the
 * usual search), or the error that names every folder searched. */
char      *vka_plugin_model_description (const char *profile_dir, const char *model_dir);
/* The folder of the model that would be used, or NULL. */
char      *vka_plugin_model_folder (const char *profile_dir, const char *model_dir);

/* ---- Pixels --------------------------------------------------------------- */

/* A whole layer's pixels (as RGB) to use as a style; name is for
 * messages, is_8bit: the image has 8-bit precision. */
VkaStyleLayer *vka_plugin_style_layer_read (GeglBuffer *buffer, const char *name,
                                            gboolean is_8bit, GError **error);

/* The babl format of a VkaImage with this many channels:
 * "Y' float", "Y'A float", "R'G'B' float", "R'G'B'A float". */
const char *vka_plugin_format_name (int channels);

/* Reads rect of buffer as 1-4 float channels (gray/rgb × alpha). */
VkaImage  *vka_plugin_buffer_read (GeglBuffer *buffer, const GeglRectangle *rect,
                                   gboolean gray, gboolean alpha, GError **error);
/* Writes image (3 or 4 channels) at rect's origin; babl converts to the
 * buffer's own format (gray, 8/16/32-bit, linear or not). */
void       vka_plugin_buffer_write (GeglBuffer *buffer, const GeglRectangle *rect,
                                    const VkaImage *image);

/* ---- Stylising ------------------------------------------------------------ */

typedef struct VkaPluginEngine VkaPluginEngine;

/* fraction in [0,1]; text is a translated stage name or NULL. */
typedef void (*VkaPluginProgress) (double fraction, const char *text, gpointer data);

/* Holds the device context, the loaded model and the style pictures, so a
 * dialog's preview can run again quickly. profile_dir may be NULL. */
VkaPluginEngine *vka_plugin_engine_new (const char *profile_dir);
void             vka_plugin_engine_free (VkaPluginEngine *engine);

/* Stylises content into out (content's size, 3 or 4 channels; alpha copied
 * from content). progress is called between tiles, and cancellable is
 * checked there: a cancelled run fails with VKA_ERROR_CANCELLED.
 * Test hooks (environment): VKA_PLUGIN_TILE=N tiles with N-pixel tiles;
 * VKA_PLUGIN_TEST_CANCEL_AFTER=N cancels once N tiles are done, as GIMP's
 * Cancel button would. content_8bit: the layer has 8-bit precision, so resizing
 * it follows PIL's 8-bit arithmetic as the CLI does for 8-bit files.
 * On failure out is unspecified and error names the file or the cause. */
gboolean vka_plugin_engine_run (VkaPluginEngine *engine, const VkaPluginSettings *settings,
                                const VkaImage *content, gboolean content_8bit,
                                VkaImage *out, VkaPluginProgress progress,
                                gpointer progress_data, GCancellable *cancellable,
                                GError **error);

/* TRUE for the error of a cancelled run (VKA_ERROR_CANCELLED): the
 * front-ends return GIMP_PDB_CANCEL for it. */
gboolean vka_plugin_error_is_cancel (const GError *error);

/* The whole step of a front-end: read rect of src (gray/alpha as the
 * drawable), stylise, write rect of dst (the shadow buffer). dst is written
 * only when everything before succeeded, so on failure it is untouched. */
gboolean vka_plugin_stylize_buffer (VkaPluginEngine *engine,
                                    const VkaPluginSettings *settings,
                                    GeglBuffer *src, GeglBuffer *dst,
                                    const GeglRectangle *rect, gboolean gray,
                                    gboolean alpha, gboolean content_8bit,
                                    VkaPluginProgress progress, gpointer progress_data,
                                    GCancellable *cancellable, GError **error);

/* For a dialog's preview: stylise rect of src (only that part: its
 * statistics are the part's own) and return it as 8-bit pixels in the
 * drawable's layout (gray/RGB × alpha), rows of *rowstride bytes, as
 * gimp_preview_draw_buffer wants them. g_free the result. */
guchar  *vka_plugin_preview_render (VkaPluginEngine *engine, const VkaPluginSettings *settings,
                                    GeglBuffer *src, const GeglRectangle *rect,
                                    gboolean gray, gboolean alpha, gboolean content_8bit,
                                    int *rowstride, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VkaPluginEngine, vka_plugin_engine_free)

G_END_DECLS
