#version 450
#extension GL_GOOGLE_include_directive : require
/* conv3x3_backward_weight_final: sums the chunks' partials into the weight
 * gradient (Cout, Cin, 3, 3) and the bias gradient (Cout).
 * Grid: x = ⌈(Cout·Cin·9 + Cout)/256⌉. */
#define VKA_PUSH_CONV_GRAD
#include "common.glsl"
#include "push-constants.h"

layout (local_size_x = 256, local_size_y = 1, local_size_z = 1) in;

layout (std430, binding = 0) readonly buffer Partial { float partial[]; };
layout (std430, binding = 1) writeonly buffer DWeight { float dweight[]; };
layout (std430, binding = 2) writeonly buffer DBias { float dbias[]; };

void main ()
{
  uint i = gl_GlobalInvocationID.x;
  uint n_weights = pc.out_channels * pc.in_channels * 9u;
  uint per_chunk = n_weights + pc.out_channels;
  if (i >= per_chunk)
    return;
  float sum = 0.0;
  for (uint c = 0u; c < pc.n_chunks; c++)
    sum += partial[c * per_chunk + i];
  if (i < n_weights)
    dweight[i] = sum;
  else
    dbias[i - n_weights] = sum;
}
