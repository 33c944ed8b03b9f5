#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#extension GL_KHR_cooperative_matrix : require
#extension GL_KHR_memory_scope_semantics : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_EXT_shader_16bit_storage : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
/* conv3x3_coopmat: 3×3 convolution with reflection padding 1, bias, optional
 * ReLU, as an implicit GEMM on cooperative matrices (GL_KHR_cooperative_matrix):
 * out (Cout × pixels) = weights (Cout × 9·Cin) · im2col(in) (9·Cin × pixels),
 * float16 operands, float32 sums. The matrix shape is VKA_CM_M × VKA_CM_N ×
 * VKA_CM_K, one the device offers (a variant per shape). Each subgroup keeps
 * TM × TN accumulators; a workgroup is SM × SN subgroups (local size x is
 * the device's subgroup size, specialisation constant 0; y one per
 * subgroup) and makes BM output channels × BN pixels. The K loop stages KC
 * input channels × 9 taps of the pixel block in shared memory per step
 * (so one barrier pair per KC channels); the weights, packed by
 * conv3x3_coopmat_pack as [⌈Cout/CO_ALIGN⌉·CO_ALIGN][⌈Cin/KC⌉][9][KC] float16
 * with zeros past Cout and Cin, are loaded as matrices straight from the
 * buffer. Results go through a per-subgroup shared matrix to add the bias,
 * apply the ReLU and drop what lies past Cout or the plane. With
 * VKA_CONV3X3_UPSAMPLED the input is (N, Cin, H/2, W/2), read as if
 * upsampled ×2 (nearest) first.
 * Grid: x·y ≥ ⌈H·W/BN⌉ pixel blocks (x at most 32768), z = N·⌈Cout/BM⌉. */
#define VKA_PUSH_CONV
#include "common.glsl"
#include "push-constants.h"

const int M = VKA_CM_M, N = VKA_CM_N, K = VKA_CM_K;
const int TM = VKA_COOPMAT_TM, TN = VKA_COOPMAT_TN;
const int SM = VKA_COOPMAT_SM, SN = VKA_COOPMAT_SN;
const int BM = SM * TM * M, BN = SN * TN * N;
const int KC = VKA_COOPMAT_KC;
const int ROWS = 9 * KC;            /* staged B rows per step: (tap, channel) */
const int BNS = BN + 8;             /* staged row stride: 16-byte rows, fewer bank clashes */

layout (local_size_x_id = 0, local_size_y = SM * SN, local_size_z = 1) in;
layout (constant_id = 0) const int SUBGROUP = 32;

layout (std430, binding = 0) readonly buffer Input { float in_data[]; };  /* (N, Cin, H, W) */
layout (std430, binding = 1) readonly buffer Weight { float16_t weight[]; };
layout (std430, binding = 2) readonly buffer Bias { float bias[]; };
layout (std430, binding = 3) writeonly buffer Output { float out_data[]; };

shared float16_t tile_b[ROWS * BNS];
shared int tap_offset[9 * BN];      /* input offset of (tap, column); -1 past the plane */
shared float tile_c[SM * SN * M * N];

void main ()
{
  int W = int (pc.width), H = int (pc.height);
  int cin = int (pc.in_channels), cout = int (pc.out_channels);
  int plane = H * W;
  int IW = W / UPSCALE, in_plane = (H / UPSCALE) * IW;
  int co_blocks = (cout + BM - 1) / BM;
  int p0 = int (gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x) * BN;
  int n = int (gl_WorkGroupID.z) / co_blocks;
  int cob = int (gl_WorkGroupID.z) % co_blocks;
  if (p0 >= plane)   /* the whole workgroup leaves together */
    return;

  const int threads = SUBGROUP * SM * SN;
  int tid = int (gl_LocalInvocationIndex);
  int sg = int (gl_SubgroupID), sm = sg / SN, sn = sg % SN;

  for (int i = tid; i < 9 * BN; i += threads)
    {
      int tap = i / BN, p = p0 + i % BN;
      int y = p / W, x = p % W;
      tap_offset[i] = p < plane ? conv_source (y + tap / 3 - 1, H) * IW
                                  + conv_source (x + tap % 3 - 1, W)
                                : -1;
    }

  coopmat<float, gl_ScopeSubgroup, M, N, gl_MatrixUseAccumulator> acc[TM][TN];
  [[unroll]] for (int i = 0; i < TM; i++)
    [[unroll]] for (int j = 0; j < TN; j++)
      acc[i][j] = coopmat<float, gl_ScopeSubgroup, M, N, gl_MatrixUseAccumulator> (0.0);

  int chunks = (cin + KC - 1) / KC;
  int a_stride = chunks * ROWS;
  int a_row = cob * BM + sm * TM * M;
  int in_base = n * cin * in_plane;
  for (int chunk = 0; chunk < chunks; chunk++)
    {
      barrier ();   /* tap_offset written; the last step's tile_b read */
      for (int i = tid; i < ROWS * BN; i += threads)
        {
          int row = i / BN, col = i % BN;
          int ci = chunk * KC + row % KC;
          int off = tap_offset[(row / KC) * BN + col];
          float v = ci < cin && off >= 0 ? in_data[in_base + ci * in_plane + off] : 0.0;
          tile_b[row * BNS + col] = float16_t (v);
        }
      barrier ();
      int a_base = a_row * a_stride + chunk * ROWS;
      for (int k = 0; k < ROWS; k += K)
        {
          coopmat<float16_t, gl_ScopeSubgroup, M, K, gl_MatrixUseA> a[TM];
          [[unroll]] for (int i = 0; i < TM; i++)
            coopMatLoad (a[i], weight, a_base + i * M * a_stride + k, a_stride,
                         gl_CooperativeMatrixLayoutRowMajor);
          [[unroll]] for (int j = 0; j < TN; j++)
            {
              coopmat<float16_t, gl_ScopeSubgroup, K, N, gl_MatrixUseB> b;
              coopMatLoad (b, tile_b, k * BNS + (sn * TN + j) * N, BNS,
                           gl_CooperativeMatrixLayoutRowMajor);
              [[unroll]] for (int i = 0; i < TM; i++)
                acc[i][j] = coopMatMulAdd (a[i], b, acc[i][j]);
            }
        }
    }

  /* out of the matrices one at a time through this subgroup's shared M×N */
  int lane = int (gl_SubgroupInvocationID);
  int c_base = sg * M * N;
  [[unroll]] for (int i = 0; i < TM; i++)
    [[unroll]] for (int j = 0; j < TN; j++)
      {
        coopMatStore (acc[i][j], tile_c, c_base, N, gl_CooperativeMatrixLayoutRowMajor);
        subgroupMemoryBarrierShared ();
        subgroupBarrier ();
        for (int e = lane; e < M * N; e += SUBGROUP)
          {
            int co = a_row + i * M + e / N;
            int p = p0 + (sn * TN + j) * N + e % N;
            if (co < cout && p < plane)
              {
                float r = tile_c[c_base + e] + bias[co];
                out_data[(n * cout + co) * plane + p] = pc.relu != 0u ? max (r, 0.0) : r;
              }
          }
        subgroupMemoryBarrierShared ();
        subgroupBarrier ();
      }
}
