#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_shader_16bit_storage : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
/* conv3x3_coopmat_pack: weights [Cout][Cin][3][3] -> float16
 * [⌈Cout/CO_ALIGN⌉·CO_ALIGN][⌈Cin/KC⌉][9][KC], the row-major A matrix of
 * conv3x3_coopmat (a row per output channel; K runs over the input channels
 * in chunks of KC, all 9 taps of a chunk together); zeros past Cout and
 * Cin. One invocation per packed value. Grid: x = ⌈n/256⌉. */
#define VKA_PUSH_CONV
#include "push-constants.h"

layout (local_size_x = 256, local_size_y = 1, local_size_z = 1) in;

layout (std430, binding = 0) readonly buffer Weight { float weight[]; };
layout (std430, binding = 1) writeonly buffer Packed { float16_t packed[]; };

void main ()
{
  const uint KC = VKA_COOPMAT_KC, ALIGN = VKA_COOPMAT_CO_ALIGN;
  uint i = gl_GlobalInvocationID.x;
  uint cin = pc.in_channels, cout = pc.out_channels;
  uint row = ((cin + KC - 1u) / KC) * 9u * KC;
  if (i >= (cout + ALIGN - 1u) / ALIGN * ALIGN * row)
    return;
  uint co = i / row, k = i % row;
  uint ci = k / (9u * KC) * KC + k % KC, tap = k / KC % 9u;
  packed[i] = float16_t (co < cout && ci < cin ? weight[(co * cin + ci) * 9u + tap] : 0.0);
}
