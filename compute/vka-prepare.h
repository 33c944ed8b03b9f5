/* vka-prepare.h — what every program of this project does before it
 * stylises: a model from its files, and styles from a picture file, a
 * statistics file or pixels, prepared as the reference's test script
 * prepares them, colour-transferred and cached. The CLI, the GIMP
 * plug-ins, the GEGL operation and the trainer's samples call this.
 * Errors name the file (or the pixels' name) and the problem.
 */
#pragma once

#include "vka.h"
#include "vka-color.h"

G_BEGIN_DECLS

/* The model from its encoder and decoder files (any format
 * vka_weights_load reads); errors name the file, or both files when their
 * shapes do not fit together. Model folders: vka_model_files_find. */
VkaModel *vka_model_load (VkaContext *context, const char *encoder_path,
                          const char *decoder_path, GError **error);

/* One style as a program is given it: a statistics file, used as it is, or
 * a picture, whose shorter side is resized to size (0 keeps it; 8-bit
 * pictures with PIL's 8-bit arithmetic) and, with crop, centre-cropped to a
 * square: the reference's test_transform. It keeps its statistics once
 * encoded, so that a style used for several contents is encoded once. */
typedef struct VkaStyleSource VkaStyleSource;

/* Reads path now: a failure names the file. */
VkaStyleSource *vka_style_source_new_file (const char *path, int size, gboolean crop,
                                           GError **error);
/* Pixels (such as a GIMP layer's) prepared the same way; name is for
 * messages; is_8bit: they have 8-bit precision (resized as an 8-bit file). */
VkaStyleSource *vka_style_source_new_image (const VkaImage *image, const char *name,
                                            gboolean is_8bit, int size, gboolean crop,
                                            GError **error);
void            vka_style_source_free (VkaStyleSource *source);
/* The prepared picture; NULL for a statistics file. */
const VkaImage *vka_style_source_image (const VkaStyleSource *source);

typedef struct
{
  /* VKA_COLOR_CORAL moves content's colours onto the picture before it is
   * encoded (a statistics file cannot take them: an error). The other
   * modes encode the picture as it is (luminance is applied afterwards,
   * vka_color_luminance_sink). */
  VkaColorMode          color;
  const VkaImageSource *content;       /* for CORAL; NULL otherwise */
  /* Through the style cache: vka_style_from_image_cached, or
   * vka_style_from_image_cached_in when cache_folder is set. */
  gboolean              cache;
  const char           *cache_folder;
} VkaStyleEncodeOptions;

#define VKA_STYLE_ENCODE_OPTIONS_DEFAULT { VKA_COLOR_NONE, NULL, TRUE, NULL }

/* The source's statistics, a new VkaStyle the caller frees. Without CORAL
 * they are computed on the first call and kept in source; with CORAL they
 * are encoded for options->content each time. options NULL: the default. */
VkaStyle       *vka_style_source_encode (VkaModel *model, VkaStyleSource *source,
                                         const VkaStyleEncodeOptions *options,
                                         GCancellable *cancellable, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VkaStyleSource, vka_style_source_free)

G_END_DECLS
