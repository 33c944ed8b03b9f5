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
 * With VKA_CONV3X3_FULL it is the "full" convolution that backpropagates a
 * 3×3 layer instead: zero padding 2, no bias, no ReLU, an (H+2)×(W+2) output
 * (the gradient of the padded input, which conv3x3_fold then folds back
 * through the reflection); W and H are the input's, and the weights come
 * packed transposed and flipped. With VKA_CONV3X3_UPSAMPLED its input is
 * (N, Cin, H/2, W/2) and is read as if upsampled ×2 (nearest) first. */
#define VKA_PUSH_CONV
#include "common.glsl"
#include "push-constants.h"

layout (local_size_x = 64, local_size_y = 1, local_size_z = 1) in;

layout (binding = 0) uniform samplerBuffer in_data;  /* (N, Cin, H, W) */
layout (binding = 1) uniform samplerBuffer weight;   /* vec4 [Cout/TCO][Cin][9][TCO/4] */
#ifdef VKA_CONV3X3_FULL
layout (std430, binding = 2) writeonly buffer Output { float out_data[]; };
#define PAD 2
#else
layout (std430, binding = 2) readonly buffer Bias { float bias[]; };
layout (std430, binding = 3) writeonly buffer Output { float out_data[]; };
#define PAD 0
#endif

#define TCO VKA_CONV3X3_TCO
#define TPX VKA_CONV3X3_TPX
#define TQ (TCO / 4)

void main ()
{
  int W = int (pc.width), H = int (pc.height);
  int OW = W + PAD, OH = H + PAD;
  int IW = W / UPSCALE, IH = H / UPSCALE;   /* the input's size */
  int cin = int (pc.in_channels), cout = int (pc.out_channels);
  int co_blocks = (cout + TCO - 1) / TCO;
  int x_blocks = (OW + TPX - 1) / TPX;
  int x0 = int (gl_GlobalInvocationID.x) % x_blocks * TPX;
  int y = int (gl_GlobalInvocationID.x) / x_blocks;
  int n = int (gl_GlobalInvocationID.y) / co_blocks;
  int cob = int (gl_GlobalInvocationID.y) % co_blocks;
  if (y >= OH || n >= int (pc.batch))
    return;

  int cols[TPX + 2];
  int rows[3];
#ifdef VKA_CONV3X3_FULL
  /* reads outside the input are zeros: a clamped load times a 0/1 mask */
  float col_mask[TPX + 2], row_mask[3];
  [[unroll]] for (int i = 0; i < TPX + 2; i++)
    {
      int x = x0 - 2 + i;
      col_mask[i] = x >= 0 && x < W ? 1.0 : 0.0;
      cols[i] = clamp (x, 0, W - 1);
    }
  [[unroll]] for (int k = 0; k < 3; k++)
    {
      int r = y - 2 + k;
      row_mask[k] = r >= 0 && r < H ? 1.0 : 0.0;
      rows[k] = clamp (r, 0, H - 1) * W;
    }
#else
  [[unroll]] for (int i = 0; i < TPX + 2; i++)
    cols[i] = conv_source (x0 - 1 + i, W);
  [[unroll]] for (int k = 0; k < 3; k++)
    rows[k] = conv_source (y - 1 + k, H) * IW;
#endif

  vec4 acc[TQ][TPX];
  [[unroll]] for (int q = 0; q < TQ; q++)
    [[unroll]] for (int p = 0; p < TPX; p++)
      acc[q][p] = vec4 (0.0);

  int plane = IH * IW;
  int base = n * cin * plane;
  int wi = cob * cin * 9 * TQ;
  for (int ci = 0; ci < cin; ci++, base += plane)
    [[unroll]] for (int ky = 0; ky < 3; ky++)
      {
        float v[TPX + 2];
        [[unroll]] for (int i = 0; i < TPX + 2; i++)
          v[i] = texelFetch (in_data, base + rows[ky] + cols[i]).x;
#ifdef VKA_CONV3X3_FULL
        [[unroll]] for (int i = 0; i < TPX + 2; i++)
          v[i] *= col_mask[i] * row_mask[ky];
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
        int o = ((n * cout + co) * OH + y) * OW + x0;
#ifdef VKA_CONV3X3_FULL
        [[unroll]] for (int p = 0; p < TPX; p++)
          if (x0 + p < OW)
            out_data[o + p] = acc[q][p][c];
#else
        float b = bias[co];
        [[unroll]] for (int p = 0; p < TPX; p++)
          if (x0 + p < OW)
            {
              float r = acc[q][p][c] + b;
              out_data[o + p] = pc.relu != 0u ? max (r, 0.0) : r;
            }
#endif
      }
}
