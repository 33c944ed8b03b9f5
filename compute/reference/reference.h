/* reference.h — plain-C ops: the oracle every backend is tested against.
 * Straightforward loops with double accumulation, NCHW. Each op exists on
 * float (vka_ref_*) and on double (vka_ref64_*, for gradient checks).
 *
 * conv2d: out[n][co][y][x] = bias[co] + Σ w[co][ci][ky][kx]·in[n][ci][y+ky−p][x+kx−p]
 *   with p = k/2 (k is 1 or 3) and reflection padding (a map of size 1
 *   reads its only element); ReLU after when relu.
 * maxpool2x2: 2×2 stride 2, ceil mode (⌈h/2⌉ × ⌈w/2⌉ per plane).
 * upsample2x_bilinear: PyTorch's bilinear ×2 with align_corners=False:
 *   output index o reads input o/2 with 0.75 and its neighbour on o's side
 *   (o/2 − 1 for even o, o/2 + 1 for odd, clamped) with 0.25, per axis.
 * channel_stats: stats[plane] = (mean, sqrt(unbiased var + 1e-5)); var 0
 *   for a one-pixel plane.
 * channel_moments: moments[plane] = (mean, M2) of the wh × ww window at
 *   (y0, x0), M2 being the sum of squared deviations from the mean.
 * adain: α·(σt·(x−μx)/σx + μt) + (1−α)·x per plane.
 * tensor_to_image: the h × w window at (y0, x0), clamped to [0,1].
 * The *_backward ops give ∂L/∂input from ∂L/∂output (see ops-impl.h). */
#pragma once

#include <stddef.h>

#define VKA_REF_DECLARE(REAL, P) \
  void P##conv2d (const REAL *in, int n, int cin, int h, int w, const REAL *weight, \
                  const REAL *bias, int cout, int k, int relu, REAL *out); \
  void P##maxpool2x2 (const REAL *in, int planes, int h, int w, REAL *out); \
  void P##upsample2x (const REAL *in, int planes, int h, int w, REAL *out); \
  void P##upsample2x_bilinear (const REAL *in, int planes, int h, int w, REAL *out); \
  void P##channel_stats (const REAL *in, int planes, size_t pixels, REAL *stats); \
  void P##channel_moments (const REAL *in, int planes, int h, int w, int y0, int x0, \
                           int wh, int ww, REAL *moments); \
  void P##adain (const REAL *x, const REAL *x_stats, const REAL *target_stats, \
                 int planes, size_t pixels, double alpha, REAL *out); \
  void P##image_to_tensor (const REAL *image, int h, int w, int channels, REAL *out); \
  void P##tensor_to_image (const REAL *in, int th, int tw, int y0, int x0, int h, int w, \
                           REAL *image); \
  void P##mask_blend (const REAL *a, const REAL *b, const REAL *mask, int n, \
                      int channels, size_t pixels, REAL *out); \
  void P##conv2d_backward_data (const REAL *dout, int n, int cout, int h, int w, \
                                const REAL *weight, int cin, int k, REAL *din); \
  void P##conv2d_backward_weight (const REAL *in, const REAL *dout, int n, int cin, \
                                  int h, int w, int cout, int k, REAL *dweight, \
                                  REAL *dbias); \
  void P##relu_backward (const REAL *y, const REAL *dy, size_t count, REAL *dx); \
  void P##maxpool2x2_backward (const REAL *in, int planes, int h, int w, \
                               const REAL *dout, REAL *din); \
  void P##upsample2x_backward (const REAL *dout, int planes, int h, int w, REAL *din); \
  void P##upsample2x_bilinear_backward (const REAL *dout, int planes, int h, int w, \
                                        REAL *din); \
  void P##channel_stats_backward (const REAL *in, int planes, size_t pixels, \
                                  const REAL *stats, const REAL *dstats, REAL *din); \
  double P##mse (const REAL *a, const REAL *b, size_t count); \
  void P##mse_backward (const REAL *a, const REAL *b, size_t count, double scale, \
                        REAL *da); \
  void P##add (const REAL *a, const REAL *b, size_t count, REAL *out); \
  void P##optimizer_step (REAL *param, const REAL *grad, REAL *m, REAL *v, size_t count, \
                          int sgd, double lr, double beta1, double beta2, double eps, int t);

VKA_REF_DECLARE (float, vka_ref_)
VKA_REF_DECLARE (double, vka_ref64_)
