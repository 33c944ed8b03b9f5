#version 450
#extension GL_GOOGLE_include_directive : require
/* mask_blend: out = m·a + (1−m)·b per pixel, the mask shared by all channels
 * (spatial control: two AdaIN results, one per mask region).
 * Grid: x = ⌈pixels/256⌉, y = N·C. */
#define VKA_PUSH_BLEND
#include "common.glsl"
#include "push-constants.h"

layout (local_size_x = 256, local_size_y = 1, local_size_z = 1) in;

layout (std430, binding = 0) readonly buffer A { float a[]; };
layout (std430, binding = 1) readonly buffer B { float b[]; };
layout (std430, binding = 2) readonly buffer Mask { float mask[]; };  /* (N,1,H,W) */
layout (std430, binding = 3) writeonly buffer Output { float out_data[]; };

void main ()
{
  uint i = gl_GlobalInvocationID.x, plane = gl_GlobalInvocationID.y;
  if (i >= pc.pixels || plane >= pc.batch * pc.channels)
    return;
  float m = mask[plane / pc.channels * pc.pixels + i];
  uint at = plane * pc.pixels + i;
  out_data[at] = m * a[at] + (1.0 - m) * b[at];
}
