#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#ifdef VKA_FP16
#extension GL_EXT_shader_16bit_storage : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#endif
/* conv3x3_gemm: 3×3 convolution with reflection padding 1, bias, optional
 * ReLU, as an implicit GEMM for GPUs: a workgroup makes a BM (output
 * channels) × BN (pixels) tile, staging BK input channels of one tap at a
 * time in shared memory; each invocation keeps TM channels × 8 pixels in
 * registers. The K loop runs tap-major (tap outer, unrolled; channels inner)
 * so that the reflected offsets of a tap are computed once per tap.
 * Weights come packed as [⌈Cout/BM⌉][9][Cin][BM] (conv3x3_pack with
 * VKA_PACK_TAP_MAJOR). lavapipe prefers conv3x3_reflect: shared memory and
 * barriers are slow there. With VKA_CONV3X3_UPSAMPLED the input is
 * (N, Cin, H/2, W/2), read as if upsampled ×2 (nearest) first.
 * With VKA_FP16 the packed weights and both shared tiles are float16 (half
 * the shared memory and weight traffic); the products and sums stay float32.
 * Grid: x·y ≥ ⌈H·W/BN⌉ pixel blocks (x at most 32768), z = N·⌈Cout/BM⌉. */
#define VKA_PUSH_CONV
#include "common.glsl"
#include "push-constants.h"

#define TM VKA_GEMM_TM            /* 4 or 8 */
#define BM (16 * TM)
#define BN 128
#define BK 8

layout (local_size_x = 256, local_size_y = 1, local_size_z = 1) in;

layout (std430, binding = 0) readonly buffer Input { float in_data[]; };  /* (N, Cin, H, W) */
#ifdef VKA_FP16
#  define TILE_VEC4 f16vec4
#  define TO_TILE(x) f16vec4 (x)
#  define FROM_TILE(x) vec4 (x)
#else
#  define TILE_VEC4 vec4
#  define TO_TILE(x) (x)
#  define FROM_TILE(x) (x)
#endif
layout (std430, binding = 1) readonly buffer Weight { TILE_VEC4 weight[]; };
layout (std430, binding = 2) readonly buffer Bias { float bias[]; };
layout (std430, binding = 3) writeonly buffer Output { float out_data[]; };

shared TILE_VEC4 tile_w[BK][BM / 4];
shared TILE_VEC4 tile_in[BK][BN / 4];

void main ()
{
  int W = int (pc.width), H = int (pc.height);
  int cin = int (pc.in_channels), cout = int (pc.out_channels);
  int plane = H * W;
  int IW = W / UPSCALE, in_plane = (H / UPSCALE) * IW;   /* the input's */
  int co_blocks = (cout + BM - 1) / BM;
  int p0 = int (gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x) * BN;
  int n = int (gl_WorkGroupID.z) / co_blocks;
  int cob = int (gl_WorkGroupID.z) % co_blocks;
  if (p0 >= plane)   /* the whole workgroup leaves together */
    return;

  int tid = int (gl_LocalInvocationIndex);
  int tx = tid % 16, ty = tid / 16;

  /* What this invocation stages: input row lk, pixels 4·lq … 4·lq+3. */
  int lk = tid / 32, lq = tid % 32;
  int ly[4], lx[4];
  [[unroll]] for (int j = 0; j < 4; j++)
    {
      int p = min (p0 + lq * 4 + j, plane - 1);
      ly[j] = p / W;
      lx[j] = p % W;
    }
  /* and weight row ak, vec4 column aq (when tid < BK·BM/4) */
  int ak = tid / (BM / 4), aq = tid % (BM / 4);
  bool stages_weights = tid < BK * BM / 4;

  vec4 acc[TM][2];   /* channel ty·TM+m; pixels 64·h + 4·tx … +3 */
  [[unroll]] for (int m = 0; m < TM; m++)
    acc[m][0] = acc[m][1] = vec4 (0.0);

  int in_base = n * cin * in_plane;
  int w_base = cob * 9 * cin * (BM / 4);
  [[unroll]] for (int tap = 0; tap < 9; tap++)
    {
      int off[4];
      [[unroll]] for (int j = 0; j < 4; j++)
        off[j] = conv_source (ly[j] + tap / 3 - 1, H) * IW
               + conv_source (lx[j] + tap % 3 - 1, W);
      for (int c0 = 0; c0 < cin; c0 += BK)
        {
          int ci = c0 + lk;
          vec4 v = vec4 (0.0);
          if (ci < cin)
            {
              int base = in_base + ci * in_plane;
              v = vec4 (in_data[base + off[0]], in_data[base + off[1]],
                        in_data[base + off[2]], in_data[base + off[3]]);
            }
          tile_in[lk][lq] = TO_TILE (v);
          if (stages_weights)
            tile_w[ak][aq] = c0 + ak < cin
                               ? weight[w_base + (tap * cin + c0 + ak) * (BM / 4) + aq]
                               : TO_TILE (vec4 (0.0));
          barrier ();
          [[unroll]] for (int k = 0; k < BK; k++)
            {
              vec4 b0 = FROM_TILE (tile_in[k][tx]), b1 = FROM_TILE (tile_in[k][16 + tx]);
              [[unroll]] for (int q = 0; q < TM / 4; q++)
                {
                  vec4 a = FROM_TILE (tile_w[k][ty * (TM / 4) + q]);
                  [[unroll]] for (int c = 0; c < 4; c++)
                    {
                      acc[q * 4 + c][0] += a[c] * b0;
                      acc[q * 4 + c][1] += a[c] * b1;
                    }
                }
            }
          barrier ();
        }
    }

  [[unroll]] for (int m = 0; m < TM; m++)
    {
      int co = cob * BM + ty * TM + m;
      if (co >= cout)
        break;
      float b = bias[co];
      int o = (n * cout + co) * plane;
      [[unroll]] for (int h = 0; h < 2; h++)
        [[unroll]] for (int j = 0; j < 4; j++)
          {
            int p = p0 + 64 * h + 4 * tx + j;
            if (p < plane)
              {
                float r = acc[m][h][j] + b;
                out_data[o + p] = pc.relu != 0u ? max (r, 0.0) : r;
              }
          }
    }
}
