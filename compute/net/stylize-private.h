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
/* vka_tile_working_bytes for this model: what one tile's stylisation is
 * estimated to hold at its peak (tests compare it with the backend's). */
guint64     vka_model_tile_working_bytes (VkaModel *model, int channels, int ww, int wh,
                                          int iw, int ih);
/* How many images the model's encoder has encoded (tests). */
guint       vka_model_encoder_runs (VkaModel *model);
/* The bytes of pass-1 features a tiled vka_stylize may keep for pass 2 on
 * the device and in host memory, instead of encoding each tile again,
 * whatever the memory budget leaves (by default, what it leaves). 0 and 0
 * encode every tile twice (tests). */
void        vka_model_set_keep_budget (VkaModel *model, guint64 device_bytes,
                                       guint64 host_bytes);
/* One entry of the style cache (style-cache.c): read (NULL when missing,
 * damaged or not of channels channels), and written atomically, its folder
 * made first (tests). */
VkaStyle   *vka_style_cache_read (const char *path, int channels);
gboolean    vka_style_cache_write (const char *path, const VkaStyle *style, GError **error);
/* A style from interleaved statistics: mean, std of channel 0, then 1 … */
VkaStyle   *vka_style_from_stats (int channels, const float *stats);
/* The weighted mix of n styles as interleaved statistics (g_free), as
 * AdaIN takes them; each style must have channels channels. weights NULL:
 * equal. */
float      *vka_style_mix_stats (const VkaStyle *const *styles, const double *weights,
                                 int n_styles, int channels, GError **error);
