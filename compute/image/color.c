/* color.c — colour preservation: CORAL as the PyTorch reference computes
 * it, and luminance-only transfer.
 *
 * CORAL, exactly as the reference's coral(source, target) with source the
 * style and target the content (X: 3×N pixels of one image):
 *   μ, σ  per channel (σ with the unbiased N−1 divisor),
 *   X̂ = (X − μ) / σ,
 *   M = X̂ X̂ᵀ + I            <- NOT divided by N: the reference's quirk.
 *   out = sqrt(M_c) · sqrt(M_s)⁻¹ · X̂_s · σ_c + μ_c
 * X̂X̂ᵀ is (N−1)·correlation, so the identity's weight (and with it the
 * result) depends on the two pictures' pixel counts; for large pictures it
 * tends to whitening/colouring with the correlation matrices. We match the
 * reference (the golden tests check it) rather than normalise. The 3×3
 * square roots use a Jacobi eigen-decomposition (M is symmetric positive
 * definite, so its SVD is its eigen-decomposition). Sums are in double.
 * A channel with σ = 0 (a flat channel; the reference would divide by 0)
 * is taken as σ = 1 so that the result stays finite.
 *
 * Luminance: BT.601 luma Y = 0.299 R + 0.587 G + 0.114 B; the result is
 * content + (Y_out − Y_content) on each of R, G, B, which is "the output's Y
 * with the content's chroma" in YCbCr or YIQ alike (both use this Y and are
 * linear in RGB), then clamped to [0,1].
 */
#include "vka-color.h"

#include <math.h>
#include <string.h>

typedef struct
{
  double mean[3], std[3];
  double m[3][3];   /* X̂X̂ᵀ + I */
} Moments;

/* Reads the picture in strips of rows, in pixel order; each pass of
 * moments() visits every pixel once with the same sums as a loop over the
 * whole picture would make. */
typedef struct
{
  const VkaImageSource *src;
  float                *rows;
  int                   strip;
} StripReader;

#define STRIP_PIXELS (1 << 16)

static float
channel (const float *px, int ch, int c)
{
  return ch < 3 ? px[0] : px[c];
}

typedef void (*PixelFunc) (const float *px, int ch, gpointer data);

static gboolean
for_each_pixel (StripReader *r, PixelFunc f, gpointer data, GError **error)
{
  const VkaImageSource *src = r->src;
  for (int y = 0; y < src->height; y += r->strip)
    {
      int h = MIN (r->strip, src->height - y);
      const float *rows = src->image ? src->image->pixels + (gsize) y * src->width * src->channels
                                     : r->rows;
      if (!src->image && !src->read (src->data, 0, y, src->width, h, r->rows, error))
        return FALSE;
      for (gsize i = 0; i < (gsize) src->width * h; i++)
        f (rows + i * src->channels, src->channels, data);
    }
  return TRUE;
}

typedef struct
{
  Moments *mo;
  double   acc[3];
} Pass;

static void
add_sum (const float *px, int ch, gpointer data)
{
  Pass *p = data;
  for (int c = 0; c < 3; c++)
    p->acc[c] += channel (px, ch, c);
}

static void
add_square (const float *px, int ch, gpointer data)
{
  Pass *p = data;
  for (int c = 0; c < 3; c++)
    {
      double d = channel (px, ch, c) - p->mo->mean[c];
      p->acc[c] += d * d;
    }
}

static void
add_outer (const float *px, int ch, gpointer data)
{
  Moments *mo = data;
  double x[3];
  for (int c = 0; c < 3; c++)
    x[c] = (channel (px, ch, c) - mo->mean[c]) / mo->std[c];
  for (int a = 0; a < 3; a++)
    for (int b = a; b < 3; b++)
      mo->m[a][b] += x[a] * x[b];
}

static gboolean
moments (const VkaImageSource *src, Moments *mo, GError **error)
{
  StripReader r = { src, NULL, MAX (1, STRIP_PIXELS / src->width) };
  if (!src->image)
    {
      r.rows = g_try_new (float, (gsize) r.strip * src->width * src->channels);
      if (!r.rows)
        {
          g_set_error (error, VKA_ERROR, VKA_ERROR_OUT_OF_MEMORY,
                       "cannot allocate rows of a %d-pixel-wide picture", src->width);
          return FALSE;
        }
    }
  gsize n = (gsize) src->width * src->height;
  memset (mo, 0, sizeof *mo);
  Pass sums = { mo, { 0 } }, squares = { mo, { 0 } };
  gboolean ok = for_each_pixel (&r, add_sum, &sums, error);
  for (int c = 0; c < 3; c++)
    mo->mean[c] = sums.acc[c] / n;
  ok = ok && for_each_pixel (&r, add_square, &squares, error);
  for (int c = 0; c < 3; c++)
    {
      mo->std[c] = n > 1 ? sqrt (squares.acc[c] / (n - 1)) : 0.0;
      if (!(mo->std[c] > 0))
        mo->std[c] = 1.0;
    }
  ok = ok && for_each_pixel (&r, add_outer, mo, error);
  for (int a = 0; a < 3; a++)
    {
      mo->m[a][a] += 1.0;
      for (int b = 0; b < a; b++)
        mo->m[a][b] = mo->m[b][a];
    }
  g_free (r.rows);
  return ok;
}

/* Jacobi eigen-decomposition of a symmetric 3×3: a = V diag(d) Vᵀ. */
static void
eigen3 (const double a_in[3][3], double d[3], double v[3][3])
{
  double a[3][3];
  memcpy (a, a_in, sizeof a);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      v[i][j] = i == j;
  for (int sweep = 0; sweep < 50; sweep++)
    {
      double off = fabs (a[0][1]) + fabs (a[0][2]) + fabs (a[1][2]);
      if (off < 1e-300)
        break;
      for (int p = 0; p < 2; p++)
        for (int q = p + 1; q < 3; q++)
          {
            if (a[p][q] == 0.0)
              continue;
            double theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
            double t = (theta >= 0 ? 1.0 : -1.0) / (fabs (theta) + sqrt (theta * theta + 1));
            double c = 1 / sqrt (t * t + 1), s = t * c;
            for (int k = 0; k < 3; k++)
              {
                double akp = a[k][p], akq = a[k][q];
                a[k][p] = c * akp - s * akq;
                a[k][q] = s * akp + c * akq;
              }
            for (int k = 0; k < 3; k++)
              {
                double apk = a[p][k], aqk = a[q][k];
                a[p][k] = c * apk - s * aqk;
                a[q][k] = s * apk + c * aqk;
              }
            for (int k = 0; k < 3; k++)
              {
                double vkp = v[k][p], vkq = v[k][q];
                v[k][p] = c * vkp - s * vkq;
                v[k][q] = s * vkp + c * vkq;
              }
          }
    }
  for (int i = 0; i < 3; i++)
    d[i] = a[i][i];
}

/* r = V diag(f(d)) Vᵀ with f = d^power. */
static void
matrix_power (const double m[3][3], double power, double r[3][3])
{
  double d[3], v[3][3];
  eigen3 (m, d, v);
  for (int i = 0; i < 3; i++)
    d[i] = pow (MAX (d[i], 1e-300), power);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      {
        double s = 0;
        for (int k = 0; k < 3; k++)
          s += v[i][k] * d[k] * v[j][k];
        r[i][j] = s;
      }
}

VkaImage *
vka_color_coral_source (const VkaImage *style, const VkaImageSource *content, GError **error)
{
  if (!style || !content || !style->pixels || content->width <= 0 || content->height <= 0)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                   "colour transfer needs a style and a content image");
      return NULL;
    }
  VkaImageSource style_source;
  vka_image_source_init (&style_source, style);
  Moments s, c;
  if (!moments (&style_source, &s, error) || !moments (content, &c, error))
    return NULL;
  double sqrt_c[3][3], inv_sqrt_s[3][3], t[3][3];
  matrix_power (c.m, 0.5, sqrt_c);
  matrix_power (s.m, -0.5, inv_sqrt_s);
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      {
        double v = 0;
        for (int k = 0; k < 3; k++)
          v += sqrt_c[i][k] * inv_sqrt_s[k][j];
        t[i][j] = v;
      }
  VkaImage *out = vka_image_new (style->width, style->height, 3, error);
  if (!out)
    return NULL;
  gsize n = (gsize) style->width * style->height;
  for (gsize i = 0; i < n; i++)
    {
      const float *px = style->pixels + i * style->channels;
      double x[3];
      for (int k = 0; k < 3; k++)
        x[k] = (channel (px, style->channels, k) - s.mean[k]) / s.std[k];
      for (int r = 0; r < 3; r++)
        out->pixels[i * 3 + r]
          = (float) ((t[r][0] * x[0] + t[r][1] * x[1] + t[r][2] * x[2]) * c.std[r] + c.mean[r]);
    }
  return out;
}

VkaImage *
vka_color_coral (const VkaImage *style, const VkaImage *content, GError **error)
{
  if (!content || !content->pixels)
    return vka_color_coral_source (NULL, NULL, error);
  VkaImageSource source;
  vka_image_source_init (&source, content);
  return vka_color_coral_source (style, &source, error);
}

void
vka_color_luminance_pixels (float *out, int out_channels, const float *content,
                            int content_channels, gsize n)
{
  for (gsize i = 0; i < n; i++)
    {
      float *o = out + i * out_channels;
      const float *px = content + i * content_channels;
      float cr = channel (px, content_channels, 0), cg = channel (px, content_channels, 1),
            cb = channel (px, content_channels, 2);
      float dy = 0.299f * o[0] + 0.587f * o[1] + 0.114f * o[2]
               - (0.299f * cr + 0.587f * cg + 0.114f * cb);
      o[0] = CLAMP (cr + dy, 0.0f, 1.0f);
      o[1] = CLAMP (cg + dy, 0.0f, 1.0f);
      o[2] = CLAMP (cb + dy, 0.0f, 1.0f);
    }
}

gboolean
vka_color_luminance (VkaImage *out, const VkaImage *content, GError **error)
{
  if (out->channels < 3 || out->width != content->width || out->height != content->height)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                   "luminance transfer needs an RGB output of the content's size "
                   "(%d×%d×%d for %d×%d)", out->width, out->height, out->channels,
                   content->width, content->height);
      return FALSE;
    }
  vka_color_luminance_pixels (out->pixels, out->channels, content->pixels, content->channels,
                              (gsize) out->width * out->height);
  return TRUE;
}

static gboolean
luminance_write (gpointer data, int x, int y, int w, int h, const float *src, GError **error)
{
  VkaLuminanceSink *l = data;
  int ch = l->inner.channels, cch = l->content->channels;
  gsize n = (gsize) w * h;
  g_autofree float *out = g_try_new (float, n * ch);
  g_autofree float *content = out ? g_try_new (float, n * cch) : NULL;
  if (!content)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_OUT_OF_MEMORY,
                   "cannot allocate a %d×%d region", w, h);
      return FALSE;
    }
  memcpy (out, src, n * ch * sizeof (float));
  if (!l->content->read (l->content->data, x, y, w, h, content, error))
    return FALSE;
  vka_color_luminance_pixels (out, ch, content, cch, n);
  return l->inner.write (l->inner.data, x, y, w, h, out, error);
}

void
vka_color_luminance_sink (VkaLuminanceSink *state, const VkaImageSink *inner,
                          const VkaImageSource *content, VkaImageSink *sink)
{
  *state = (VkaLuminanceSink) { *inner, content };
  *sink = (VkaImageSink) { inner->channels, luminance_write, state };
}
