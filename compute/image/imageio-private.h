/* imageio-private.h — what picture.c shares with imageio.c. */
#pragma once

#include "vka-imageio.h"

#include <gegl.h>

/* The file decoded into a GeglBuffer in its own format, after imageio.c's
 * checks; info gets bits, alpha and the EXIF orientation still to apply. */
GeglBuffer *vka_imageio_load_buffer (const char *path, VkaImageInfo *info, GError **error);
/* The float format vka_image_load reads buffer as (Y', Y'A, R'G'B', R'G'B'A). */
const Babl *vka_imageio_float_format (GeglBuffer *buffer);

/* jpeg.c: width × height RGB rows of 8 bits (3 · width bytes each)
 * as a JPEG at path, as gegl:jpg-save writes them (quality 95, no chroma
 * subsampling, the sRGB profile; progressive and optimised, or baseline in
 * one pass); display_name names the file in errors. Only where libjpeg was
 * found at build time (VKA_HAVE_LIBJPEG): otherwise an error. */
gboolean vka_jpeg_write (const guint8 *rgb, int width, int height, gboolean progressive,
                         const char *path, const char *display_name, GError **error);
/* jpeg.c: the buffer gegl:jpg-load would make of a JPEG (its own format and
 * ICC space), or NULL with error set for a file libjpeg cannot read, or NULL
 * and no error for one left to GEGL (CMYK, or a build without libjpeg). */
GeglBuffer *vka_jpeg_read (const char *path, const char *display_name, GError **error);
