#version 450
#extension GL_GOOGLE_include_directive : require
/* upsample2x_bilinear: bilinear ×2, PyTorch's align_corners=False (see
 * bilinear2x_neighbour). Grid: x = out W, y = out H, z = planes. */
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
  uint ih = pc.in_height, iw = pc.in_width;
  uint x0 = x / 2u, x1 = uint (bilinear2x_neighbour (int (x), int (iw)));
  uint y0 = y / 2u, y1 = uint (bilinear2x_neighbour (int (y), int (ih)));
  uint near = (p * ih + y0) * iw, far = (p * ih + y1) * iw;
  float top = 0.75 * in_data[near + x0] + 0.25 * in_data[near + x1];
  float bottom = 0.75 * in_data[far + x0] + 0.25 * in_data[far + x1];
  out_data[(p * pc.out_height + y) * pc.out_width + x] = 0.75 * top + 0.25 * bottom;
}
