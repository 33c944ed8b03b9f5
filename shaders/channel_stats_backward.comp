#version 450
#extension GL_GOOGLE_include_directive : require
/* channel_stats_backward: din = ∂L/∂mean / n + ∂L/∂std · (x − mean) / ((n − 1)·std),
 * the std term 0 for a one-pixel plane. Grid: x = ⌈pixels/256⌉, y = planes. */
#define VKA_PUSH_STATS
#include "common.glsl"
#include "push-constants.h"

layout (local_size_x = 256, local_size_y = 1, local_size_z = 1) in;

layout (std430, binding = 0) readonly buffer Input { float in_data[]; };
layout (std430, binding = 1) readonly buffer Stats { vec2 stats[]; };    /* (mean, std) */
layout (std430, binding = 2) readonly buffer DStats { vec2 dstats[]; };  /* (∂mean, ∂std) */
layout (std430, binding = 3) writeonly buffer DIn { float din[]; };

void main ()
{
  uint i = gl_GlobalInvocationID.x, plane = gl_GlobalInvocationID.y;
  if (i >= pc.pixels || plane >= pc.planes)
    return;
  vec2 s = stats[plane], d = dstats[plane];
  float k = pc.pixels > 1u ? d.y / (float (pc.pixels - 1u) * s.y) : 0.0;
  uint at = plane * pc.pixels + i;
  din[at] = d.x / float (pc.pixels) + k * (in_data[at] - s.x);
}
