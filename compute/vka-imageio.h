/* vka-imageio.h — image files, resizing and cropping for the CLI and the
 * trainer (not the GIMP plug-in, which gets its pixels from GIMP).
 *
 * Files are read and written through GEGL (PNG, JPEG, TIFF, WebP and
 * the formats below). Pixels are the VkaImage of vka.h:
 * interleaved float in [0,1], the non-linear sRGB values that PIL and
 * torchvision see; gray stays 1 channel (2 with alpha), alpha is kept.
 * Errors are VKA_ERROR_IO / VKA_ERROR_FILE_FORMAT and name the file.
 * The format is recognised by the file's content (a PNG named .jpg loads):
 * PNG, JPEG, TIFF, WebP, and GIF, BMP, PNM, OpenEXR, Radiance HDR, PSD,
 * JPEG 2000 and SVG through gegl:load; other content is an error. The
 * functions may be called from several threads (GEGL runs one graph at a
 * time).
 */
#pragma once

#include "vka.h"

G_BEGIN_DECLS

typedef struct
{
  int      bits;         /* bits per channel of the file's own format (8, 16, 32) */
  gboolean has_alpha;
  int      orientation;  /* EXIF orientation 1..8 that was applied (1 = none) */
} VkaImageInfo;

/* Releases GEGL if the functions below started it (at program exit). */
void      vka_imageio_shutdown (void);

/* Reads an image file. JPEG EXIF orientation is applied (GEGL 0.4.42's
 * loader ignores it), so the result is upright. info may be NULL. */
VkaImage *vka_image_load (const char *path, VkaImageInfo *info, GError **error);

/* Writes an image; the format follows the extension (.png .jpg/.jpeg
 * .tif/.tiff .webp, case-insensitive). 8 bits per channel, values rounded
 * as round(clamp(x,0,1)·255) (torchvision's save_image). Written to a
 * temporary file in the same folder, then renamed over path: a failure never
 * leaves a partial file. JPEG has no alpha (it is dropped); quality 95. */
gboolean  vka_image_save (const VkaImage *image, const char *path, GError **error);

/* TRUE when vka_image_save knows path's extension. */
gboolean  vka_image_save_supported (const char *path);

/* Separable resize with PIL's bilinear filter (Image.resize(..., BILINEAR),
 * what torchvision's Resize uses on PIL images); see resize.c for the
 * formula. With quantize_8bit, the input is taken as 8-bit values and the
 * arithmetic is PIL's own 8-bit fixed point, rounding to 8 bits after each
 * pass, so an 8-bit source gives exactly PIL's pixels. Channels are
 * resampled independently (alpha is not premultiplied, like the reference,
 * which drops alpha before resizing). */
VkaImage *vka_image_resize (const VkaImage *image, int width, int height,
                            gboolean quantize_8bit, GError **error);

/* torchvision.transforms.Resize(size) on a PIL image: the shorter side
 * becomes size, the longer int(size·long/short); size 0 or an image whose
 * shorter side already is size returns a copy. */
VkaImage *vka_image_resize_shorter (const VkaImage *image, int size,
                                    gboolean quantize_8bit, GError **error);

/* torchvision.transforms.CenterCrop(size) (size <= both sides; 0 = the
 * shorter side): offsets round((side − size) / 2), halves to even. */
VkaImage *vka_image_center_crop (const VkaImage *image, int size, GError **error);

VkaImage *vka_image_copy (const VkaImage *image, GError **error);

G_END_DECLS
