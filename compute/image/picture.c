/* picture.c — pictures read and written by regions: a decoded file in
 * GEGL's tiled storage as a VkaImageSource, and 8-bit images as a
 * VkaImageSink (vka_stylize_stream), so that a picture of 100 MP need not
 * be held as floats. */
#include "imageio-private.h"

#include <math.h>
#include <string.h>

struct VkaPicture
{
  GeglBuffer *buffer;
  const Babl *format;        /* the floats regions are read as */
  int         sample_bytes;  /* the buffer's, where picture.c widens them; else 0 */
  int         channels;
  int         orientation;   /* EXIF 1..8, applied on reading */
  int         stored_w, stored_h;
  int         width, height; /* upright */
};

/* The bytes of one sample where the buffer holds the float format's own
 * components, in sRGB, as 8- or 16-bit integers or floats (every PNG, TIFF
 * or JPEG without another profile): those are widened here. babl would
 * convert them too, but it picks among its conversion paths by timing
 * them, and the paths differ in the last bit of a float: one picture would
 * not always give the same floats. 0 for anything else (another space,
 * premultiplied or linear data), which is left to babl. */
static int
widened_sample_bytes (const Babl *stored, const Babl *floats)
{
  static const struct { const char *type; int bytes; } types[] = {
    { "u8", 1 }, { "u16", 2 }, { "float", 4 },
  };
  const char *model = babl_get_name (babl_format_get_model (floats));
  for (gsize i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_autofree char *name = g_strdup_printf ("%s %s", model, types[i].type);
      if (stored == babl_format (name))
        return types[i].bytes;
    }
  return 0;
}

VkaPicture *
vka_picture_load (const char *path, VkaImageInfo *info, GError **error)
{
  VkaImageInfo local;
  GeglBuffer *buffer = vka_imageio_load_buffer (path, &local, error);
  if (!buffer)
    return NULL;
  VkaPicture *p = g_new0 (VkaPicture, 1);
  const GeglRectangle *r = gegl_buffer_get_extent (buffer);
  p->buffer = buffer;
  p->format = vka_imageio_float_format (buffer);
  p->sample_bytes = widened_sample_bytes (gegl_buffer_get_format (buffer), p->format);
  p->channels = babl_format_get_n_components (p->format);
  p->orientation = local.orientation >= 1 && local.orientation <= 8 ? local.orientation : 1;
  p->stored_w = r->width;
  p->stored_h = r->height;
  gboolean swap = p->orientation >= 5;
  p->width = swap ? r->height : r->width;
  p->height = swap ? r->width : r->height;
  if (info)
    *info = local;
  return p;
}

void
vka_picture_free (VkaPicture *picture)
{
  if (!picture)
    return;
  g_clear_object (&picture->buffer);
  g_free (picture);
}

int
vka_picture_width (const VkaPicture *picture)
{
  return picture->width;
}

int
vka_picture_height (const VkaPicture *picture)
{
  return picture->height;
}

/* The stored pixel shown upright at (x, y) under EXIF orientation o: 2
 * mirror, 3 rotate 180°, 4 flip, 5 transpose, 6 rotate 90° clockwise, 7
 * transverse, 8 rotate 90° counter-clockwise. */
static void
stored_position (const VkaPicture *p, int x, int y, int *sx, int *sy)
{
  int w = p->stored_w, h = p->stored_h;
  switch (p->orientation)
    {
    case 2: *sx = w - 1 - x; *sy = y; break;
    case 3: *sx = w - 1 - x; *sy = h - 1 - y; break;
    case 4: *sx = x; *sy = h - 1 - y; break;
    case 5: *sx = y; *sy = x; break;
    case 6: *sx = y; *sy = h - 1 - x; break;
    case 7: *sx = w - 1 - y; *sy = h - 1 - x; break;
    case 8: *sx = w - 1 - y; *sy = x; break;
    default: *sx = x; *sy = y; break;
    }
}

/* The stored rectangle r as floats, packed. Integer samples are read into
 * the end of dst and widened front to back: float i is written after
 * sample i is read and only over samples already read (a sample is at
 * most half a float). */
static void
read_stored (const VkaPicture *p, const GeglRectangle *r, float *dst)
{
  if (p->sample_bytes == 0 || p->sample_bytes == 4)
    {
      gegl_buffer_get (p->buffer, r, 1.0, p->sample_bytes ? NULL : p->format, dst,
                       GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE);
      return;
    }
  gsize n = (gsize) r->width * r->height * p->channels;
  guint8 *samples = (guint8 *) (dst + n) - n * p->sample_bytes;
  gegl_buffer_get (p->buffer, r, 1.0, NULL, samples, GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE);
  if (p->sample_bytes == 1)
    for (gsize i = 0; i < n; i++)
      dst[i] = (float) (samples[i] / 255.0);
  else
    for (gsize i = 0; i < n; i++)
      {
        guint16 v;
        memcpy (&v, samples + 2 * i, sizeof v);
        dst[i] = (float) (v / 65535.0);
      }
}

static gboolean
picture_read (gpointer data, int x, int y, int w, int h, float *dst, GError **error)
{
  VkaPicture *p = data;
  int ch = p->channels;
  if (p->orientation == 1)
    {
      read_stored (p, &(GeglRectangle) { x, y, w, h }, dst);
      return TRUE;
    }
  /* the stored rectangle the region comes from: its corners' images */
  int x0, y0, x1, y1;
  stored_position (p, x, y, &x0, &y0);
  stored_position (p, x + w - 1, y + h - 1, &x1, &y1);
  GeglRectangle r = { MIN (x0, x1), MIN (y0, y1), ABS (x1 - x0) + 1, ABS (y1 - y0) + 1 };
  float *stored = g_try_new (float, (gsize) r.width * r.height * ch);
  if (!stored)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_OUT_OF_MEMORY,
                   "cannot allocate a %d×%d region", r.width, r.height);
      return FALSE;
    }
  read_stored (p, &r, stored);
  for (int j = 0; j < h; j++)
    for (int i = 0; i < w; i++)
      {
        int sx, sy;
        stored_position (p, x + i, y + j, &sx, &sy);
        memcpy (dst + ((gsize) j * w + i) * ch,
                stored + ((gsize) (sy - r.y) * r.width + (sx - r.x)) * ch,
                ch * sizeof (float));
      }
  g_free (stored);
  return TRUE;
}

void
vka_picture_source (VkaPicture *picture, VkaImageSource *source)
{
  *source = (VkaImageSource) { picture->width, picture->height, picture->channels,
                               picture_read, picture, NULL };
}

/* ---- 8-bit images ---- */

VkaBytesImage *
vka_bytes_image_new (int width, int height, int channels, GError **error)
{
  if (width <= 0 || height <= 0 || channels < 1 || channels > 4
      || (gsize) width > G_MAXSIZE / (gsize) height / (gsize) channels)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                   "cannot make a %d×%d image with %d channels", width, height, channels);
      return NULL;
    }
  gsize n = (gsize) width * height * channels;
  guint8 *bytes = g_try_malloc0 (n);
  if (!bytes)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_OUT_OF_MEMORY,
                   "cannot allocate %" G_GSIZE_FORMAT " MiB for a %d×%d image", n >> 20,
                   width, height);
      return NULL;
    }
  VkaBytesImage *image = g_new0 (VkaBytesImage, 1);
  *image = (VkaBytesImage) { width, height, channels, bytes, channels };
  return image;
}

void
vka_bytes_image_free (VkaBytesImage *image)
{
  if (!image)
    return;
  g_free (image->bytes);
  g_free (image);
}

void
vka_bytes_quantize (const float *px, int in, guint8 *dst, int out)
{
  gboolean alpha = out == 2 || out == 4;
  for (int c = 0; c < out; c++)
    {
      float v = px[alpha && c == out - 1 ? in - 1 : c];
      v = isnan (v) ? 0.0f : CLAMP (v, 0.0f, 1.0f);
      dst[c] = (guint8) (v * 255.0f + 0.5f);
    }
}

static gboolean
bytes_write (gpointer data, int x, int y, int w, int h, const float *src, GError **error)
{
  VkaBytesImage *im = data;
  int in = im->sink_channels;
  for (int j = 0; j < h; j++)
    for (int i = 0; i < w; i++)
      vka_bytes_quantize (src + ((gsize) j * w + i) * in, in,
                          im->bytes + ((gsize) (y + j) * im->width + x + i) * im->channels,
                          im->channels);
  return TRUE;
}

void
vka_bytes_image_sink (VkaBytesImage *image, int channels, VkaImageSink *sink)
{
  image->sink_channels = channels;
  *sink = (VkaImageSink) { channels, bytes_write, image };
}

int
vka_image_save_channels (const char *path, int channels)
{
  const char *dot = strrchr (path, '.');
  gboolean jpg = dot && (g_ascii_strcasecmp (dot, ".jpg") == 0
                         || g_ascii_strcasecmp (dot, ".jpeg") == 0);
  gboolean alpha = (channels == 2 || channels == 4) && !jpg;
  return (channels <= 2 ? 1 : 3) + (alpha ? 1 : 0);
}
