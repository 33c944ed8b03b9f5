/* stylize-private.h — model internals the bench and tests use. */
#pragma once

#include "network.h"

/* image -> relu4_1 features (caller frees); hook as in vka_network_forward. */
VkaTensor *vka_model_encode (VkaModel *model, const VkaImage *image, VkaLayerHook hook,
                             gpointer hook_data, GError **error);
/* vka_style_from_image with a forced tile interior (0 = automatic). */
VkaStyle  *vka_style_from_image_tiled (VkaModel *model, const VkaImage *image, int tile,
                                       GCancellable *cancellable, GError **error);
/* The model's decoder network (for per-layer benchmarks). */
VkaNetwork *vka_model_decoder (VkaModel *model);
/* SHA-256 (hex) of the encoder's weights as loaded, for caches keyed by the
 * encoder (style-cache.c). */
const char *vka_model_encoder_fingerprint (VkaModel *model);
