#version 450
#ifdef VKA_FP16
#extension GL_EXT_shader_16bit_storage : require
#endif
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
/* conv3x3_wino_pack: weights [Cout][Cin][3][3] -> U = G·g·Gᵀ, 16 values per
 * (co, ci), stored [16][⌈Cout/TCO⌉][Cin][TCO] so that conv3x3_wino_gemm reads
 * the TCO output channels of one (k, ci) as vec4s; channels past Cout are
 * zero. G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]. One invocation per (co, ci).
 * With VKA_WINO4, Winograd F(4,3): U = G·g·Gᵀ with G 6×3, 36 values per
 * (co, ci), stored [36][⌈Cout/TCO⌉][Cin][TCO].
 * With VKA_FP16, U is stored as float16 (the bytes conv3x3_wino_gemm reads
 * as packHalf2x16 words).
 * Grid: x = ⌈⌈Cout/TCO⌉·TCO·Cin / 256⌉. */
#define VKA_PUSH_CONV
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

#define TCO VKA_WINO_TCO

#ifdef VKA_WINO4
/* o = G·x for F(4,3), G = [¼ 0 0; −⅙ −⅙ −⅙; −⅙ ⅙ −⅙; 1/24 1/12 ⅙;
 * 1/24 −1/12 ⅙; 0 0 1] */
void g6 (float x[3], out float o[6])
{
  o[0] = 0.25 * x[0];
  o[1] = -(x[0] + x[1] + x[2]) / 6.0;
  o[2] = -(x[0] - x[1] + x[2]) / 6.0;
  o[3] = x[0] / 24.0 + x[1] / 12.0 + x[2] / 6.0;
  o[4] = x[0] / 24.0 - x[1] / 12.0 + x[2] / 6.0;
  o[5] = x[2];
}
#endif

void main ()
{
  uint cin = pc.in_channels, cout = pc.out_channels;
  uint blocks = (cout + TCO - 1u) / TCO;
  uint i = gl_GlobalInvocationID.x;
  if (i >= blocks * TCO * cin)
    return;
  uint ci = i % cin, co = i / cin;

  float g[3][3];
  [[unroll]] for (int r = 0; r < 3; r++)
    [[unroll]] for (int c = 0; c < 3; c++)
      g[r][c] = co < cout ? weight[(co * cin + ci) * 9u + uint (r * 3 + c)] : 0.0;

#ifdef VKA_WINO4
  /* t = G·g (6×3), then u = t·Gᵀ (6×6) */
  float t[6][3];
  [[unroll]] for (int c = 0; c < 3; c++)
    {
      float o[6];
      g6 (float[3] (g[0][c], g[1][c], g[2][c]), o);
      [[unroll]] for (int r = 0; r < 6; r++)
        t[r][c] = o[r];
    }
#else
  /* t = G·g (4×3), then u = t·Gᵀ (4×4) */
  float t[4][3];
  [[unroll]] for (int c = 0; c < 3; c++)
    {
      t[0][c] = g[0][c];
      t[1][c] = 0.5 * (g[0][c] + g[1][c] + g[2][c]);
      t[2][c] = 0.5 * (g[0][c] - g[1][c] + g[2][c]);
      t[3][c] = g[2][c];
    }
#endif
  uint stride = blocks * cin * TCO;   /* between k planes */
  uint o = ((co / TCO) * cin + ci) * TCO + co % TCO;
#ifdef VKA_WINO4
  [[unroll]] for (int r = 0; r < 6; r++)
    {
      float u[6];
      g6 (t[r], u);
      [[unroll]] for (int c = 0; c < 6; c++)
        packed[uint (r * 6 + c) * stride + o] = STORED (u[c]);
    }
#else
  [[unroll]] for (int r = 0; r < 4; r++)
    {
      float u[4];
      u[0] = t[r][0];
      u[1] = 0.5 * (t[r][0] + t[r][1] + t[r][2]);
      u[2] = 0.5 * (t[r][0] - t[r][1] + t[r][2]);
      u[3] = t[r][2];
      [[unroll]] for (int c = 0; c < 4; c++)
        packed[uint (r * 4 + c) * stride + o] = STORED (u[c]);
    }
#endif
}
