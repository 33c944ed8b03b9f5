/* resize.c — PIL's bilinear resampling and torchvision's Resize/CenterCrop.
 *
 * The filter (Pillow, libImaging/Resample.c, BILINEAR), per axis, from an
 * input of n samples to m samples:
 *
 *   scale  = n / m;          fs = max(scale, 1)   (widen the filter only
 *   support = 1 · fs                              when shrinking: antialias)
 *   for output sample j:  centre = (j + 0.5) · scale
 *     first = max(trunc(centre − support + 0.5), 0)
 *     last  = min(trunc(centre + support + 0.5), n)        (exclusive)
 *     w_i   = tri((i − centre + 0.5) / fs),  tri(x) = max(1 − |x|, 0)
 *     out_j = Σ_{i=first}^{last−1} w_i · in_i / Σ w_i
 *
 * Horizontal pass first, then vertical. PIL works on 8-bit images in fixed
 * point: each normalised weight becomes trunc(0.5 + w·2^22), a pass computes
 * (2^21 + Σ k_i·v_i) >> 22 clamped to 0..255, and the intermediate image is
 * 8-bit. quantize_8bit reproduces that bit for bit; otherwise the passes
 * are in double with float storage (16-bit and float sources keep their
 * precision).
 */
#include "vka-imageio.h"

#include <math.h>
#include <string.h>

#define PIL_PRECISION_BITS (32 - 8 - 2)

typedef struct
{
  int    *first;   /* [m] */
  int    *count;   /* [m] */
  int     ksize;
  double *w;       /* [m][ksize] normalised weights */
  int    *k;       /* [m][ksize] PIL fixed-point weights */
} Coeffs;

static double
triangle (double x)
{
  x = fabs (x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

static void
coeffs_init (Coeffs *c, int n, int m)
{
  double scale = (double) n / m;
  double fs = scale < 1.0 ? 1.0 : scale;
  double support = 1.0 * fs;
  c->ksize = (int) ceil (support) * 2 + 1;
  c->first = g_new (int, m);
  c->count = g_new (int, m);
  c->w = g_new0 (double, (gsize) m * c->ksize);
  c->k = g_new0 (int, (gsize) m * c->ksize);
  for (int j = 0; j < m; j++)
    {
      double centre = (j + 0.5) * scale;
      int first = (int) (centre - support + 0.5);
      int last = (int) (centre + support + 0.5);
      if (first < 0)
        first = 0;
      if (last > n)
        last = n;
      int count = last - first;
      double *w = c->w + (gsize) j * c->ksize;
      double sum = 0;
      for (int i = 0; i < count; i++)
        {
          w[i] = triangle ((i + first - centre + 0.5) / fs);
          sum += w[i];
        }
      for (int i = 0; i < count; i++)
        {
          if (sum != 0.0)
            w[i] /= sum;
          c->k[(gsize) j * c->ksize + i] = (int) (0.5 + w[i] * (1 << PIL_PRECISION_BITS));
        }
      c->first[j] = first;
      c->count[j] = count;
    }
}

static void
coeffs_clear (Coeffs *c)
{
  g_free (c->first);
  g_free (c->count);
  g_free (c->w);
  g_free (c->k);
}

/* One pass along an axis. src/dst are interleaved; the axis has stride
 * `step` (in pixels) and `lines` lines of `line_step` pixels' distance. */
static void
resample_pass (const float *src, float *dst, int channels, const Coeffs *c, int m,
               gsize src_step, gsize dst_step, int lines, gsize src_line, gsize dst_line,
               gboolean q8)
{
  for (int l = 0; l < lines; l++)
    for (int j = 0; j < m; j++)
      {
        const float *in = src + (gsize) l * src_line * channels
                        + (gsize) c->first[j] * src_step * channels;
        float *out = dst + ((gsize) l * dst_line + (gsize) j * dst_step) * channels;
        const double *w = c->w + (gsize) j * c->ksize;
        const int *k = c->k + (gsize) j * c->ksize;
        for (int ch = 0; ch < channels; ch++)
          {
            if (q8)
              {
                gint64 acc = (gint64) 1 << (PIL_PRECISION_BITS - 1);
                for (int i = 0; i < c->count[j]; i++)
                  acc += (gint64) k[i]
                       * (gint64) lrintf (in[(gsize) i * src_step * channels + ch] * 255.0f);
                acc >>= PIL_PRECISION_BITS;
                out[ch] = (float) CLAMP (acc, 0, 255) / 255.0f;
              }
            else
              {
                double acc = 0;
                for (int i = 0; i < c->count[j]; i++)
                  acc += w[i] * in[(gsize) i * src_step * channels + ch];
                out[ch] = (float) acc;
              }
          }
      }
}

VkaImage *
vka_image_copy (const VkaImage *image, GError **error)
{
  VkaImage *copy = vka_image_new (image->width, image->height, image->channels, error);
  if (copy)
    memcpy (copy->pixels, image->pixels,
            sizeof (float) * image->width * image->height * image->channels);
  return copy;
}

VkaImage *
vka_image_resize (const VkaImage *image, int width, int height, gboolean quantize_8bit,
                  GError **error)
{
  if (width <= 0 || height <= 0)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                   "cannot resize a %d×%d image to %d×%d", image->width, image->height,
                   width, height);
      return NULL;
    }
  int ch = image->channels;
  g_autoptr (VkaImage) tmp = NULL;
  const VkaImage *src = image;
  if (width != image->width)
    {
      Coeffs c;
      tmp = vka_image_new (width, image->height, ch, error);
      if (!tmp)
        return NULL;
      coeffs_init (&c, image->width, width);
      resample_pass (image->pixels, tmp->pixels, ch, &c, width, 1, 1, image->height,
                     image->width, width, quantize_8bit);
      coeffs_clear (&c);
      src = tmp;
    }
  if (height == image->height)
    return src == image ? vka_image_copy (image, error) : g_steal_pointer (&tmp);
  VkaImage *out = vka_image_new (width, height, ch, error);
  if (!out)
    return NULL;
  Coeffs c;
  coeffs_init (&c, src->height, height);
  resample_pass (src->pixels, out->pixels, ch, &c, height, width, width, width, 1, 1,
                 quantize_8bit);
  coeffs_clear (&c);
  return out;
}

VkaImage *
vka_image_resize_shorter (const VkaImage *image, int size, gboolean quantize_8bit,
                          GError **error)
{
  int w = image->width, h = image->height;
  int shorter = MIN (w, h), longer = MAX (w, h);
  if (size <= 0 || shorter == size)
    return vka_image_copy (image, error);
  /* Python's int(size * long / short): true division, then truncation. */
  int new_long = (int) ((double) size * longer / shorter);
  if (new_long < 1)
    new_long = 1;
  return w <= h ? vka_image_resize (image, size, new_long, quantize_8bit, error)
                : vka_image_resize (image, new_long, size, quantize_8bit, error);
}

VkaImage *
vka_image_center_crop (const VkaImage *image, int size, GError **error)
{
  if (size <= 0)
    size = MIN (image->width, image->height);
  if (size > image->width || size > image->height)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                   "cannot crop a %d×%d square from a %d×%d image", size, size,
                   image->width, image->height);
      return NULL;
    }
  /* Python's round() rounds halves to even, as nearbyint does by default. */
  int top = (int) nearbyint ((image->height - size) / 2.0);
  int left = (int) nearbyint ((image->width - size) / 2.0);
  VkaImage *out = vka_image_new (size, size, image->channels, error);
  if (!out)
    return NULL;
  gsize row = (gsize) size * image->channels;
  for (int y = 0; y < size; y++)
    memcpy (out->pixels + y * row,
            image->pixels + ((gsize) (top + y) * image->width + left) * image->channels,
            row * sizeof (float));
  return out;
}

VkaImage *
vka_image_transform (const VkaImage *image, int size, gboolean crop, gboolean quantize_8bit,
                     GError **error)
{
  g_autoptr (VkaImage) resized = vka_image_resize_shorter (image, size, quantize_8bit, error);
  if (!resized || !crop)
    return g_steal_pointer (&resized);
  return vka_image_center_crop (resized, size, error);
}

VkaImage *
vka_image_load_transformed (const char *path, int size, gboolean crop, GError **error)
{
  VkaImageInfo info;
  g_autoptr (VkaImage) raw = vka_image_load (path, &info, error);
  return raw ? vka_image_transform (raw, size, crop, info.bits == 8, error) : NULL;
}
