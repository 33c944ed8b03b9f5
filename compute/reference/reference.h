/* reference.h — plain-C forward ops: the oracle every backend is tested
 * against. Straightforward loops, double accumulation, NCHW float32. */
#pragma once

#include <stddef.h>

/* Reflection index for padding 1 (PyTorch ReflectionPad2d); a map of size 1
 * reads its only element. */
int  vka_ref_reflect (int i, int n);

/* out[n][co][y][x] = bias[co] + Σ w[co][ci][ky][kx] · in[n][ci][y+ky−p][x+kx−p]
 * with p = k/2 and reflection padding; k is 1 or 3. */
void vka_ref_conv2d (const float *in, int n, int cin, int h, int w,
                     const float *weight, const float *bias, int cout, int k,
                     int relu, float *out);
/* 2×2 stride 2 ceil mode: out is ⌈h/2⌉ × ⌈w/2⌉ per plane. */
void vka_ref_maxpool2x2 (const float *in, int planes, int h, int w, float *out);
void vka_ref_upsample2x (const float *in, int planes, int h, int w, float *out);
/* stats[plane][0] = mean, stats[plane][1] = sqrt(unbiased var + 1e-5). */
void vka_ref_channel_stats (const float *in, int planes, size_t pixels, float *stats);
void vka_ref_adain (const float *x, const float *x_stats, const float *target_stats,
                    int planes, size_t pixels, float alpha, float *out);
void vka_ref_image_to_tensor (const float *image, int h, int w, int channels,
                              float *out);
void vka_ref_tensor_to_image (const float *in, int th, int tw, int y0, int x0,
                              int h, int w, float *image);
void vka_ref_mask_blend (const float *a, const float *b, const float *mask, int n,
                         int channels, size_t pixels, float *out);
