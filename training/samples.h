/* samples.h — sample stylisations during training: the first readable
 * content picture in the style of the first readable style picture, through
 * the library's own vka_stylize with the decoder as it is now. */
#pragma once

#include "vka-train.h"

/* Writes dir/sample_iter_{iteration}.png; pictures are resized so that their
 * shorter side is `size`. */
gboolean samples_write (VkaContext *context, const VkaWeights *encoder, VkaTrainer *trainer,
                        const char *content_path, const char *style_path, int size,
                        const char *dir, int iteration, GError **error);
