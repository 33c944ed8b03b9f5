#version 450
#extension GL_GOOGLE_include_directive : require
/* relu_backward: dx = dy where the ReLU's output y > 0, else 0.
 * Grid: 256 per workgroup over a 2-D grid of pc.row invocations per row. */
#define VKA_PUSH_ELEMENTWISE
#include "common.glsl"
#include "push-constants.h"

layout (local_size_x = 256, local_size_y = 1, local_size_z = 1) in;

layout (std430, binding = 0) readonly buffer Y { float y[]; };
layout (std430, binding = 1) readonly buffer DY { float dy[]; };
layout (std430, binding = 2) writeonly buffer DX { float dx[]; };

void main ()
{
  uint i = gl_GlobalInvocationID.y * pc.row + gl_GlobalInvocationID.x;
  if (i >= pc.count)
    return;
  dx[i] = y[i] > 0.0 ? dy[i] : 0.0;
}
