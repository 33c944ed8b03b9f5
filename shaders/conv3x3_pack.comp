#version 450
#extension GL_GOOGLE_include_directive : require
#ifdef VKA_FP16
#extension GL_EXT_shader_16bit_storage : require
#endif
/* conv3x3_pack: weights [Cout][Cin][3][3] -> [⌈Cout/TCO⌉][Cin][9][TCO] so that
 * conv3x3_reflect reads the TCO output channels of one tap as vec4s; channels
 * past Cout are zero. With VKA_PACK_TAP_MAJOR (for conv3x3_gemm, TCO = its
 * BM) the order is [⌈Cout/TCO⌉][9][Cin][TCO]. One invocation per packed
 * value. With VKA_PACK_TRANSPOSE_FLIP the source is a layer's weights and the
 * packed kernel is its backward "full" convolution (conv3x3_reflect with
 * VKA_CONV3X3_FULL): in and out channels swap and the taps turn 180°; the
 * push constants give the packed kernel's channel counts. With VKA_FP16 the
 * packed values are float16 (conv3x3_gemm's fp16 form). Grid: x = ⌈n/256⌉. */
#define VKA_PUSH_CONV
#include "common.glsl"
#include "push-constants.h"

layout (local_size_x = 256, local_size_y = 1, local_size_z = 1) in;

layout (std430, binding = 0) readonly buffer Weight { float weight[]; };
#ifdef VKA_FP16
layout (std430, binding = 1) writeonly buffer Packed { float16_t packed[]; };
#  define STORED(x) float16_t (x)
#else
layout (std430, binding = 1) writeonly buffer Packed { float packed[]; };
#  define STORED(x) (x)
#endif

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
#ifdef VKA_PACK_TRANSPOSE_FLIP
  packed[i] = STORED (co < cout ? weight[(ci * cout + co) * 9u + 8u - tap] : 0.0);
#else
  packed[i] = STORED (co < cout ? weight[(co * cin + ci) * 9u + tap] : 0.0);
#endif
}
