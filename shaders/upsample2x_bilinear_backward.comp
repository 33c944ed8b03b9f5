#version 450
#extension GL_GOOGLE_include_directive : require
/* upsample2x_bilinear_backward: din = the sum of dout over the outputs that
 * read each input pixel (rows 2y−1 … 2y+2 and columns 2x−1 … 2x+2 within
 * the map), each times the weight it read the pixel with: a gather, one
 * invocation per input pixel. Grid: x = in W, y = in H, z = planes. */
#define VKA_PUSH_RESAMPLE
#include "common.glsl"
#include "push-constants.h"

layout (local_size_x = 8, local_size_y = 8, local_size_z = 1) in;

layout (std430, binding = 0) readonly buffer DOut { float dout[]; };
layout (std430, binding = 1) writeonly buffer DIn { float din[]; };

void main ()
{
  uint x = gl_GlobalInvocationID.x, y = gl_GlobalInvocationID.y, p = gl_GlobalInvocationID.z;
  if (x >= pc.in_width || y >= pc.in_height || p >= pc.planes)
    return;
  int ih = int (pc.in_height), iw = int (pc.in_width);
  int oh = int (pc.out_height), ow = int (pc.out_width);
  int ix = int (x), iy = int (y);
  uint plane = p * pc.out_height * pc.out_width;
  float acc = 0.0;
  for (int oy = max (2 * iy - 1, 0); oy <= min (2 * iy + 2, oh - 1); oy++)
    {
      float row = 0.0;
      for (int ox = max (2 * ix - 1, 0); ox <= min (2 * ix + 2, ow - 1); ox++)
        row += bilinear2x_weight (ox, ix, iw) * dout[plane + uint (oy * ow + ox)];
      acc += bilinear2x_weight (oy, iy, ih) * row;
    }
  din[(p * pc.in_height + y) * pc.in_width + x] = acc;
}
