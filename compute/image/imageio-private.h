/* imageio-private.h — what picture.c shares with imageio.c. */
#pragma once

#include "vka-imageio.h"

#include <gegl.h>

/* The file decoded into a GeglBuffer in its own format, after imageio.c's
 * checks; info gets bits, alpha and the EXIF orientation still to apply. */
GeglBuffer *vka_imageio_load_buffer (const char *path, VkaImageInfo *info, GError **error);
/* The float format vka_image_load reads buffer as (Y', Y'A, R'G'B', R'G'B'A). */
const Babl *vka_imageio_float_format (GeglBuffer *buffer);
