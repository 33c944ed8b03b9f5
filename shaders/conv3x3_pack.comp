#version 450
#extension GL_GOOGLE_include_directive : require
/* conv3x3_pack: weights [Cout][Cin][3][3] -> [⌈Cout/TCO⌉][Cin][9][TCO] so that
 * conv3x3_reflect reads the TCO output channels of one tap as vec4s; channels
 * past Cout are zero. With VKA_PACK_TAP_MAJOR (for conv3x3_gemm, TCO = its
 * BM) the order is [⌈Cout/TCO⌉][9][Cin][TCO]. One invocation per packed
 * value. With VKA_PACK_FLIP (conv3x3_pack_flip) the weights are those of
 * the data gradient: transposed and turned by 180°, w'[co][ci][t] =
 * w[ci][co][8 − t], with pc's channels those of the gradient's convolution
 * (in = the forward's out, out = the forward's in). Grid: x = ⌈n/256⌉. */
#define VKA_PUSH_CONV
#include "common.glsl"
#include "push-constants.h"

layout (local_size_x = 256, local_size_y = 1, local_size_z = 1) in;

layout (std430, binding = 0) readonly buffer Weight { float weight[]; };
layout (std430, binding = 1) writeonly buffer Packed { float packed[]; };

void main ()
{
#ifdef VKA_PACK_TCO
  const uint TCO = VKA_PACK_TCO;
#else
  const uint TCO = VKA_CONV3X3_TCO;
#endif
  uint i = gl_GlobalInvocationID.x;
  uint cin = pc.in_channels, cout = pc.out_channels;
  uint blocks = (cout + TCO - 1u) / TCO;
  if (i >= blocks * cin * 9u * TCO)
    return;
#ifdef VKA_PACK_TAP_MAJOR
  uint j = i % TCO, ci = i / TCO % cin, tap = i / (TCO * cin) % 9u;
#else
  uint j = i % TCO, tap = i / TCO % 9u, ci = i / (TCO * 9u) % cin;
#endif
  uint co = i / (TCO * 9u * cin) * TCO + j;
#ifdef VKA_PACK_FLIP
  packed[i] = co < cout ? weight[(ci * cout + co) * 9u + 8u - tap] : 0.0;
#else
  packed[i] = co < cout ? weight[(co * cin + ci) * 9u + tap] : 0.0;
#endif
}
