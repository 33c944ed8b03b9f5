#version 450
#extension GL_GOOGLE_include_directive : require
/* conv3x3_fold: the gradient of a reflection-padded map, (N, C, H+2, W+2),
 * folded back onto the map, (N, C, H, W): each padded position adds into
 * the pixel it mirrored. Row p of the padded map is row reflect(p − 1); the
 * two border rows are the only ones that land on a row other than p − 1.
 * Grid: x = W, y = H, z = N·C. */
#define VKA_PUSH_CONV
#include "common.glsl"
#include "push-constants.h"

layout (local_size_x = 8, local_size_y = 8, local_size_z = 1) in;

layout (std430, binding = 0) readonly buffer Padded { float padded[]; };  /* (N, C, H+2, W+2) */
layout (std430, binding = 1) writeonly buffer Folded { float folded[]; }; /* (N, C, H, W) */

/* The padded indices (at most three) that reflect onto i of n. */
int sources (int i, int n, out int p[3])
{
  int count = 0;
  p[count++] = i + 1;
  if (reflect_index (-1, n) == i)
    p[count++] = 0;
  if (reflect_index (n, n) == i)
    p[count++] = n + 1;
  return count;
}

void main ()
{
  int W = int (pc.width), H = int (pc.height);
  int x = int (gl_GlobalInvocationID.x), y = int (gl_GlobalInvocationID.y);
  int plane = int (gl_GlobalInvocationID.z);
  if (x >= W || y >= H || plane >= int (pc.batch * pc.in_channels))
    return;
  int py[3], px[3];
  int ny = sources (y, H, py), nx = sources (x, W, px);
  int base = plane * (H + 2) * (W + 2);
  float sum = 0.0;
  for (int a = 0; a < ny; a++)
    for (int b = 0; b < nx; b++)
      sum += padded[base + py[a] * (W + 2) + px[b]];
  folded[(plane * H + y) * W + x] = sum;
}
