#version 450
#extension GL_GOOGLE_include_directive : require
/* conv3x3_reflect: 3×3 convolution with reflection padding 1, bias, optional
 * ReLU. Each invocation makes TCO output channels × TPX adjacent pixels of one
 * row. Grid: x = ⌈W/TPX⌉·H (64 per workgroup), z = N·⌈Cout/TCO⌉. */
#define VKA_PUSH_CONV
#include "common.glsl"
#include "push-constants.h"

layout (local_size_x = 64, local_size_y = 1, local_size_z = 1) in;

layout (std430, binding = 0) readonly buffer Input { float in_data[]; };
layout (std430, binding = 1) readonly buffer Weight { float weight[]; };  /* [Cout][Cin][3][3] */
layout (std430, binding = 2) readonly buffer Bias { float bias[]; };
layout (std430, binding = 3) writeonly buffer Output { float out_data[]; };

#define TPX 8
#define TCO 8

void main ()
{
  int W = int (pc.width), H = int (pc.height);
  int cin = int (pc.in_channels), cout = int (pc.out_channels);
  int co_blocks = (cout + TCO - 1) / TCO;
  int x_blocks = (W + TPX - 1) / TPX;
  int x0 = int (gl_GlobalInvocationID.x) % x_blocks * TPX;
  int y = int (gl_GlobalInvocationID.x) / x_blocks;
  int n = int (gl_GlobalInvocationID.z) / co_blocks;
  int co0 = (int (gl_GlobalInvocationID.z) % co_blocks) * TCO;
  if (x0 >= W || y >= H || n >= int (pc.batch))
    return;

  int cols[TPX + 2];
  for (int i = 0; i < TPX + 2; i++)
    cols[i] = reflect_index (x0 - 1 + i, W);
  int rows[3];
  for (int k = 0; k < 3; k++)
    rows[k] = reflect_index (y - 1 + k, H) * W;
  /* rows past Cout read the last channel's weights; their sums are dropped */
  int wrow[TCO];
  for (int j = 0; j < TCO; j++)
    wrow[j] = min (co0 + j, cout - 1) * cin * 9;

  float acc[TCO][TPX];
  for (int j = 0; j < TCO; j++)
    for (int p = 0; p < TPX; p++)
      acc[j][p] = 0.0;

  int plane = H * W;
  int base = n * cin * plane;
  for (int ci = 0; ci < cin; ci++, base += plane)
    for (int ky = 0; ky < 3; ky++)
      {
        float v[TPX + 2];
        for (int i = 0; i < TPX + 2; i++)
          v[i] = in_data[base + rows[ky] + cols[i]];
        for (int j = 0; j < TCO; j++)
          {
            int wi = wrow[j] + ci * 9 + ky * 3;
            float w0 = weight[wi], w1 = weight[wi + 1], w2 = weight[wi + 2];
            for (int p = 0; p < TPX; p++)
              acc[j][p] += w0 * v[p] + w1 * v[p + 1] + w2 * v[p + 2];
          }
      }

  for (int j = 0; j < TCO; j++)
    {
      int co = co0 + j;
      if (co >= cout)
        break;
      int o = ((n * cout + co) * H + y) * W + x0;
      for (int p = 0; p < TPX && x0 + p < W; p++)
        {
          float r = acc[j][p] + bias[co];
          out_data[o + p] = pc.relu != 0u ? max (r, 0.0) : r;
        }
    }
}
