#version 450
#extension GL_GOOGLE_include_directive : require
/* add: out = a + b (gradients meeting at a layer).
 * Grid: 256 per workgroup over a 2-D grid of pc.row invocations per row. */
#define VKA_PUSH_ELEMENTWISE
#include "common.glsl"
#include "push-constants.h"

layout (local_size_x = 256, local_size_y = 1, local_size_z = 1) in;

layout (std430, binding = 0) readonly buffer A { float a[]; };
layout (std430, binding = 1) readonly buffer B { float b[]; };
layout (std430, binding = 2) writeonly buffer Output { float out_data[]; };

void main ()
{
  uint i = gl_GlobalInvocationID.y * pc.row + gl_GlobalInvocationID.x;
  if (i >= pc.count)
    return;
  out_data[i] = a[i] + b[i];
}
