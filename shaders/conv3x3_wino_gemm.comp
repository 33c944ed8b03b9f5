#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
/* conv3x3_wino_gemm: the independent products of Winograd F(2,3) (16
 * positions k) or F(4,3) (36; the same shader, the grid's z differing),
 * M[k][co][t] = Σ_ci U[k][co][ci]·V[k][ci][t]. Each invocation makes TCO
 * output channels × TPX tiles in registers (vec4s along the tiles), reading
 * V and U as texel buffers, with no shared memory: what lavapipe runs
 * fastest. Consecutive workgroups share their tiles (x runs over output
 * channel blocks), so V stays in cache.
 * With VKA_FP16, V, U and M are float16, a vec4 as two packHalf2x16 words
 * (read through R32G32_UINT texel views: on lavapipe faster than
 * half-float views); the sums stay float32.
 * Grid: x = ⌈Cout/TCO⌉, y = ⌈tile_stride/(TPX·32)⌉, z = K (16 or 36). */
#define VKA_PUSH_WINO
#include "push-constants.h"

layout (local_size_x = 32, local_size_y = 1, local_size_z = 1) in;

#ifdef VKA_FP16
layout (binding = 0) uniform usamplerBuffer v_data;
layout (binding = 1) uniform usamplerBuffer u_data;
vec4 unpack4 (uvec2 p) { return vec4 (unpackHalf2x16 (p.x), unpackHalf2x16 (p.y)); }
#  define FETCH(s, i) unpack4 (texelFetch (s, i).xy)
#else
layout (binding = 0) uniform samplerBuffer v_data;   /* vec4 [K][Cin][tile_stride/4] */
layout (binding = 1) uniform samplerBuffer u_data;   /* vec4 [K][⌈Cout/TCO⌉][Cin][TCO/4] */
#  define FETCH(s, i) texelFetch (s, i)
#endif
/* M: vec4 [K][Cout][tile_stride/4] */
#ifdef VKA_FP16
layout (std430, binding = 2) writeonly buffer Products { uvec2 m_data[]; };
#  define STORED(x) uvec2 (packHalf2x16 ((x).xy), packHalf2x16 ((x).zw))
#else
layout (std430, binding = 2) writeonly buffer Products { vec4 m_data[]; };
#  define STORED(x) (x)
#endif

#define TCO VKA_WINO_TCO
#define TQ (TCO / 4)
#define TP4 (VKA_WINO_TPX / 4)

void main ()
{
  uint cob = gl_WorkGroupID.x, k = gl_WorkGroupID.z;
  uint t4 = (gl_WorkGroupID.y * 32u + gl_LocalInvocationID.x) * TP4;  /* in vec4s */
  uint stride4 = pc.tile_stride / 4u, cin = pc.in_channels, cout = pc.out_channels;
  uint blocks = (cout + TCO - 1u) / TCO;
  if (t4 >= stride4)
    return;

  vec4 acc[TCO][TP4];
  [[unroll]] for (int c = 0; c < TCO; c++)
    [[unroll]] for (int j = 0; j < TP4; j++)
      acc[c][j] = vec4 (0.0);

  int vi = int (k * cin * stride4 + t4);
  int ui = int (((k * blocks + cob) * cin) * TQ);
  uint ci = 0u;
  for (; ci + 2u <= cin; ci += 2u, vi += 2 * int (stride4), ui += 2 * TQ)
    {
      vec4 v[2][TP4];
      vec4 u[2][TQ];
      [[unroll]] for (int s = 0; s < 2; s++)
        {
          [[unroll]] for (int j = 0; j < TP4; j++)
            v[s][j] = FETCH (v_data, vi + s * int (stride4) + j);
          [[unroll]] for (int q = 0; q < TQ; q++)
            u[s][q] = FETCH (u_data, ui + s * TQ + q);
        }
      [[unroll]] for (int s = 0; s < 2; s++)
        [[unroll]] for (int q = 0; q < TQ; q++)
          [[unroll]] for (int c = 0; c < 4; c++)
            [[unroll]] for (int j = 0; j < TP4; j++)
              acc[q * 4 + c][j] += u[s][q][c] * v[s][j];
    }
  if (ci < cin)
    {
      vec4 v[TP4];
      [[unroll]] for (int j = 0; j < TP4; j++)
        v[j] = FETCH (v_data, vi + j);
      [[unroll]] for (int q = 0; q < TQ; q++)
        {
          vec4 u = FETCH (u_data, ui + q);
          [[unroll]] for (int c = 0; c < 4; c++)
            [[unroll]] for (int j = 0; j < TP4; j++)
              acc[q * 4 + c][j] += u[c] * v[j];
        }
    }

  [[unroll]] for (int c = 0; c < TCO; c++)
    {
      uint co = cob * TCO + uint (c);
      if (co >= cout)
        break;
      uint o = (k * cout + co) * stride4 + t4;
      [[unroll]] for (int j = 0; j < TP4; j++)
        m_data[o + uint (j)] = STORED (acc[c][j]);
    }
}
