/* image.c — VkaImage, interleaved float pixels. */
#include "vka.h"

#include <string.h>

VkaImage *
vka_image_new (int width, int height, int channels, GError **error)
{
  if (width <= 0 || height <= 0 || channels < 1 || channels > 4
      || (gsize) width > G_MAXSIZE / (gsize) height / (gsize) channels / sizeof (float))
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                   "cannot make a %d×%d image with %d channels", width, height, channels);
      return NULL;
    }
  gsize n = (gsize) width * height * channels;
  float *pixels = g_try_malloc0_n (n, sizeof (float));
  if (!pixels)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_OUT_OF_MEMORY,
                   "cannot allocate %" G_GSIZE_FORMAT " MiB for a %d×%d image",
                   n * sizeof (float) >> 20, width, height);
      return NULL;
    }
  VkaImage *image = g_new0 (VkaImage, 1);
  *image = (VkaImage) { width, height, channels, pixels };
  return image;
}

void
vka_image_free (VkaImage *image)
{
  if (!image)
    return;
  g_free (image->pixels);
  g_free (image);
}

static gboolean
image_read (gpointer data, int x, int y, int w, int h, float *dst, GError **error)
{
  const VkaImage *image = data;
  gsize row = (gsize) w * image->channels;
  for (int r = 0; r < h; r++)
    memcpy (dst + r * row,
            image->pixels + ((gsize) (y + r) * image->width + x) * image->channels,
            row * sizeof (float));
  return TRUE;
}

void
vka_image_source_init (VkaImageSource *source, const VkaImage *image)
{
  *source = (VkaImageSource) { image->width, image->height, image->channels, image_read,
                               (gpointer) image, image };
}

static gboolean
image_write (gpointer data, int x, int y, int w, int h, const float *src, GError **error)
{
  VkaImage *image = data;
  gsize row = (gsize) w * image->channels;
  for (int r = 0; r < h; r++)
    memcpy (image->pixels + ((gsize) (y + r) * image->width + x) * image->channels,
            src + r * row, row * sizeof (float));
  return TRUE;
}

void
vka_image_sink_init (VkaImageSink *sink, VkaImage *image)
{
  *sink = (VkaImageSink) { image->channels, image_write, image };
}
