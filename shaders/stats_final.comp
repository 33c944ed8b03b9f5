#version 450
#extension GL_GOOGLE_include_directive : require
/* stats_final: merges a plane's chunk partials (Chan's parallel formula) and
 * writes mean and sqrt(unbiased variance + 1e-5), or with pc.moments the
 * mean and M2 (for merging with other tiles'). One workgroup per plane. */
#define VKA_PUSH_STATS
#include "common.glsl"
#include "push-constants.h"

#define WG 64
layout (local_size_x = WG, local_size_y = 1, local_size_z = 1) in;

layout (std430, binding = 0) readonly buffer Partial { vec2 partial[]; };
layout (std430, binding = 1) writeonly buffer Stats { vec2 stats[]; };  /* (mean, std or M2) */

shared float s_count[WG];
shared float s_mean[WG];
shared float s_m2[WG];

void main ()
{
  uint tid = gl_LocalInvocationID.x, plane = gl_WorkGroupID.x;
  float count = 0.0, mean = 0.0, m2 = 0.0;
  for (uint k = tid; k < pc.n_chunks; k += WG)
    {
      float nb = float (min (pc.chunk, pc.pixels - k * pc.chunk));
      vec2 b = partial[plane * pc.n_chunks + k];
      float n = count + nb;
      float d = b.x - mean;
      mean += d * nb / n;
      m2 += b.y + d * d * count * nb / n;
      count = n;
    }
  s_count[tid] = count;
  s_mean[tid] = mean;
  s_m2[tid] = m2;

  for (uint stride = WG / 2; stride > 0; stride /= 2)
    {
      barrier ();
      if (tid < stride)
        {
          float na = s_count[tid], nb = s_count[tid + stride], n = na + nb;
          if (nb > 0.0)
            {
              float d = s_mean[tid + stride] - s_mean[tid];
              s_mean[tid] += d * nb / n;
              s_m2[tid] += s_m2[tid + stride] + d * d * na * nb / n;
              s_count[tid] = n;
            }
        }
    }
  if (tid == 0 && pc.moments != 0u)
    stats[plane] = vec2 (s_mean[0], s_m2[0]);
  else if (tid == 0)
    {
      float var = pc.pixels > 1u ? s_m2[0] / float (pc.pixels - 1u) : 0.0;
      stats[plane] = vec2 (s_mean[0], sqrt (var + 1e-5));
    }
}
