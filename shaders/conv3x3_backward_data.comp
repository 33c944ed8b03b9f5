#version 450
#extension GL_GOOGLE_include_directive : require
/* conv3x3_backward_data: din[n][ci][y][x] = Σ dout[n][co][oy][ox]·w[co][ci][ky][kx]
 * over the output positions whose reflected 3×3 window read (y, x) through
 * tap (ky, kx). Gathered (no atomics): a tap reaches (y, x) from at most
 * three positions per axis (direct, mirrored at 0, mirrored at the end).
 * Grid: x = W, y = H, z = N·Cin. */
#define VKA_PUSH_CONV
#include "common.glsl"
#include "push-constants.h"

layout (local_size_x = 8, local_size_y = 8, local_size_z = 1) in;

layout (std430, binding = 0) readonly buffer DOut { float dout[]; };    /* (N, Cout, H, W) */
layout (std430, binding = 1) readonly buffer Weight { float weight[]; };  /* [Cout][Cin][3][3] */
layout (std430, binding = 2) writeonly buffer DIn { float din[]; };     /* (N, Cin, H, W) */

/* The output positions o in [0, n) with reflect_index (o + k − 1, n) == i. */
int sources (int i, int k, int n, out int o[3])
{
  int count = 0;
  int cand[3] = int[3] (i - k + 1, -i - k + 1, 2 * (n - 1) - i - k + 1);
  for (int c = 0; c < 3; c++)
    {
      int v = cand[c];
      bool dup = false;
      for (int d = 0; d < count; d++)
        dup = dup || o[d] == v;
      if (v >= 0 && v < n && !dup && reflect_index (v + k - 1, n) == i)
        o[count++] = v;
    }
  /* a map of size 1 reads its only pixel through every tap */
  if (n == 1)
    {
      o[0] = 0;
      count = 1;
    }
  return count;
}

void main ()
{
  int W = int (pc.width), H = int (pc.height);
  int cin = int (pc.in_channels), cout = int (pc.out_channels);
  int x = int (gl_GlobalInvocationID.x), y = int (gl_GlobalInvocationID.y);
  int n = int (gl_GlobalInvocationID.z) / cin, ci = int (gl_GlobalInvocationID.z) % cin;
  if (x >= W || y >= H || n >= int (pc.batch))
    return;
  int oy[3][3], ox[3][3], ny[3], nx[3];
  for (int k = 0; k < 3; k++)
    {
      int t[3];
      ny[k] = sources (y, k, H, t);
      oy[k] = t;
      nx[k] = sources (x, k, W, t);
      ox[k] = t;
    }
  float acc = 0.0;
  for (int co = 0; co < cout; co++)
    {
      int plane = (n * cout + co) * H * W;
      int wb = (co * cin + ci) * 9;
      for (int ky = 0; ky < 3; ky++)
        for (int kx = 0; kx < 3; kx++)
          {
            float g = 0.0;
            for (int a = 0; a < ny[ky]; a++)
              for (int b = 0; b < nx[kx]; b++)
                g += dout[plane + oy[ky][a] * W + ox[kx][b]];
            acc += g * weight[wb + ky * 3 + kx];
          }
    }
  din[((n * cin + ci) * H + y) * W + x] = acc;
}
