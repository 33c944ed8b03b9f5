/* push-constants.h — every op's push-constant block, written once for C and
 * GLSL. A shader defines VKA_PUSH_<OP> before including this file and gets
 * that block as `pc`; C gets every struct as a typedef, size-checked. */
#ifndef VKA_PUSH_CONSTANTS_H
#define VKA_PUSH_CONSTANTS_H

#ifdef VKA_GLSL
#  define uint32_t uint
#  define int32_t int
#  define VKA_PUSH(NAME, GUARD) layout(push_constant) uniform NAME##Block
#  define VKA_PUSH_END(NAME) pc;
#else
#  include <stdint.h>
#  define VKA_PUSH(NAME, GUARD) typedef struct
#  define VKA_PUSH_END(NAME) NAME; \
     _Static_assert (sizeof (NAME) <= 128, #NAME " exceeds 128 bytes of push constants");
#endif

/* Tensors are NCHW float32. */

/* conv3x3_reflect's register tile: output channels × pixels per invocation.
 * Its weights are repacked (conv3x3_pack) in groups of VKA_CONV3X3_TCO. */
#define VKA_CONV3X3_TCO 8
#define VKA_CONV3X3_TPX 16
/* conv3x3_gemm: pixels per workgroup; output channels per workgroup are 64
 * (4 per invocation) or 128 (8 per invocation). */
#define VKA_CONV3X3_GEMM_BN 128
/* conv3x3_coopmat (any M×N×K cooperative-matrix shape): TM×TN matrices per
 * subgroup, SM×SN subgroups per workgroup, KC input channels (× 9 taps)
 * staged per step; its packed weights pad Cout to a multiple of CO_ALIGN
 * (of every shape's BM = SM·TM·M). */
#define VKA_COOPMAT_TM 2
#define VKA_COOPMAT_TN 2
#define VKA_COOPMAT_SM 2
#define VKA_COOPMAT_SN 2
#define VKA_COOPMAT_KC 16
#define VKA_COOPMAT_CO_ALIGN 64

#if !defined(VKA_GLSL) || defined(VKA_PUSH_CONV)
/* conv1x1, conv3x3_reflect: out[n][co][y][x] = bias[co] + Σ w·in, optional ReLU */
VKA_PUSH (VkaPushConv, VKA_PUSH_CONV)
{
  uint32_t batch;
  uint32_t in_channels;
  uint32_t out_channels;
  uint32_t height;
  uint32_t width;
  uint32_t relu;
} VKA_PUSH_END (VkaPushConv)
#endif

/* conv3x3_wino_*: Winograd F(2,3) (and F(4,3), conv3x3_wino4_*). The GEMM's
 * register tile: output channels × tiles per invocation. Tiles are 2×2 (F(4,3):
 * 4×4) output blocks in rows of tiles_x;
 * the tile rows of all images are numbered n·tiles_y + ty. One pass of the
 * three shaders covers row_count tile rows from row_first, whose transformed
 * values sit in the scratch buffers as rows of tile_pitch (tiles_x rounded
 * up to 4, so that 4 tiles of a row are one vec4), at a stride of
 * tile_stride (row_count·tile_pitch rounded up to TPX) per channel. */
#define VKA_WINO_TCO 8
#define VKA_WINO_TPX 16

#if !defined(VKA_GLSL) || defined(VKA_PUSH_WINO)
VKA_PUSH (VkaPushWino, VKA_PUSH_WINO)
{
  uint32_t batch;
  uint32_t in_channels;
  uint32_t out_channels;
  uint32_t height;
  uint32_t width;
  uint32_t relu;
  uint32_t tiles_x;      /* ⌈W/2⌉ (F(4,3): ⌈W/4⌉) */
  uint32_t tiles_y;      /* ⌈H/2⌉ (F(4,3): ⌈H/4⌉) */
  uint32_t row_first;
  uint32_t row_count;
  uint32_t tile_pitch;
  uint32_t tile_stride;
} VKA_PUSH_END (VkaPushWino)
#endif

#if !defined(VKA_GLSL) || defined(VKA_PUSH_RESAMPLE)
/* maxpool2x2_ceil, upsample2x (nearest and bilinear): planes = N·C, in and
 * out sizes */
VKA_PUSH (VkaPushResample, VKA_PUSH_RESAMPLE)
{
  uint32_t planes;
  uint32_t in_height;
  uint32_t in_width;
  uint32_t out_height;
  uint32_t out_width;
} VKA_PUSH_END (VkaPushResample)
#endif

#if !defined(VKA_GLSL) || defined(VKA_PUSH_STATS)
/* stats_partial, stats_final: per-plane Welford over chunks of the pixels of
 * a window (the whole plane for channel_stats) */
VKA_PUSH (VkaPushStats, VKA_PUSH_STATS)
{
  uint32_t planes;
  uint32_t pixels;       /* in the window */
  uint32_t chunk;        /* pixels per partial */
  uint32_t n_chunks;
  uint32_t plane_pixels; /* h·w of the input's planes */
  uint32_t width;        /* w of the input */
  uint32_t x0, y0;       /* the window's top-left */
  uint32_t window_w;     /* the window's width */
  uint32_t moments;      /* stats_final: 1 writes (mean, M2), 0 (mean, std) */
} VKA_PUSH_END (VkaPushStats)
#endif

#if !defined(VKA_GLSL) || defined(VKA_PUSH_ADAIN)
/* adain: out = α·(σt·(x−μx)/σx + μt) + (1−α)·x per plane */
VKA_PUSH (VkaPushAdain, VKA_PUSH_ADAIN)
{
  uint32_t batch;
  uint32_t channels;
  uint32_t pixels;
  float    alpha;
} VKA_PUSH_END (VkaPushAdain)
#endif

#if !defined(VKA_GLSL) || defined(VKA_PUSH_IMAGE)
/* image_to_tensor, tensor_to_image: interleaved pixels <-> 1×3×H×W planes.
 * tensor_to_image reads a window of a larger tensor (a tile's interior, or
 * the decoder's output, which is 8·⌈H/8⌉ tall). */
VKA_PUSH (VkaPushImage, VKA_PUSH_IMAGE)
{
  uint32_t image_width;
  uint32_t image_height;
  uint32_t image_channels;
  uint32_t tensor_width;
  uint32_t tensor_height;
  uint32_t origin_x;     /* tensor_to_image: where the image's top-left is read */
  uint32_t origin_y;
} VKA_PUSH_END (VkaPushImage)
#endif

#if !defined(VKA_GLSL) || defined(VKA_PUSH_CONV_GRAD)
/* conv3x3_backward_weight_partial / _final: weight and bias gradients summed
 * over the batch's pixels in chunks (lavapipe cuts longer loops off) */
VKA_PUSH (VkaPushConvGrad, VKA_PUSH_CONV_GRAD)
{
  uint32_t batch;
  uint32_t in_channels;
  uint32_t out_channels;
  uint32_t height;
  uint32_t width;
  uint32_t chunk;        /* pixels (of N·H·W) per partial sum */
  uint32_t n_chunks;
} VKA_PUSH_END (VkaPushConvGrad)
#endif

#if !defined(VKA_GLSL) || defined(VKA_PUSH_ELEMENTWISE)
/* relu_backward, mse_backward: count values; scale for the MSE gradient */
VKA_PUSH (VkaPushElementwise, VKA_PUSH_ELEMENTWISE)
{
  uint32_t count;
  uint32_t row;          /* invocations per grid row (the grid is 2-D) */
  float    scale;
} VKA_PUSH_END (VkaPushElementwise)
#endif

#if !defined(VKA_GLSL) || defined(VKA_PUSH_OPTIMIZER)
/* optimizer_step: Adam (step_size = lr/(1−β1^t)) or SGD (step_size = lr) */
VKA_PUSH (VkaPushOptimizer, VKA_PUSH_OPTIMIZER)
{
  uint32_t count;
  uint32_t row;
  uint32_t sgd;
  float    step_size;
  float    beta1;
  float    beta2;
  float    one_minus_beta1;   /* from the host in double, as PyTorch does */
  float    one_minus_beta2;
  float    eps;
  float    inv_sqrt_bc2;  /* 1/sqrt(1−β2^t) */
} VKA_PUSH_END (VkaPushOptimizer)
#endif

#if !defined(VKA_GLSL) || defined(VKA_PUSH_BLEND)
/* mask_blend: out = m·a + (1−m)·b, m (N,1,H,W) broadcast over channels */
VKA_PUSH (VkaPushBlend, VKA_PUSH_BLEND)
{
  uint32_t batch;
  uint32_t channels;
  uint32_t pixels;
} VKA_PUSH_END (VkaPushBlend)
#endif

#endif
