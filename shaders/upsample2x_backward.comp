#version 450
#extension GL_GOOGLE_include_directive : require
/* upsample2x_backward: din = the sum of dout over the 2×2 block each input
 * pixel was copied to. Grid: x = in W, y = in H, z = planes. */
#define VKA_PUSH_RESAMPLE
#include "common.glsl"
#include "push-constants.h"

layout (local_size_x = 8, local_size_y = 8, local_size_z = 1) in;

layout (std430, binding = 0) readonly buffer DOut { float dout[]; };
layout (std430, binding = 1) writeonly buffer DIn { float din[]; };

void main ()
{
  uint x = gl_GlobalInvocationID.x, y = gl_GlobalInvocationID.y, p = gl_GlobalInvocationID.z;
  if (x >= pc.in_width || y >= pc.in_height || p >= pc.planes)
    return;
  uint ow = pc.out_width;
  uint o = (p * pc.out_height + 2u * y) * ow + 2u * x;
  din[(p * pc.in_height + y) * pc.in_width + x] =
      dout[o] + dout[o + 1u] + dout[o + ow] + dout[o + ow + 1u];
}
