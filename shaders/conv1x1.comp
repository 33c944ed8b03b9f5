#version 450
#extension GL_GOOGLE_include_directive : require
/* conv1x1: pointwise convolution with bias, optional ReLU (the encoder's
 * conv0). One invocation per output value. Grid: x = W, y = H, z = N·Cout. */
#define VKA_PUSH_CONV
#include "common.glsl"
#include "push-constants.h"

layout (local_size_x = 8, local_size_y = 8, local_size_z = 1) in;

layout (std430, binding = 0) readonly buffer Input { float in_data[]; };
layout (std430, binding = 1) readonly buffer Weight { float weight[]; };  /* [Cout][Cin] */
layout (std430, binding = 2) readonly buffer Bias { float bias[]; };
layout (std430, binding = 3) writeonly buffer Output { float out_data[]; };

void main ()
{
  int W = int (pc.width), H = int (pc.height);
  int cin = int (pc.in_channels), cout = int (pc.out_channels);
  int x = int (gl_GlobalInvocationID.x), y = int (gl_GlobalInvocationID.y);
  int n = int (gl_GlobalInvocationID.z) / cout, co = int (gl_GlobalInvocationID.z) % cout;
  if (x >= W || y >= H || n >= int (pc.batch))
    return;
  int plane = H * W, pos = y * W + x;
  float acc = bias[co];
  for (int ci = 0; ci < cin; ci++)
    acc += weight[co * cin + ci] * in_data[(n * cin + ci) * plane + pos];
  out_data[(n * cout + co) * plane + pos] = pc.relu != 0u ? max (acc, 0.0) : acc;
}
