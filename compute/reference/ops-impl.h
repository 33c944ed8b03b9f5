/* ops-impl.h — the plain-C reference of every op, written once over a real
 * type: ops-f32.c includes it with REAL = float (the oracle for backends),
 * ops-f64.c with REAL = double (for finite-difference gradient checks).
 * Needs REAL and P (the name prefix) defined. */
#include "reference.h"

#include <math.h>

#define FN_(p, name) p##name
#define FN(p, name) FN_ (p, name)

#ifndef VKA_REF_REFLECT_DEFINED
#define VKA_REF_REFLECT_DEFINED
static int
reflect (int i, int n)
{
  if (n == 1)
    return 0;
  if (i < 0)
    return -i;
  if (i >= n)
    return 2 * (n - 1) - i;
  return i;
}
#endif

void
FN (P, conv2d) (const REAL *in, int n, int cin, int h, int w,
                const REAL *weight, const REAL *bias, int cout, int k,
                int relu, REAL *out)
{
  int pad = k / 2;
  size_t plane = (size_t) h * w;
  for (int b = 0; b < n; b++)
    for (int co = 0; co < cout; co++)
      for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
          {
            double acc = bias[co];
            for (int ci = 0; ci < cin; ci++)
              {
                const REAL *src = in + ((size_t) b * cin + ci) * plane;
                const REAL *wk = weight + ((size_t) co * cin + ci) * k * k;
                for (int ky = 0; ky < k; ky++)
                  {
                    int sy = reflect (y + ky - pad, h);
                    for (int kx = 0; kx < k; kx++)
                      {
                        int sx = reflect (x + kx - pad, w);
                        acc += (double) wk[ky * k + kx] * src[(size_t) sy * w + sx];
                      }
                  }
              }
            if (relu && acc < 0)
              acc = 0;
            out[(((size_t) b * cout + co) * h + y) * w + x] = (REAL) acc;
          }
}

void
FN (P, maxpool2x2) (const REAL *in, int planes, int h, int w, REAL *out)
{
  int oh = (h + 1) / 2, ow = (w + 1) / 2;
  for (int p = 0; p < planes; p++)
    for (int y = 0; y < oh; y++)
      for (int x = 0; x < ow; x++)
        {
          const REAL *src = in + (size_t) p * h * w;
          REAL m = -INFINITY;
          for (int dy = 0; dy < 2; dy++)
            for (int dx = 0; dx < 2; dx++)
              {
                int sy = 2 * y + dy, sx = 2 * x + dx;
                if (sy < h && sx < w && src[(size_t) sy * w + sx] > m)
                  m = src[(size_t) sy * w + sx];
              }
          out[((size_t) p * oh + y) * ow + x] = m;
        }
}

void
FN (P, upsample2x) (const REAL *in, int planes, int h, int w, REAL *out)
{
  int oh = 2 * h, ow = 2 * w;
  for (int p = 0; p < planes; p++)
    for (int y = 0; y < oh; y++)
      for (int x = 0; x < ow; x++)
        out[((size_t) p * oh + y) * ow + x] = in[((size_t) p * h + y / 2) * w + x / 2];
}

#ifndef VKA_REF_BILINEAR_DEFINED
#define VKA_REF_BILINEAR_DEFINED
static int
clamp_index (int i, int n)
{
  return i < 0 ? 0 : i > n - 1 ? n - 1 : i;
}

/* The weight of input index i in output index o of a bilinear ×2
 * upsampling along an axis of n inputs (align_corners=False): o reads
 * o/2 with 0.75 and the neighbour on o's side (o/2 − 1 for even o,
 * o/2 + 1 for odd) with 0.25, that neighbour clamped to [0, n−1]. */
static double
bilinear2x_weight (int o, int i, int n)
{
  int near = o / 2;
  int far = clamp_index (o % 2 ? near + 1 : near - 1, n);
  return (near == i ? 0.75 : 0.0) + (far == i ? 0.25 : 0.0);
}
#endif

/* Each output is the weighted sum of the inputs within one pixel of its
 * source pixel (y/2, x/2); bilinear2x_weight is zero for the others. */
void
FN (P, upsample2x_bilinear) (const REAL *in, int planes, int h, int w, REAL *out)
{
  int oh = 2 * h, ow = 2 * w;
  for (int p = 0; p < planes; p++)
    for (int y = 0; y < oh; y++)
      for (int x = 0; x < ow; x++)
        {
          const REAL *src = in + (size_t) p * h * w;
          double acc = 0;
          for (int sy = clamp_index (y / 2 - 1, h); sy <= clamp_index (y / 2 + 1, h); sy++)
            for (int sx = clamp_index (x / 2 - 1, w); sx <= clamp_index (x / 2 + 1, w); sx++)
              {
                double weight = bilinear2x_weight (y, sy, h) * bilinear2x_weight (x, sx, w);
                /* skipped, not added: 0 times an infinity is NaN */
                if (weight != 0)
                  acc += weight * src[(size_t) sy * w + sx];
              }
          out[((size_t) p * oh + y) * ow + x] = (REAL) acc;
        }
}

void
FN (P, channel_stats) (const REAL *in, int planes, size_t pixels, REAL *stats)
{
  for (int p = 0; p < planes; p++)
    {
      const REAL *src = in + (size_t) p * pixels;
      double sum = 0;
      for (size_t i = 0; i < pixels; i++)
        sum += src[i];
      double mean = sum / (double) pixels;
      double ss = 0;
      for (size_t i = 0; i < pixels; i++)
        ss += (src[i] - mean) * (src[i] - mean);
      double var = pixels > 1 ? ss / (double) (pixels - 1) : 0.0;
      stats[2 * p] = (REAL) mean;
      stats[2 * p + 1] = (REAL) sqrt (var + 1e-5);
    }
}

void
FN (P, channel_moments) (const REAL *in, int planes, int h, int w, int y0, int x0, int wh,
                         int ww, REAL *moments)
{
  for (int p = 0; p < planes; p++)
    {
      const REAL *src = in + (size_t) p * h * w;
      double sum = 0;
      for (int y = y0; y < y0 + wh; y++)
        for (int x = x0; x < x0 + ww; x++)
          sum += src[(size_t) y * w + x];
      double mean = sum / ((double) wh * ww);
      double m2 = 0;
      for (int y = y0; y < y0 + wh; y++)
        for (int x = x0; x < x0 + ww; x++)
          m2 += (src[(size_t) y * w + x] - mean) * (src[(size_t) y * w + x] - mean);
      moments[2 * p] = (REAL) mean;
      moments[2 * p + 1] = (REAL) m2;
    }
}

void
FN (P, adain) (const REAL *x, const REAL *x_stats, const REAL *target_stats,
               int planes, size_t pixels, double alpha, REAL *out)
{
  for (int p = 0; p < planes; p++)
    {
      double xm = x_stats[2 * p], xs = x_stats[2 * p + 1];
      double tm = target_stats[2 * p], ts = target_stats[2 * p + 1];
      for (size_t i = 0; i < pixels; i++)
        {
          double v = x[(size_t) p * pixels + i];
          double t = ts * (v - xm) / xs + tm;
          out[(size_t) p * pixels + i] = (REAL) (alpha * t + (1.0 - alpha) * v);
        }
    }
}

void
FN (P, image_to_tensor) (const REAL *image, int h, int w, int channels, REAL *out)
{
  size_t plane = (size_t) h * w;
  for (size_t i = 0; i < plane; i++)
    for (int c = 0; c < 3; c++)
      out[c * plane + i] = image[i * channels + (channels < 3 ? 0 : c)];
}

void
FN (P, tensor_to_image) (const REAL *in, int th, int tw, int y0, int x0, int h, int w,
                         REAL *image)
{
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < 3; c++)
        {
          REAL v = in[((size_t) c * th + y0 + y) * tw + x0 + x];
          image[((size_t) y * w + x) * 3 + c] = v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
        }
}

void
FN (P, mask_blend) (const REAL *a, const REAL *b, const REAL *mask, int n, int channels,
                    size_t pixels, REAL *out)
{
  for (int i = 0; i < n; i++)
    for (int c = 0; c < channels; c++)
      for (size_t p = 0; p < pixels; p++)
        {
          size_t at = ((size_t) i * channels + c) * pixels + p;
          REAL m = mask[(size_t) i * pixels + p];
          out[at] = m * a[at] + (1.0f - m) * b[at];
        }
}

/* ---- backward ops (training) ------------------------------------------- */

/* din = ∂L/∂in of conv2d given dout = ∂L/∂out (reflection padding folded
 * back: a padded position's gradient goes to the pixel it mirrors). */
void
FN (P, conv2d_backward_data) (const REAL *dout, int n, int cout, int h, int w,
                              const REAL *weight, int cin, int k, REAL *din)
{
  int pad = k / 2;
  size_t plane = (size_t) h * w;
  for (size_t i = 0; i < (size_t) n * cin * plane; i++)
    din[i] = 0;
  for (int b = 0; b < n; b++)
    for (int co = 0; co < cout; co++)
      for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
          {
            double g = dout[(((size_t) b * cout + co) * h + y) * w + x];
            for (int ci = 0; ci < cin; ci++)
              {
                const REAL *wk = weight + ((size_t) co * cin + ci) * k * k;
                REAL *dst = din + ((size_t) b * cin + ci) * plane;
                for (int ky = 0; ky < k; ky++)
                  for (int kx = 0; kx < k; kx++)
                    {
                      int sy = reflect (y + ky - pad, h), sx = reflect (x + kx - pad, w);
                      dst[(size_t) sy * w + sx] += (REAL) (g * wk[ky * k + kx]);
                    }
              }
          }
}

/* dweight = ∂L/∂weight and dbias = ∂L/∂bias of conv2d, summed over the batch. */
void
FN (P, conv2d_backward_weight) (const REAL *in, const REAL *dout, int n, int cin, int h,
                                int w, int cout, int k, REAL *dweight, REAL *dbias)
{
  int pad = k / 2;
  size_t plane = (size_t) h * w;
  for (int co = 0; co < cout; co++)
    {
      double db = 0;
      for (int b = 0; b < n; b++)
        for (size_t i = 0; i < plane; i++)
          db += dout[((size_t) b * cout + co) * plane + i];
      dbias[co] = (REAL) db;
      for (int ci = 0; ci < cin; ci++)
        for (int ky = 0; ky < k; ky++)
          for (int kx = 0; kx < k; kx++)
            {
              double acc = 0;
              for (int b = 0; b < n; b++)
                {
                  const REAL *src = in + ((size_t) b * cin + ci) * plane;
                  const REAL *g = dout + ((size_t) b * cout + co) * plane;
                  for (int y = 0; y < h; y++)
                    {
                      int sy = reflect (y + ky - pad, h);
                      for (int x = 0; x < w; x++)
                        acc += (double) g[(size_t) y * w + x]
                             * src[(size_t) sy * w + reflect (x + kx - pad, w)];
                    }
                }
              dweight[(((size_t) co * cin + ci) * k + ky) * k + kx] = (REAL) acc;
            }
    }
}

/* dx = dy where the ReLU's output y is positive. */
void
FN (P, relu_backward) (const REAL *y, const REAL *dy, size_t count, REAL *dx)
{
  for (size_t i = 0; i < count; i++)
    dx[i] = y[i] > 0 ? dy[i] : 0;
}

/* Each output's gradient goes to the first maximum of its window (row-major
 * order, as PyTorch picks it). h, w: the input's size. */
void
FN (P, maxpool2x2_backward) (const REAL *in, int planes, int h, int w, const REAL *dout,
                             REAL *din)
{
  int oh = (h + 1) / 2, ow = (w + 1) / 2;
  for (size_t i = 0; i < (size_t) planes * h * w; i++)
    din[i] = 0;
  for (int p = 0; p < planes; p++)
    for (int y = 0; y < oh; y++)
      for (int x = 0; x < ow; x++)
        {
          const REAL *src = in + (size_t) p * h * w;
          size_t best = (size_t) -1;
          for (int dy = 0; dy < 2; dy++)
            for (int dx = 0; dx < 2; dx++)
              {
                int sy = 2 * y + dy, sx = 2 * x + dx;
                size_t at = (size_t) sy * w + sx;
                if (sy < h && sx < w && (best == (size_t) -1 || src[at] > src[best]))
                  best = at;
              }
          din[(size_t) p * h * w + best] += dout[((size_t) p * oh + y) * ow + x];
        }
}

/* din (h × w) = sum of dout over each 2×2 block it was copied to. */
void
FN (P, upsample2x_backward) (const REAL *dout, int planes, int h, int w, REAL *din)
{
  int ow = 2 * w;
  for (int p = 0; p < planes; p++)
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        {
          const REAL *g = dout + (size_t) p * 4 * h * w;
          din[((size_t) p * h + y) * w + x] =
            g[(size_t) (2 * y) * ow + 2 * x] + g[(size_t) (2 * y) * ow + 2 * x + 1]
            + g[(size_t) (2 * y + 1) * ow + 2 * x] + g[(size_t) (2 * y + 1) * ow + 2 * x + 1];
        }
}

/* The transpose of upsample2x_bilinear, as a gather: din[y][x] sums dout
 * over the outputs that read (y, x), those within rows 2y−1 … 2y+2 and
 * columns 2x−1 … 2x+2 (all with a weight above 0), each times the weight
 * it read (y, x) with. */
void
FN (P, upsample2x_bilinear_backward) (const REAL *dout, int planes, int h, int w, REAL *din)
{
  int oh = 2 * h, ow = 2 * w;
  for (int p = 0; p < planes; p++)
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        {
          const REAL *g = dout + (size_t) p * oh * ow;
          double acc = 0;
          for (int oy = clamp_index (2 * y - 1, oh); oy <= clamp_index (2 * y + 2, oh); oy++)
            for (int ox = clamp_index (2 * x - 1, ow); ox <= clamp_index (2 * x + 2, ow); ox++)
              acc += bilinear2x_weight (oy, y, h) * bilinear2x_weight (ox, x, w)
                     * g[(size_t) oy * ow + ox];
          din[((size_t) p * h + y) * w + x] = (REAL) acc;
        }
}

/* Backward of channel_stats: dstats holds (∂L/∂mean, ∂L/∂std) per plane.
 * ∂mean/∂x = 1/n; ∂std/∂x = (x − mean) / ((n − 1)·std), 0 when n = 1. */
void
FN (P, channel_stats_backward) (const REAL *in, int planes, size_t pixels,
                                const REAL *stats, const REAL *dstats, REAL *din)
{
  for (int p = 0; p < planes; p++)
    {
      double mean = stats[2 * p], std = stats[2 * p + 1];
      double dmean = dstats[2 * p], dstd = dstats[2 * p + 1];
      double k = pixels > 1 ? dstd / ((double) (pixels - 1) * std) : 0.0;
      for (size_t i = 0; i < pixels; i++)
        din[(size_t) p * pixels + i] =
          (REAL) (dmean / (double) pixels + k * (in[(size_t) p * pixels + i] - mean));
    }
}

/* Mean squared error, and its gradient with respect to a, times scale. */
double
FN (P, mse) (const REAL *a, const REAL *b, size_t count)
{
  double sum = 0;
  for (size_t i = 0; i < count; i++)
    sum += ((double) a[i] - b[i]) * ((double) a[i] - b[i]);
  return sum / (double) count;
}

void
FN (P, mse_backward) (const REAL *a, const REAL *b, size_t count, double scale, REAL *da)
{
  for (size_t i = 0; i < count; i++)
    da[i] = (REAL) (scale * 2.0 * ((double) a[i] - b[i]) / (double) count);
}

/* out = a + b */
void
FN (P, add) (const REAL *a, const REAL *b, size_t count, REAL *out)
{
  for (size_t i = 0; i < count; i++)
    out[i] = a[i] + b[i];
}

/* One Adam step as PyTorch takes it (t counts from 1):
 * m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²;
 * p −= lr/(1−β1^t) · m / (sqrt(v)/sqrt(1−β2^t) + ε).
 * With sgd set: p −= lr·g, and m, v are left alone. */
void
FN (P, optimizer_step) (REAL *param, const REAL *grad, REAL *m, REAL *v, size_t count,
                        int sgd, double lr, double beta1, double beta2, double eps, int t)
{
  double bc1 = 1.0 - pow (beta1, t), bc2 = 1.0 - pow (beta2, t);
  for (size_t i = 0; i < count; i++)
    {
      double g = grad[i];
      if (sgd)
        {
          param[i] = (REAL) (param[i] - lr * g);
          continue;
        }
      double mi = beta1 * m[i] + (1.0 - beta1) * g;
      double vi = beta2 * v[i] + (1.0 - beta2) * g * g;
      m[i] = (REAL) mi;
      v[i] = (REAL) vi;
      param[i] = (REAL) (param[i] - lr / bc1 * mi / (sqrt (vi) / sqrt (bc2) + eps));
    }
}

#undef FN
#undef FN_
