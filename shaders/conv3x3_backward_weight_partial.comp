#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
/* conv3x3_backward_weight_partial: for a block of TCO output × TCI input
 * channels and one chunk of the batch's pixels, the sums
 * Σ dout[n][co][y][x]·in[n][ci][y+ky−1][x+kx−1] (reflected) for the 9 taps,
 * and for the first input block also Σ dout (the bias gradient).
 * Each pixel's TCO gradients and 3×3×TCI inputs are loaded once for
 * TCO·TCI·9 multiply-adds, in registers (unrolled).
 * partial[chunk] = [Cout][Cin][9] weights, then [Cout] biases.
 * Grid: x = ⌈⌈Cout/TCO⌉·⌈Cin/TCI⌉/64⌉, y = n_chunks. */
#define VKA_PUSH_CONV_GRAD
#include "common.glsl"
#include "push-constants.h"

layout (local_size_x = 64, local_size_y = 1, local_size_z = 1) in;

#ifdef VKA_WGRAD_TEXELS
/* conv3x3_backward_weight_partial_texels (direct variant): the same through
 * texel buffers, which lavapipe reads faster */
layout (binding = 0) uniform samplerBuffer in_texels;    /* (N, Cin, H, W) */
layout (binding = 1) uniform samplerBuffer dout_texels;  /* (N, Cout, H, W) */
#define IN(i) texelFetch (in_texels, (i)).x
#define DOUT(i) texelFetch (dout_texels, (i)).x
#else
layout (std430, binding = 0) readonly buffer Input { float in_data[]; };  /* (N, Cin, H, W) */
layout (std430, binding = 1) readonly buffer DOut { float dout[]; };      /* (N, Cout, H, W) */
#define IN(i) in_data[i]
#define DOUT(i) dout[i]
#endif
layout (std430, binding = 2) writeonly buffer Partial { float partial[]; };

#define TCO 16
#define TCI 1

void main ()
{
  int W = int (pc.width), H = int (pc.height);
  int cin = int (pc.in_channels), cout = int (pc.out_channels);
  int ci_blocks = (cin + TCI - 1) / TCI;
  int block = int (gl_GlobalInvocationID.x), chunk = int (gl_GlobalInvocationID.y);
  if (block >= (cout + TCO - 1) / TCO * ci_blocks)
    return;
  int co0 = block / ci_blocks * TCO, ci0 = block % ci_blocks * TCI;
  /* channels past the end read channel 0's plane (in range) and are not written */
  int co_plane[TCO], ci_plane[TCI];
  [[unroll]] for (int j = 0; j < TCO; j++)
    co_plane[j] = co0 + j < cout ? co0 + j : 0;
  [[unroll]] for (int i = 0; i < TCI; i++)
    ci_plane[i] = ci0 + i < cin ? ci0 + i : 0;
  int plane = H * W;
  int begin = chunk * int (pc.chunk);
  int end = min (begin + int (pc.chunk), int (pc.batch) * plane);

  float acc[TCO][TCI][9];
  float bias_acc[TCO];
  [[unroll]] for (int j = 0; j < TCO; j++)
    {
      bias_acc[j] = 0.0;
      [[unroll]] for (int i = 0; i < TCI; i++)
        [[unroll]] for (int k = 0; k < 9; k++)
          acc[j][i][k] = 0.0;
    }
  int n = begin / plane, pos = begin % plane;
  int y = pos / W, x = pos % W;
  for (int p = begin; p < end; p++)
    {
      float g[TCO];
      [[unroll]] for (int j = 0; j < TCO; j++)
        g[j] = DOUT ((n * cout + co_plane[j]) * plane + pos);
      int rows[3], cols[3];
      [[unroll]] for (int k = 0; k < 3; k++)
        {
          rows[k] = reflect_index (y + k - 1, H) * W;
          cols[k] = reflect_index (x + k - 1, W);
        }
      [[unroll]] for (int i = 0; i < TCI; i++)
        {
          int src = (n * cin + ci_plane[i]) * plane;
          float v[9];
          [[unroll]] for (int ky = 0; ky < 3; ky++)
            [[unroll]] for (int kx = 0; kx < 3; kx++)
              v[ky * 3 + kx] = IN (src + rows[ky] + cols[kx]);
          [[unroll]] for (int j = 0; j < TCO; j++)
            [[unroll]] for (int k = 0; k < 9; k++)
              acc[j][i][k] += g[j] * v[k];
        }
      [[unroll]] for (int j = 0; j < TCO; j++)
        bias_acc[j] += g[j];
      /* next pixel */
      pos++;
      if (++x == W)
        {
          x = 0;
          if (++y == H)
            {
              y = 0;
              pos = 0;
              n++;
            }
        }
    }
  int base = chunk * (cout * cin * 9 + cout);
  [[unroll]] for (int j = 0; j < TCO; j++)
    {
      int co = co0 + j;
      if (co >= cout)
        break;
      [[unroll]] for (int i = 0; i < TCI; i++)
        {
          int ci = ci0 + i;
          if (ci >= cin)
            break;
          [[unroll]] for (int k = 0; k < 9; k++)
            partial[base + (co * cin + ci) * 9 + k] = acc[j][i][k];
        }
      if (ci0 == 0)
        partial[base + cout * cin * 9 + co] = bias_acc[j];
    }
}
