#version 450
#extension GL_GOOGLE_include_directive : require
/* conv3x3_backward_data_border: what reflection padding adds to the data
 * gradient of conv3x3_reflect. The forward pass reads input row
 * reflect(p − 1) at padded row p ∈ [0, H+1]; the gradient at the padded map
 * is dpad[p][q] = Σ_co Σ_{ky,kx} dout[co][p−ky][q−kx]·w[co][ci][ky][kx]
 * (dout zero outside), and din[y][x] sums dpad over the padded positions
 * that map to (y, x). conv3x3_zero already wrote the position (y+1, x+1);
 * this adds the others, which exist only in the rows reflect(−1), reflect(H)
 * and the columns reflect(−1), reflect(W). One invocation per such pixel
 * (each once), read-modify-write of din.
 * Grid: x = ⌈(rows·W + cols·H)/64⌉, y = N·Cin. */
#define VKA_PUSH_CONV
#include "common.glsl"
#include "push-constants.h"

layout (local_size_x = 64, local_size_y = 1, local_size_z = 1) in;

layout (std430, binding = 0) readonly buffer DOut { float dout[]; };      /* (N, Cout, H, W) */
layout (std430, binding = 1) readonly buffer Weight { float weight[]; };  /* [Cout][Cin][3][3] */
layout (std430, binding = 2) buffer DIn { float din[]; };                 /* (N, Cin, H, W) */

/* The padded positions p ∈ [0, n+1] with reflect(p − 1) == i; p[0] = i + 1. */
int padded (int i, int n, out int p[3])
{
  int count = 1;
  p[0] = i + 1;
  if (reflect_index (-1, n) == i)
    p[count++] = 0;
  if (reflect_index (n, n) == i)
    p[count++] = n + 1;
  return count;
}

void main ()
{
  int W = int (pc.width), H = int (pc.height);
  int cin = int (pc.in_channels), cout = int (pc.out_channels);
  int plane = int (gl_GlobalInvocationID.y);
  int n = plane / cin, ci = plane % cin;
  int r0 = reflect_index (-1, H), r1 = reflect_index (H, H);
  int c0 = reflect_index (-1, W), c1 = reflect_index (W, W);
  int nr = r0 == r1 ? 1 : 2, nc = c0 == c1 ? 1 : 2;
  int idx = int (gl_GlobalInvocationID.x);
  int x, y;
  if (idx < nr * W)
    {
      y = idx / W == 0 ? r0 : r1;
      x = idx % W;
    }
  else
    {
      idx -= nr * W;
      if (idx >= nc * H)
        return;
      x = idx / H == 0 ? c0 : c1;
      y = idx % H;
      if (y == r0 || y == r1)
        return;   /* done by the row part */
    }
  if (n >= int (pc.batch))
    return;
  int py[3], px[3];
  int ny = padded (y, H, py), nx = padded (x, W, px);
  float extra = 0.0;
  for (int a = 0; a < ny; a++)
    for (int b = 0; b < nx; b++)
      {
        if (a == 0 && b == 0)
          continue;   /* the interior position: conv3x3_zero's */
        for (int ky = 0; ky < 3; ky++)
          {
            int oy = py[a] - ky;
            if (oy < 0 || oy >= H)
              continue;
            for (int kx = 0; kx < 3; kx++)
              {
                int ox = px[b] - kx;
                if (ox < 0 || ox >= W)
                  continue;
                for (int co = 0; co < cout; co++)
                  extra += dout[((n * cout + co) * H + oy) * W + ox]
                           * weight[(co * cin + ci) * 9 + ky * 3 + kx];
              }
          }
      }
  din[((n * cin + ci) * H + y) * W + x] += extra;
}
