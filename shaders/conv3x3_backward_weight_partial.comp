#version 450
#extension GL_GOOGLE_include_directive : require
/* conv3x3_backward_weight_partial: for one (co, ci) pair and one chunk of the
 * batch's pixels, the 9 sums Σ dout[n][co][y][x]·in[n][ci][y+ky−1][x+kx−1]
 * (reflected), and for ci = 0 also Σ dout (the bias gradient).
 * partial[chunk] = [Cout][Cin][9] weights, then [Cout] biases.
 * Grid: x = ⌈Cout·Cin/64⌉, y = n_chunks. */
#define VKA_PUSH_CONV_GRAD
#include "common.glsl"
#include "push-constants.h"

layout (local_size_x = 64, local_size_y = 1, local_size_z = 1) in;

layout (std430, binding = 0) readonly buffer Input { float in_data[]; };  /* (N, Cin, H, W) */
layout (std430, binding = 1) readonly buffer DOut { float dout[]; };      /* (N, Cout, H, W) */
layout (std430, binding = 2) writeonly buffer Partial { float partial[]; };

void main ()
{
  int W = int (pc.width), H = int (pc.height);
  int cin = int (pc.in_channels), cout = int (pc.out_channels);
  int pair = int (gl_GlobalInvocationID.x), chunk = int (gl_GlobalInvocationID.y);
  if (pair >= cout * cin)
    return;
  int co = pair / cin, ci = pair % cin;
  int plane = H * W;
  int begin = chunk * int (pc.chunk);
  int end = min (begin + int (pc.chunk), int (pc.batch) * plane);
  float acc[9] = float[9] (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
  float bias_acc = 0.0;
  for (int p = begin; p < end; p++)
    {
      int n = p / plane, pos = p % plane, y = pos / W, x = pos % W;
      float g = dout[(n * cout + co) * plane + pos];
      bias_acc += g;
      int src = (n * cin + ci) * plane;
      for (int ky = 0; ky < 3; ky++)
        {
          int row = src + reflect_index (y + ky - 1, H) * W;
          for (int kx = 0; kx < 3; kx++)
            acc[ky * 3 + kx] += g * in_data[row + reflect_index (x + kx - 1, W)];
        }
    }
  int per_chunk = cout * cin * 9 + cout;
  int base = chunk * per_chunk;
  for (int k = 0; k < 9; k++)
    partial[base + pair * 9 + k] = acc[k];
  if (ci == 0)
    partial[base + cout * cin * 9 + co] = bias_acc;
}
