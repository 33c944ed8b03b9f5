#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
/* conv3x3_wino_output: Y = Aᵀ·m·A + bias (then ReLU) for each tile's 4×4
 * products m, Aᵀ = [1 1 1 0; 0 1 −1 −1]: a 2×2 output block, cropped at an
 * odd right or bottom edge. One invocation per 4 adjacent tiles of a row and
 * one co (each of the 16 products comes in as one vec4).
 * With VKA_WINO4, Winograd F(4,3): 6×6 products a tile, a 4×4 block out.
 * With VKA_FP16, M is float16 (see conv3x3_wino_gemm).
 * Grid: x = ⌈row_count·tile_pitch/4 / 64⌉, y = Cout. */
#define VKA_PUSH_WINO
#include "push-constants.h"

layout (local_size_x = 64, local_size_y = 1, local_size_z = 1) in;

#ifdef VKA_FP16
layout (binding = 0) uniform usamplerBuffer m_data;   /* float16 M, packHalf2x16 pairs */
vec4 unpack4 (uvec2 p) { return vec4 (unpackHalf2x16 (p.x), unpackHalf2x16 (p.y)); }
#  define FETCH(s, i) unpack4 (texelFetch (s, i).xy)
#else
layout (binding = 0) uniform samplerBuffer m_data;   /* vec4 [16][Cout][tile_stride/4] */
#  define FETCH(s, i) texelFetch (s, i)
#endif
layout (std430, binding = 1) readonly buffer Bias { float bias[]; };
layout (std430, binding = 2) writeonly buffer Output { float out_data[]; };  /* (N, Cout, H, W) */

#ifdef VKA_WINO4
#  define BLOCK 4u
/* o = Aᵀ·x for F(4,3), Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0;
 * 0 1 −1 8 −8 1] */
void at6 (vec4 x[6], out vec4 o[4])
{
  o[0] = x[0] + x[1] + x[2] + x[3] + x[4];
  o[1] = x[1] - x[2] + 2.0 * (x[3] - x[4]);
  o[2] = x[1] + x[2] + 4.0 * (x[3] + x[4]);
  o[3] = x[1] - x[2] + 8.0 * (x[3] - x[4]) + x[5];
}
#else
#  define BLOCK 2u
#endif

void main ()
{
  uint groups = pc.tile_pitch / 4u;
  uint i = gl_GlobalInvocationID.x, co = gl_GlobalInvocationID.y;
  if (i >= pc.row_count * groups)
    return;
  uint row = i / groups, tx0 = i % groups * 4u;
  uint cout = pc.out_channels, stride = pc.tile_stride;
  int plane = int (cout * stride / 4u);   /* between k planes, in vec4s */
  int mi = int ((co * stride + row * pc.tile_pitch + tx0) / 4u);
#ifdef VKA_WINO4
  vec4 m[6][6];
  [[unroll]] for (int r = 0; r < 6; r++)
    [[unroll]] for (int c = 0; c < 6; c++)
      m[r][c] = FETCH (m_data, (r * 6 + c) * plane + mi);

  /* e = Aᵀ·m (4×6), then y = e·A (4×4), for 4 tiles at once */
  vec4 e[4][6];
  [[unroll]] for (int c = 0; c < 6; c++)
    {
      vec4 t[6] = vec4[6] (m[0][c], m[1][c], m[2][c], m[3][c], m[4][c], m[5][c]);
      vec4 o[4];
      at6 (t, o);
      [[unroll]] for (int r = 0; r < 4; r++)
        e[r][c] = o[r];
    }
  float b = bias[co];
  vec4 y[4][4];
  [[unroll]] for (int r = 0; r < 4; r++)
    {
      at6 (e[r], y[r]);
      [[unroll]] for (int c = 0; c < 4; c++)
        {
          y[r][c] += b;
          if (pc.relu != 0u)
            y[r][c] = max (y[r][c], 0.0);
        }
    }
#else
  vec4 m[4][4];
  [[unroll]] for (int r = 0; r < 4; r++)
    [[unroll]] for (int c = 0; c < 4; c++)
      m[r][c] = FETCH (m_data, (r * 4 + c) * plane + mi);

  /* e = Aᵀ·m (2×4), then y = e·A (2×2), for 4 tiles at once */
  vec4 e[2][4];
  [[unroll]] for (int c = 0; c < 4; c++)
    {
      e[0][c] = m[0][c] + m[1][c] + m[2][c];
      e[1][c] = m[1][c] - m[2][c] - m[3][c];
    }
  float b = bias[co];
  vec4 y[2][2];
  [[unroll]] for (int r = 0; r < 2; r++)
    {
      y[r][0] = e[r][0] + e[r][1] + e[r][2] + b;
      y[r][1] = e[r][1] - e[r][2] - e[r][3] + b;
      if (pc.relu != 0u)
        {
          y[r][0] = max (y[r][0], 0.0);
          y[r][1] = max (y[r][1], 0.0);
        }
    }

#endif

  uint W = pc.width, H = pc.height;
  uint global_row = pc.row_first + row;
  uint n = global_row / pc.tiles_y, y0 = global_row % pc.tiles_y * BLOCK;
  uint o = ((n * cout + co) * H + y0) * W + tx0 * BLOCK;
  [[unroll]] for (int r = 0; r < BLOCK; r++)
    [[unroll]] for (int p = 0; p < 4; p++)
      [[unroll]] for (int c = 0; c < BLOCK; c++)
        {
          uint x = tx0 * BLOCK + uint (BLOCK * p + c);
          if (y0 + uint (r) < H && x < W)
            out_data[o + uint (r) * W + uint (BLOCK * p + c)] = y[r][c][p];
        }
}
