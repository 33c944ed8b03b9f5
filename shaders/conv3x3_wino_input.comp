#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
/* conv3x3_wino_input: V = Bᵀ·d·B for each 4×4 input tile d (stride 2, the
 * reflection padding folded into the loads), Bᵀ = [1 0 −1 0; 0 1 1 0;
 * 0 −1 1 0; 0 1 0 −1]. V is [16][Cin][tile_stride]; tiles past tile_count
 * get zeros. One invocation per 4 consecutive tiles of one ci, so that each
 * of the 16 values goes out as one vec4.
 * Grid: x = ⌈tile_stride/256⌉, y = Cin. */
#define VKA_PUSH_WINO
#include "common.glsl"
#include "push-constants.h"

layout (local_size_x = 64, local_size_y = 1, local_size_z = 1) in;

layout (binding = 0) uniform samplerBuffer in_data;   /* (N, Cin, H, W) */
layout (std430, binding = 1) writeonly buffer Transformed { vec4 v_data[]; };

void main ()
{
  uint t0 = gl_GlobalInvocationID.x * 4u, ci = gl_GlobalInvocationID.y;
  uint stride = pc.tile_stride, cin = pc.in_channels;
  if (t0 >= stride)
    return;
  int W = int (pc.width), H = int (pc.height);
  uint per_image = pc.tiles_x * pc.tiles_y;
  vec4 v[16];
  [[unroll]] for (int p = 0; p < 4; p++)
    {
      float d[4][4];
      uint t = t0 + uint (p);
      if (t < pc.tile_count)
        {
          uint g = pc.tile_first + t;
          uint n = g / per_image, r = g % per_image;
          int y0 = int (r / pc.tiles_x) * 2 - 1, x0 = int (r % pc.tiles_x) * 2 - 1;
          int base = int ((n * cin + ci) * uint (H * W));
          int cols[4];
          [[unroll]] for (int j = 0; j < 4; j++)
            cols[j] = reflect_index (x0 + j, W);
          [[unroll]] for (int i = 0; i < 4; i++)
            {
              int row = base + reflect_index (y0 + i, H) * W;
              [[unroll]] for (int j = 0; j < 4; j++)
                d[i][j] = texelFetch (in_data, row + cols[j]).x;
            }
        }
      else
        [[unroll]] for (int i = 0; i < 4; i++)
          [[unroll]] for (int j = 0; j < 4; j++)
            d[i][j] = 0.0;

      /* e = Bᵀ·d, then v = e·B */
      float e[4][4];
      [[unroll]] for (int j = 0; j < 4; j++)
        {
          e[0][j] = d[0][j] - d[2][j];
          e[1][j] = d[1][j] + d[2][j];
          e[2][j] = d[2][j] - d[1][j];
          e[3][j] = d[1][j] - d[3][j];
        }
      [[unroll]] for (int i = 0; i < 4; i++)
        {
          v[i * 4 + 0][p] = e[i][0] - e[i][2];
          v[i * 4 + 1][p] = e[i][1] + e[i][2];
          v[i * 4 + 2][p] = e[i][2] - e[i][1];
          v[i * 4 + 3][p] = e[i][1] - e[i][3];
        }
    }
  uint plane = cin * stride / 4u;   /* between k planes, in vec4s */
  uint o = (ci * stride + t0) / 4u;
  [[unroll]] for (int k = 0; k < 16; k++)
    v_data[uint (k) * plane + o] = v[k];
}
