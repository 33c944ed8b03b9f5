#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
/* conv3x3_reflect: 3×3 convolution with reflection padding 1, bias, optional
 * ReLU, as a register-tiled direct convolution. Each invocation makes TCO
 * output channels × TPX adjacent pixels of one row. Activations and the
 * packed weights are read as texel buffers (texelFetch), and the tile loops
 * are unrolled into straight-line code: both matter on lavapipe.
 * Grid: x = ⌈⌈W/TPX⌉·H / 64⌉, y = N·⌈Cout/TCO⌉.
 *
 * With VKA_CONV3X3_ZERO_PAD (conv3x3_zero): zero padding instead, and no
 * bias (binding 2 is not read). With weights flipped and transposed
 * (conv3x3_pack_flip) that is the data gradient of conv3x3_reflect but for
 * the reflected border, which conv3x3_backward_data_border adds. */
#define VKA_PUSH_CONV
#include "common.glsl"
#include "push-constants.h"

layout (local_size_x = 64, local_size_y = 1, local_size_z = 1) in;

layout (binding = 0) uniform samplerBuffer in_data;  /* (N, Cin, H, W) */
layout (binding = 1) uniform samplerBuffer weight;   /* vec4 [Cout/TCO][Cin][9][TCO/4] */
layout (std430, binding = 2) readonly buffer Bias { float bias[]; };
layout (std430, binding = 3) writeonly buffer Output { float out_data[]; };

#define TCO VKA_CONV3X3_TCO
#define TPX VKA_CONV3X3_TPX
#define TQ (TCO / 4)

void main ()
{
  int W = int (pc.width), H = int (pc.height);
  int cin = int (pc.in_channels), cout = int (pc.out_channels);
  int co_blocks = (cout + TCO - 1) / TCO;
  int x_blocks = (W + TPX - 1) / TPX;
  int x0 = int (gl_GlobalInvocationID.x) % x_blocks * TPX;
  int y = int (gl_GlobalInvocationID.x) / x_blocks;
  int n = int (gl_GlobalInvocationID.y) / co_blocks;
  int cob = int (gl_GlobalInvocationID.y) % co_blocks;
  if (y >= H || n >= int (pc.batch))
    return;

  int cols[TPX + 2];
  int rows[3];
#ifdef VKA_CONV3X3_ZERO_PAD
  /* outside the map: read a clamped neighbour and multiply it by 0 */
  float col_in[TPX + 2], row_in[3];
  [[unroll]] for (int i = 0; i < TPX + 2; i++)
    {
      int c = x0 - 1 + i;
      cols[i] = clamp (c, 0, W - 1);
      col_in[i] = c >= 0 && c < W ? 1.0 : 0.0;
    }
  [[unroll]] for (int k = 0; k < 3; k++)
    {
      int r = y - 1 + k;
      rows[k] = clamp (r, 0, H - 1) * W;
      row_in[k] = r >= 0 && r < H ? 1.0 : 0.0;
    }
#else
  [[unroll]] for (int i = 0; i < TPX + 2; i++)
    cols[i] = reflect_index (x0 - 1 + i, W);
  [[unroll]] for (int k = 0; k < 3; k++)
    rows[k] = reflect_index (y - 1 + k, H) * W;
#endif

  vec4 acc[TQ][TPX];
  [[unroll]] for (int q = 0; q < TQ; q++)
    [[unroll]] for (int p = 0; p < TPX; p++)
      acc[q][p] = vec4 (0.0);

  int plane = H * W;
  int base = n * cin * plane;
  int wi = cob * cin * 9 * TQ;
  for (int ci = 0; ci < cin; ci++, base += plane)
    [[unroll]] for (int ky = 0; ky < 3; ky++)
      {
        float v[TPX + 2];
        [[unroll]] for (int i = 0; i < TPX + 2; i++)
#ifdef VKA_CONV3X3_ZERO_PAD
          v[i] = texelFetch (in_data, base + rows[ky] + cols[i]).x * (col_in[i] * row_in[ky]);
#else
          v[i] = texelFetch (in_data, base + rows[ky] + cols[i]).x;
#endif
        [[unroll]] for (int kx = 0; kx < 3; kx++, wi += TQ)
          [[unroll]] for (int q = 0; q < TQ; q++)
            {
              vec4 w = texelFetch (weight, wi + q);
              [[unroll]] for (int p = 0; p < TPX; p++)
                acc[q][p] += w * v[p + kx];
            }
      }

  [[unroll]] for (int q = 0; q < TQ; q++)
    [[unroll]] for (int c = 0; c < 4; c++)
      {
        int co = cob * TCO + q * 4 + c;
        if (co >= cout)
          break;
#ifdef VKA_CONV3X3_ZERO_PAD
        float b = 0.0;
#else
        float b = bias[co];
#endif
        int o = ((n * cout + co) * H + y) * W + x0;
        [[unroll]] for (int p = 0; p < TPX; p++)
          if (x0 + p < W)
            {
              float r = acc[q][p][c] + b;
              out_data[o + p] = pc.relu != 0u ? max (r, 0.0) : r;
            }
      }
}
