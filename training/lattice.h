/* lattice.h — how much of a picture's fine detail repeats with the decoder's
 * 8-pixel period (three ×2 upsamplings), a number for the grid that a
 * decoder draws into flat areas and the training objective does not see. */
#pragma once

#include "vka.h"

/* The lattice index of image (RGB or gray, alpha ignored): its luma less a
 * 9×9 box blur (the fine detail), cut into 64×64 blocks from the top left;
 * in each block the 8×8 pattern averaged over its 64 tiles of 8×8 pixels;
 * the index is 64 × the mean square of those patterns over the mean square
 * of the detail. Detail unrelated to the 8-pixel lattice scores about 1,
 * a pure repeated 8×8 tile 64. NAN when a side is under 64 pixels or the
 * picture has no detail at all. */
double lattice_index (const VkaImage *image);
