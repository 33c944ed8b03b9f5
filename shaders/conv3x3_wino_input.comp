#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
/* conv3x3_wino_input: V = Bᵀ·d·B for each 4×4 input tile d (stride 2, the
 * reflection padding folded into the loads), Bᵀ = [1 0 −1 0; 0 1 1 0;
 * 0 −1 1 0; 0 1 0 −1]. V is [16][Cin][tile_stride]; tiles past tile_count
 * get zeros. One invocation per (tile, ci). Grid: x = ⌈tile_stride/64⌉,
 * y = Cin. */
#define VKA_PUSH_WINO
#include "common.glsl"
#include "push-constants.h"

layout (local_size_x = 64, local_size_y = 1, local_size_z = 1) in;

layout (binding = 0) uniform samplerBuffer in_data;   /* (N, Cin, H, W) */
layout (std430, binding = 1) writeonly buffer Transformed { float v_data[]; };

void main ()
{
  uint t = gl_GlobalInvocationID.x, ci = gl_GlobalInvocationID.y;
  uint stride = pc.tile_stride, cin = pc.in_channels;
  if (t >= stride)
    return;
  float d[4][4];
  if (t < pc.tile_count)
    {
      int W = int (pc.width), H = int (pc.height);
      uint g = pc.tile_first + t;
      uint per_image = pc.tiles_x * pc.tiles_y;
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
  uint plane = cin * stride;   /* between k planes */
  uint o = ci * stride + t;
  [[unroll]] for (int i = 0; i < 4; i++)
    {
      v_data[uint (i * 4 + 0) * plane + o] = e[i][0] - e[i][2];
      v_data[uint (i * 4 + 1) * plane + o] = e[i][1] + e[i][2];
      v_data[uint (i * 4 + 2) * plane + o] = e[i][2] - e[i][1];
      v_data[uint (i * 4 + 3) * plane + o] = e[i][1] - e[i][3];
    }
}
