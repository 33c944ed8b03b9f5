#version 450
#extension GL_GOOGLE_include_directive : require
/* upsample2x: nearest-neighbour ×2. Grid: x = out W, y = out H, z = planes. */
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
  out_data[(p * pc.out_height + y) * pc.out_width + x] =
      in_data[(p * pc.in_height + y / 2u) * pc.in_width + x / 2u];
}
