#version 450
#extension GL_GOOGLE_include_directive : require
/* stats_partial: first pass of the per-plane mean/variance. Workgroup
 * (chunk, plane) runs Welford over `chunk` pixels of the window (in row
 * order) and writes (mean, M2) of that chunk. Chunks keep every loop short:
 * lavapipe cuts loops off after 65,535 iterations. Grid: x = n_chunks,
 * y = planes (in workgroups). */
#define VKA_PUSH_STATS
#include "common.glsl"
#include "push-constants.h"

#define WG 64
layout (local_size_x = WG, local_size_y = 1, local_size_z = 1) in;

layout (std430, binding = 0) readonly buffer Input { float in_data[]; };
layout (std430, binding = 1) writeonly buffer Partial { vec2 partial[]; };  /* [plane][chunk] */

shared float s_count[WG];
shared float s_mean[WG];
shared float s_m2[WG];

void main ()
{
  uint tid = gl_LocalInvocationID.x;
  uint chunk = gl_WorkGroupID.x, plane = gl_WorkGroupID.y;
  uint begin = chunk * pc.chunk;
  uint end = min (begin + pc.chunk, pc.pixels);
  uint base = plane * pc.plane_pixels + pc.y0 * pc.width + pc.x0;

  /* the window position of pixel i, advanced by WG pixels without a
   * division per pixel */
  uint row = (begin + tid) / pc.window_w, col = begin + tid - row * pc.window_w;
  uint step_rows = WG / pc.window_w, step_cols = WG - step_rows * pc.window_w;
  float count = 0.0, mean = 0.0, m2 = 0.0;
  for (uint i = begin + tid; i < end; i += WG)
    {
      float v = in_data[base + row * pc.width + col];
      count += 1.0;
      float d = v - mean;
      mean += d / count;
      m2 += d * (v - mean);
      row += step_rows;
      col += step_cols;
      if (col >= pc.window_w)
        {
          col -= pc.window_w;
          row++;
        }
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
  if (tid == 0)
    partial[plane * pc.n_chunks + chunk] = vec2 (s_mean[0], s_m2[0]);
}
