/* ops.c — the plain-C reference of every forward op. */
#include "reference.h"

#include <math.h>

int
vka_ref_reflect (int i, int n)
{
  if (n == 1)
    return 0;
  if (i < 0)
    return -i;
  if (i >= n)
    return 2 * (n - 1) - i;
  return i;
}

void
vka_ref_conv2d (const float *in, int n, int cin, int h, int w,
                const float *weight, const float *bias, int cout, int k,
                int relu, float *out)
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
                const float *src = in + ((size_t) b * cin + ci) * plane;
                const float *wk = weight + ((size_t) co * cin + ci) * k * k;
                for (int ky = 0; ky < k; ky++)
                  {
                    int sy = vka_ref_reflect (y + ky - pad, h);
                    for (int kx = 0; kx < k; kx++)
                      {
                        int sx = vka_ref_reflect (x + kx - pad, w);
                        acc += (double) wk[ky * k + kx] * src[(size_t) sy * w + sx];
                      }
                  }
              }
            if (relu && acc < 0)
              acc = 0;
            out[(((size_t) b * cout + co) * h + y) * w + x] = (float) acc;
          }
}

void
vka_ref_maxpool2x2 (const float *in, int planes, int h, int w, float *out)
{
  int oh = (h + 1) / 2, ow = (w + 1) / 2;
  for (int p = 0; p < planes; p++)
    for (int y = 0; y < oh; y++)
      for (int x = 0; x < ow; x++)
        {
          const float *src = in + (size_t) p * h * w;
          float m = -INFINITY;
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
vka_ref_upsample2x (const float *in, int planes, int h, int w, float *out)
{
  int oh = 2 * h, ow = 2 * w;
  for (int p = 0; p < planes; p++)
    for (int y = 0; y < oh; y++)
      for (int x = 0; x < ow; x++)
        out[((size_t) p * oh + y) * ow + x] = in[((size_t) p * h + y / 2) * w + x / 2];
}

void
vka_ref_channel_stats (const float *in, int planes, size_t pixels, float *stats)
{
  for (int p = 0; p < planes; p++)
    {
      const float *src = in + (size_t) p * pixels;
      double sum = 0;
      for (size_t i = 0; i < pixels; i++)
        sum += src[i];
      double mean = sum / (double) pixels;
      double ss = 0;
      for (size_t i = 0; i < pixels; i++)
        ss += (src[i] - mean) * (src[i] - mean);
      double var = pixels > 1 ? ss / (double) (pixels - 1) : 0.0;
      stats[2 * p] = (float) mean;
      stats[2 * p + 1] = (float) sqrt (var + 1e-5);
    }
}

void
vka_ref_adain (const float *x, const float *x_stats, const float *target_stats,
               int planes, size_t pixels, float alpha, float *out)
{
  for (int p = 0; p < planes; p++)
    {
      double xm = x_stats[2 * p], xs = x_stats[2 * p + 1];
      double tm = target_stats[2 * p], ts = target_stats[2 * p + 1];
      for (size_t i = 0; i < pixels; i++)
        {
          double v = x[(size_t) p * pixels + i];
          double t = ts * (v - xm) / xs + tm;
          out[(size_t) p * pixels + i] = (float) (alpha * t + (1.0 - alpha) * v);
        }
    }
}

void
vka_ref_image_to_tensor (const float *image, int h, int w, int channels, float *out)
{
  size_t plane = (size_t) h * w;
  for (size_t i = 0; i < plane; i++)
    for (int c = 0; c < 3; c++)
      out[c * plane + i] = image[i * channels + (channels < 3 ? 0 : c)];
}

void
vka_ref_tensor_to_image (const float *in, int th, int tw, int y0, int x0, int h, int w,
                         float *image)
{
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < 3; c++)
        {
          float v = in[((size_t) c * th + y0 + y) * tw + x0 + x];
          image[((size_t) y * w + x) * 3 + c] = v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
        }
}

void
vka_ref_mask_blend (const float *a, const float *b, const float *mask, int n, int channels,
                    size_t pixels, float *out)
{
  for (int i = 0; i < n; i++)
    for (int c = 0; c < channels; c++)
      for (size_t p = 0; p < pixels; p++)
        {
          size_t at = ((size_t) i * channels + c) * pixels + p;
          float m = mask[(size_t) i * pixels + p];
          out[at] = m * a[at] + (1.0f - m) * b[at];
        }
}
