#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
/* conv3x3_backward_data_border: what reflection padding adds to the data
 * gradient of conv3x3_reflect. The forward pass reads input row
 * reflect(p − 1) at padded row p ∈ [0, H+1]; the gradient at the padded map
 * is dpad[p][q] = Σ_co Σ_{ky,kx} dout[co][p−ky][q−kx]·w[co][ci][ky][kx]
 * (dout zero outside), and din[y][x] sums dpad over the padded positions
 * that map to (y, x). conv3x3_zero already wrote the position (y+1, x+1);
 * this adds the others, which exist only in the rows reflect(−1), reflect(H)
 * and the columns reflect(−1), reflect(W). One invocation per such pixel
 * (each once) and per TCO input channels, whose weights it reads as vec4s
 * from conv3x3_pack_flip's packing; read-modify-write of din.
 * Grid: x = ⌈(rows·W + cols·H)/64⌉, y = N·⌈Cin/TCO⌉. */
#define VKA_PUSH_CONV
#include "common.glsl"
#include "push-constants.h"

layout (local_size_x = 64, local_size_y = 1, local_size_z = 1) in;

layout (std430, binding = 0) readonly buffer DOut { float dout[]; };      /* (N, Cout, H, W) */
/* vec4 [Cin/TCO][Cout][9][TCO/4], tap t holding w[co][ci][8 − t] */
layout (binding = 1) uniform samplerBuffer packed;

#define TCO VKA_CONV3X3_TCO
#define TQ (TCO / 4)
layout (std430, binding = 2) buffer DIn { float din[]; };                 /* (N, Cin, H, W) */

void main ()
{
  int W = int (pc.width), H = int (pc.height);
  int cin = int (pc.in_channels), cout = int (pc.out_channels);
  int ci_blocks = (cin + TCO - 1) / TCO;
  int n = int (gl_GlobalInvocationID.y) / ci_blocks;
  int cb = int (gl_GlobalInvocationID.y) % ci_blocks;
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
  /* padded rows mapping to y: y + 1 always, 0 and H + 1 when they reflect
   * onto y; the same for columns. Everything below is unrolled with
   * constant indices (lavapipe spills arrays indexed at run time). */
  bool row_ok[3] = bool[3] (true, reflect_index (-1, H) == y, reflect_index (H, H) == y);
  bool col_ok[3] = bool[3] (true, reflect_index (-1, W) == x, reflect_index (W, W) == x);
  int prow[3] = int[3] (y + 1, 0, H + 1);
  int pcol[3] = int[3] (x + 1, 0, W + 1);
  int plane = H * W;
  vec4 extra[TQ];
  [[unroll]] for (int q = 0; q < TQ; q++)
    extra[q] = vec4 (0.0);
  [[unroll]] for (int a = 0; a < 3; a++)
    [[unroll]] for (int b = 0; b < 3; b++)
      {
        if (a == 0 && b == 0)
          continue;   /* the interior position: conv3x3_zero's */
        [[unroll]] for (int ky = 0; ky < 3; ky++)
          [[unroll]] for (int kx = 0; kx < 3; kx++)
            {
              int oy = prow[a] - ky, ox = pcol[b] - kx;
              if (!row_ok[a] || !col_ok[b] || oy < 0 || oy >= H || ox < 0 || ox >= W)
                continue;
              int d = n * cout * plane + oy * W + ox;
              int wi = (cb * cout * 9 + 8 - (ky * 3 + kx)) * TQ;
              for (int co = 0; co < cout; co++, d += plane, wi += 9 * TQ)
                {
                  float g = dout[d];
                  [[unroll]] for (int q = 0; q < TQ; q++)
                    extra[q] += g * texelFetch (packed, wi + q);
                }
            }
      }
  [[unroll]] for (int q = 0; q < TQ; q++)
    [[unroll]] for (int c = 0; c < 4; c++)
      {
        int ci = cb * TCO + q * 4 + c;
        if (ci < cin)
          din[((n * cin + ci) * H + y) * W + x] += extra[q][c];
      }
}
