#version 450
#extension GL_GOOGLE_include_directive : require
/* conv1x1_backward_data: din[n][ci][p] = Σ_co w[co][ci]·dout[n][co][p]
 * (the gradient through the encoder's conv0). Grid: x = W, y = H, z = N·Cin. */
#define VKA_PUSH_CONV
#include "common.glsl"
#include "push-constants.h"

layout (local_size_x = 8, local_size_y = 8, local_size_z = 1) in;

layout (std430, binding = 0) readonly buffer DOut { float dout[]; };
layout (std430, binding = 1) readonly buffer Weight { float weight[]; };  /* [Cout][Cin] */
layout (std430, binding = 2) writeonly buffer DIn { float din[]; };

void main ()
{
  int W = int (pc.width), H = int (pc.height);
  int cin = int (pc.in_channels), cout = int (pc.out_channels);
  int x = int (gl_GlobalInvocationID.x), y = int (gl_GlobalInvocationID.y);
  int n = int (gl_GlobalInvocationID.z) / cin, ci = int (gl_GlobalInvocationID.z) % cin;
  if (x >= W || y >= H || n >= int (pc.batch))
    return;
  int plane = H * W, pos = y * W + x;
  float acc = 0.0;
  for (int co = 0; co < cout; co++)
    acc += weight[co * cin + ci] * dout[(n * cout + co) * plane + pos];
  din[(n * cin + ci) * plane + pos] = acc;
}
