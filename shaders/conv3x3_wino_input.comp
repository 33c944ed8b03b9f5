#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
/* conv3x3_wino_input: V = Bᵀ·d·B for each 4×4 input tile d (stride 2, the
 * reflection padding folded into the loads), Bᵀ = [1 0 −1 0; 0 1 1 0;
 * 0 −1 1 0; 0 1 0 −1]. V is [16][Cin][tile_stride]. One invocation per 4
 * adjacent tiles of a row and one ci: they share their input columns, and
 * each of the 16 values goes out as one vec4. (Pad tiles past tiles_x get
 * finite values from clamped loads; no one reads their results.)
 * With VKA_CONV3X3_UPSAMPLED the input is (N, Cin, H/2, W/2), read as if
 * upsampled ×2 (nearest) first; pc gives the convolution's (output) size.
 * With VKA_WINO4, Winograd F(4,3): 6×6 tiles at stride 4 (4×4 output
 * blocks), 36 values each, V being [36][Cin][tile_stride].
 * With VKA_FP16, V is stored as float16, a vec4 as two packHalf2x16 words.
 * Grid: x = ⌈row_count·tile_pitch/4 / 64⌉, y = Cin. */
#define VKA_PUSH_WINO
#include "common.glsl"
#include "push-constants.h"

layout (local_size_x = 64, local_size_y = 1, local_size_z = 1) in;

layout (binding = 0) uniform samplerBuffer in_data;   /* (N, Cin, H, W) */
#ifdef VKA_FP16
layout (std430, binding = 1) writeonly buffer Transformed { uvec2 v_data[]; };
#  define STORED(x) uvec2 (packHalf2x16 ((x).xy), packHalf2x16 ((x).zw))
#else
layout (std430, binding = 1) writeonly buffer Transformed { vec4 v_data[]; };
#  define STORED(x) (x)
#endif

#ifdef VKA_WINO4
#  define POSITIONS 36
/* o = Bᵀ·x for F(4,3) (points 0, ±1, ±2), Bᵀ =
 * [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0;
 *  0 2 −1 −2 1 0; 0 4 0 −5 0 1] */
void bt6 (vec4 x[6], out vec4 o[6])
{
  o[0] = 4.0 * x[0] - 5.0 * x[2] + x[4];
  o[1] = -4.0 * (x[1] + x[2]) + x[3] + x[4];
  o[2] = 4.0 * (x[1] - x[2]) - x[3] + x[4];
  o[3] = 2.0 * (x[3] - x[1]) - x[2] + x[4];
  o[4] = 2.0 * (x[1] - x[3]) - x[2] + x[4];
  o[5] = 4.0 * x[1] - 5.0 * x[3] + x[5];
}
#else
#  define POSITIONS 16
#endif

void main ()
{
  uint groups = pc.tile_pitch / 4u;
  uint i = gl_GlobalInvocationID.x, ci = gl_GlobalInvocationID.y;
  if (i >= pc.row_count * groups)
    return;
  uint row = i / groups, tx0 = i % groups * 4u;
  uint global_row = pc.row_first + row;
  uint n = global_row / pc.tiles_y, ty = global_row % pc.tiles_y;
  int W = int (pc.width), H = int (pc.height);
  int IW = W / UPSCALE, IH = H / UPSCALE;   /* the input's size */
  int base = int ((n * pc.in_channels + ci) * uint (IH * IW));

#ifdef VKA_WINO4
  /* F(4,3): 6 rows × 18 columns, tile p reading columns 4p .. 4p+5; x[r][j]
   * holds column 4p+j of the 4 tiles */
  int cols[18];
  [[unroll]] for (int c = 0; c < 18; c++)
    cols[c] = conv_source (int (tx0) * 4 - 1 + c, W);
  vec4 x[6][6];
  [[unroll]] for (int r = 0; r < 6; r++)
    {
      int at = base + conv_source (int (ty) * 4 - 1 + r, H) * IW;
      float d[18];
      [[unroll]] for (int c = 0; c < 18; c++)
        d[c] = texelFetch (in_data, at + cols[c]).x;
      [[unroll]] for (int j = 0; j < 6; j++)
        x[r][j] = vec4 (d[j], d[4 + j], d[8 + j], d[12 + j]);
    }

  /* e = Bᵀ·x down the columns, then v = e·B along the rows */
  vec4 e[6][6];
  [[unroll]] for (int j = 0; j < 6; j++)
    {
      vec4 t[6] = vec4[6] (x[0][j], x[1][j], x[2][j], x[3][j], x[4][j], x[5][j]);
      vec4 o[6];
      bt6 (t, o);
      [[unroll]] for (int r = 0; r < 6; r++)
        e[r][j] = o[r];
    }
  vec4 v[36];
  [[unroll]] for (int r = 0; r < 6; r++)
    {
      vec4 o[6];
      bt6 (e[r], o);
      [[unroll]] for (int c = 0; c < 6; c++)
        v[r * 6 + c] = o[c];
    }
#else
  /* 4 rows × 10 columns: tile p reads columns 2p .. 2p+3 */
  int cols[10];
  [[unroll]] for (int c = 0; c < 10; c++)
    cols[c] = conv_source (int (tx0) * 2 - 1 + c, W);
  float d[4][10];
  [[unroll]] for (int r = 0; r < 4; r++)
    {
      int at = base + conv_source (int (ty) * 2 - 1 + r, H) * IW;
      [[unroll]] for (int c = 0; c < 10; c++)
        d[r][c] = texelFetch (in_data, at + cols[c]).x;
    }

  vec4 v[16];
  [[unroll]] for (int p = 0; p < 4; p++)
    {
      /* e = Bᵀ·d, then v = e·B */
      float e[4][4];
      [[unroll]] for (int j = 0; j < 4; j++)
        {
          int c = 2 * p + j;
          e[0][j] = d[0][c] - d[2][c];
          e[1][j] = d[1][c] + d[2][c];
          e[2][j] = d[2][c] - d[1][c];
          e[3][j] = d[1][c] - d[3][c];
        }
      [[unroll]] for (int r = 0; r < 4; r++)
        {
          v[r * 4 + 0][p] = e[r][0] - e[r][2];
          v[r * 4 + 1][p] = e[r][1] + e[r][2];
          v[r * 4 + 2][p] = e[r][2] - e[r][1];
          v[r * 4 + 3][p] = e[r][1] - e[r][3];
        }
    }
#endif
  uint plane = pc.in_channels * pc.tile_stride / 4u;   /* between k planes, in vec4s */
  uint o = (ci * pc.tile_stride + row * pc.tile_pitch + tx0) / 4u;
  [[unroll]] for (int k = 0; k < POSITIONS; k++)
    v_data[uint (k) * plane + o] = STORED (v[k]);
}
