#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
/* conv3x3_wino_output: Y = Aᵀ·m·A + bias (then ReLU) for each tile's 4×4
 * products m, Aᵀ = [1 1 1 0; 0 1 −1 −1]: a 2×2 output block, cropped at an
 * odd right or bottom edge. One invocation per 4 consecutive tiles of one
 * co (each of the 16 products comes in as one vec4).
 * Grid: x = ⌈tile_count/256⌉, y = Cout. */
#define VKA_PUSH_WINO
#include "push-constants.h"

layout (local_size_x = 64, local_size_y = 1, local_size_z = 1) in;

layout (binding = 0) uniform samplerBuffer m_data;   /* vec4 [16][Cout][tile_stride/4] */
layout (std430, binding = 1) readonly buffer Bias { float bias[]; };
layout (std430, binding = 2) writeonly buffer Output { float out_data[]; };  /* (N, Cout, H, W) */

void main ()
{
  uint t0 = gl_GlobalInvocationID.x * 4u, co = gl_GlobalInvocationID.y;
  if (t0 >= pc.tile_count)
    return;
  uint cout = pc.out_channels, stride = pc.tile_stride;
  int plane = int (cout * stride / 4u);   /* between k planes, in vec4s */
  int mi = int ((co * stride + t0) / 4u);
  vec4 m[4][4];
  [[unroll]] for (int i = 0; i < 4; i++)
    [[unroll]] for (int j = 0; j < 4; j++)
      m[i][j] = texelFetch (m_data, (i * 4 + j) * plane + mi);

  /* e = Aᵀ·m (2×4), then y = e·A (2×2), for 4 tiles at once */
  vec4 e[2][4];
  [[unroll]] for (int j = 0; j < 4; j++)
    {
      e[0][j] = m[0][j] + m[1][j] + m[2][j];
      e[1][j] = m[1][j] - m[2][j] - m[3][j];
    }
  float b = bias[co];
  vec4 y[2][2];
  [[unroll]] for (int i = 0; i < 2; i++)
    {
      y[i][0] = e[i][0] + e[i][1] + e[i][2] + b;
      y[i][1] = e[i][1] - e[i][2] - e[i][3] + b;
      if (pc.relu != 0u)
        {
          y[i][0] = max (y[i][0], 0.0);
          y[i][1] = max (y[i][1], 0.0);
        }
    }

  uint W = pc.width, H = pc.height;
  uint per_image = pc.tiles_x * pc.tiles_y;
  [[unroll]] for (int p = 0; p < 4; p++)
    {
      uint g = pc.tile_first + t0 + uint (p);
      if (t0 + uint (p) >= pc.tile_count)
        break;
      uint n = g / per_image, r = g % per_image;
      uint y0 = r / pc.tiles_x * 2u, x0 = r % pc.tiles_x * 2u;
      uint o = ((n * cout + co) * H + y0) * W + x0;
      [[unroll]] for (int i = 0; i < 2; i++)
        [[unroll]] for (int j = 0; j < 2; j++)
          if (y0 + uint (i) < H && x0 + uint (j) < W)
            out_data[o + uint (i) * W + uint (j)] = y[i][j][p];
    }
}
