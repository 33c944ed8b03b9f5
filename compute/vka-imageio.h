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
 * JPEG 2000 and SVG through gegl:load; other content is an error. CMYK
 * JPEGs become the RGB that PIL makes of them (image/jpeg.c). The
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

/* GEGL is the host program's, initialised before this library is used
 * (a GEGL operation loaded into GIMP or gegl): the functions below must not
 * call gegl_init, which asserts in a host that set GEGL up through
 * gegl_get_option_group (GIMP 3 aborted when the operation decoded a style
 * file), nor gegl_exit. */
void      vka_imageio_gegl_from_host (void);
/* A program of our own that reads or writes images starts GEGL with this,
 * first thing in main, while it has one thread (it may set an environment
 * variable): babl, under GEGL, then neither reads nor writes its cache of
 * conversions (~/.cache/babl/babl-fishes). That cache is shared with GIMP,
 * and loading one that holds any 8-bit conversion a lookup table could
 * serve made babl time its lookup tables first: 350 MiB filled and 0.15 s,
 * every start. This library's few conversions are found without it. Where
 * $BABL_INHIBIT_CACHE is set already, babl does as it says. Without this
 * call GEGL starts at the first image, as babl likes. */
void      vka_imageio_init (void);
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

/* The picture types the programs write and look for in folders: ".png",
 * ".jpg", ".jpeg", ".tif", ".tiff", ".webp" (lower case, NULL-terminated). */
const char *const *vka_picture_extensions (void);
/* TRUE when the file name (no folder) is not hidden and ends in one of
 * them, in any case. */
gboolean  vka_picture_name_known (const char *name);

/* Separable resize with PIL's bilinear filter (Image.resize(..., BILINEAR),
 * what torchvision's Resize uses on PIL images); see image/resize.c for the
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

/* The reference's test_transform: the shorter side resized to size
 * (vka_image_resize_shorter), then with crop a centre square of size
 * (vka_image_center_crop). */
VkaImage *vka_image_transform (const VkaImage *image, int size, gboolean crop,
                               gboolean quantize_8bit, GError **error);
/* vka_image_load, then vka_image_transform (8-bit files with PIL's 8-bit
 * arithmetic). */
VkaImage *vka_image_load_transformed (const char *path, int size, gboolean crop,
                                      GError **error);

/* ---- Pictures too large to hold as floats ---- */

/* A picture decoded into GEGL's tiled storage in its file's own format (8
 * bits stay 8 bits), read by regions as vka_image_load would give them:
 * upright (EXIF orientation applied), interleaved floats. */
typedef struct VkaPicture VkaPicture;

VkaPicture *vka_picture_load (const char *path, VkaImageInfo *info, GError **error);
void        vka_picture_free (VkaPicture *picture);
int         vka_picture_width (const VkaPicture *picture);
int         vka_picture_height (const VkaPicture *picture);
/* The source stays valid while picture lives. */
void        vka_picture_source (VkaPicture *picture, VkaImageSource *source);

/* 8-bit interleaved pixels, 1 to 4 channels: what vka_image_save writes. */
typedef struct
{
  int     width, height, channels;
  guint8 *bytes;
  int     sink_channels;   /* floats per pixel its sink takes (vka_bytes_image_sink) */
} VkaBytesImage;

VkaBytesImage *vka_bytes_image_new (int width, int height, int channels, GError **error);
void           vka_bytes_image_free (VkaBytesImage *image);
gboolean       vka_bytes_image_save (const VkaBytesImage *image, const char *path,
                                     GError **error);
/* A sink taking `channels` floats per pixel (3 or 4) into image, rounded as
 * vka_image_save rounds; a 4th channel is dropped where image has 3. */
void           vka_bytes_image_sink (VkaBytesImage *image, int channels, VkaImageSink *sink);
/* One pixel of `in` floats rounded to `out` bytes: round(clamp(x)·255),
 * NaN as 0; alpha (the last of 2 or 4) kept in the last byte when out has
 * room, gray from the first channel. */
void           vka_bytes_quantize (const float *px, int in, guint8 *dst, int out);
/* The channels vka_image_save writes for an image of `channels` to path. */
int            vka_image_save_channels (const char *path, int channels);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VkaPicture, vka_picture_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VkaBytesImage, vka_bytes_image_free)

G_END_DECLS
