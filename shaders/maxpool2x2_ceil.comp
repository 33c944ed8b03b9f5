#version 450
#extension GL_GOOGLE_include_directive : require
/* maxpool2x2_ceil: 2×2 window, stride 2, ceil mode (a partial last window
 * keeps its valid elements). Grid: x = out W, y = out H, z = planes. */
#define VKA_PUSH_RESAMPLE
#include "common.glsl"
#include "push-constants.h"

layout (local_size_x = 8, local_size_y = 8, local_size_z = 1) in;

layout (std430, binding = 0) readonly buffer Input { float in_data[]; };
layout (std430, binding = 1) writeonly buffer Output { float out_data[]; };

void main ()
{
  uint x = gl_GlobalInvocationID.x, y = gl_GlobalInvocationID.y, p = gl_GlobalInvocationID.z;
  if (x >= pc.out_width || y >= pc.out_height || p >= pc.planes)
    return;
  uint base = p * pc.in_height * pc.in_width;
  uint x1 = min (2u * x + 1u, pc.in_width - 1u), y1 = min (2u * y + 1u, pc.in_height - 1u);
  uint r0 = base + 2u * y * pc.in_width, r1 = base + y1 * pc.in_width;
  float m = max (max (in_data[r0 + 2u * x], in_data[r0 + x1]),
                 max (in_data[r1 + 2u * x], in_data[r1 + x1]));
  out_data[(p * pc.out_height + y) * pc.out_width + x] = m;
}
