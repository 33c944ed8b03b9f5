/* tiling.h — splitting an image into tiles with a halo, and per-channel
 * statistics accumulated over tiles (private to compute/). */
#pragma once

#include "network.h"

/* Context every tile carries beyond its interior: more than the receptive
 * field of encoder + decoder, a multiple of 8 so that pooling windows line
 * up with the whole image's. Each 3×3 convolution at scale s (1, 2, 4, 8)
 * and each pooling from s reach s pixels further: 37 px through the encoder,
 * about as many back through the decoder, so 80. (128 before: 1.58× a
 * 1000-pixel tile's pixels, 80 makes it 1.35×; tiled = untiled to the last
 * 8-bit step on photos, and /network/tiled-equals-untiled drops to 42 dB
 * with 40.) */
#define VKA_TILE_HALO 80

typedef struct
{
  int x0, y0, w, h;       /* interior, in image pixels; x0, y0 multiples of 8 */
  int wx0, wy0, ww, wh;   /* window = interior + halo, clipped to the image */
} VkaTile;

/* Tiles of interior_w × interior_h (rounded up to multiples of 8) with their
 * halos; an interior <= 0, or one >= both sides, is one tile: the whole
 * image, no halo. */
GArray  *vka_tile_plan (int width, int height, int interior_w, int interior_h);

/* The largest window side (a multiple of 8) whose activations all fit the
 * backend's largest tensor; 0 when not even 8 fits. */
int      vka_tile_max_window (VkaBackend *backend, VkaNetwork *encoder,
                              VkaNetwork *decoder);

/* Bytes one tile's stylisation holds at its peak for a ww × wh window
 * (interior iw × ih) of an image with `channels` channels: the window's
 * pixels, the encoder's or the decoder's activations, the features and the
 * tile's output; on the backend and in host memory together. */
guint64  vka_tile_working_bytes (VkaBackend *backend, VkaNetwork *encoder,
                                 VkaNetwork *decoder, int channels, int ww, int wh,
                                 int iw, int ih);
/* Bytes of a ww × wh window's relu4_1 features kept between the passes. */
guint64  vka_tile_feature_bytes (VkaBackend *backend, VkaNetwork *encoder, int ww,
                                 int wh);

typedef struct
{
  int     interior_w;   /* tile interior for vka_tile_plan (0: the whole image) */
  int     interior_h;
  guint64 working;      /* the largest tile's working bytes */
  guint64 keep_room;    /* bytes left in the budget for kept features */
} VkaTileChoice;

/* Tiles for a width × height image within budget bytes: forced > 0 takes
 * that square interior; otherwise the whole image when it fits, else the
 * interior, square or oblong, that costs least (the pixels of every window,
 * halos included, and again through the encoder for tiles whose features do
 * not fit the rest of the budget). FALSE with an error naming the budget
 * when not even a 64-pixel tile fits. */
gboolean vka_tile_choose (VkaBackend *backend, VkaNetwork *encoder, VkaNetwork *decoder,
                          int channels, int width, int height, int forced,
                          guint64 budget, VkaTileChoice *choice, GError **error);

/* Per-channel count, mean and M2 of one region, merged over tiles in double
 * precision (Chan et al.). */
typedef struct
{
  int     channels;
  double *count;
  double *mean;
  double *m2;
} VkaMoments;

void     vka_moments_init (VkaMoments *m, int channels);
void     vka_moments_clear (VkaMoments *m);
/* Adds the positions of a C×h×w map inside [fx0,fx1)×[fy0,fy1) whose region
 * (region_of[y·w + x], or 0 everywhere when region_of is NULL) is region. */
void     vka_moments_add (VkaMoments *m, const float *map, int h, int w,
                          int fx0, int fy0, int fx1, int fy1,
                          const guint8 *region_of, guint8 region);
/* Adds n positions whose per-channel mean and M2 are moments (interleaved,
 * as the backends' channel_moments gives them). */
void     vka_moments_merge (VkaMoments *m, const float *moments, double n);
/* (mean, sqrt(unbiased var + 1e-5)) per channel, interleaved; a region
 * with no positions gets (0, 1). */
void     vka_moments_to_stats (const VkaMoments *m, float *stats);
