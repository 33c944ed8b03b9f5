#version 450
#extension GL_GOOGLE_include_directive : require
/* adain: out = α·(σt·(x−μx)/σx + μt) + (1−α)·x, per plane.
 * Grid: x = ⌈pixels/256⌉, y = planes (N·C). */
#define VKA_PUSH_ADAIN
#include "common.glsl"
#include "push-constants.h"

layout (local_size_x = 256, local_size_y = 1, local_size_z = 1) in;

layout (std430, binding = 0) readonly buffer Input { float x[]; };
layout (std430, binding = 1) readonly buffer XStats { vec2 x_stats[]; };
layout (std430, binding = 2) readonly buffer TargetStats { vec2 target_stats[]; };
layout (std430, binding = 3) writeonly buffer Output { float out_data[]; };

void main ()
{
  uint i = gl_GlobalInvocationID.x, plane = gl_GlobalInvocationID.y;
  if (i >= pc.pixels || plane >= pc.batch * pc.channels)
    return;
  vec2 xs = x_stats[plane], ts = target_stats[plane];
  float v = x[plane * pc.pixels + i];
  float t = ts.y * (v - xs.x) / xs.y + ts.x;
  out_data[plane * pc.pixels + i] = pc.alpha * t + (1.0 - pc.alpha) * v;
}
