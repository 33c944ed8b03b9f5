#version 450
#extension GL_GOOGLE_include_directive : require
/* maxpool2x2_backward: each input pixel takes its window's output gradient
 * if it is the window's first maximum (row-major, as PyTorch), else 0.
 * Grid: x = in W, y = in H, z = planes. */
#define VKA_PUSH_RESAMPLE
#include "common.glsl"
#include "push-constants.h"

layout (local_size_x = 8, local_size_y = 8, local_size_z = 1) in;

layout (std430, binding = 0) readonly buffer Input { float in_data[]; };
layout (std430, binding = 1) readonly buffer DOut { float dout[]; };
layout (std430, binding = 2) writeonly buffer DIn { float din[]; };

void main ()
{
  uint x = gl_GlobalInvocationID.x, y = gl_GlobalInvocationID.y, p = gl_GlobalInvocationID.z;
  uint W = pc.in_width, H = pc.in_height;
  if (x >= W || y >= H || p >= pc.planes)
    return;
  uint base = p * H * W;
  uint wx = x / 2u * 2u, wy = y / 2u * 2u;
  uint best = base + wy * W + wx;
  for (uint dy = 0u; dy < 2u; dy++)
    for (uint dx = 0u; dx < 2u; dx++)
      {
        uint sy = wy + dy, sx = wx + dx;
        if (sy < H && sx < W && in_data[base + sy * W + sx] > in_data[best])
          best = base + sy * W + sx;
      }
  float g = dout[(p * pc.out_height + y / 2u) * pc.out_width + x / 2u];
  din[base + y * W + x] = best == base + y * W + x ? g : 0.0;
}
