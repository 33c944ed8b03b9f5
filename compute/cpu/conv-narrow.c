/* conv-narrow.c — 3×3 convolutions with very few input or output channels
 * (the network's first layer, RGB → 16, and its last, 16 → RGB), written
 * here instead of run by oneDNN.
 *
 * oneDNN 2.6 runs them at 5–30 GFLOP/s: with 3 input channels its direct
 * kernel wants a planar copy of the input, and with 3 outputs it computes a
 * whole block of 16, then copies its dense output into the padded map. These
 * loops read and write the padded nChw16c maps (cpu-private.h) as they are:
 * the input's border already holds the reflection, so every output pixel is
 * the same 9-tap sum, and each thread writes whole rows of the output. */
#include "cpu-private.h"

#include <string.h>

/* a·b + c as one rounding (FMA) in the vector loops; ISO C mode turns it off */
#pragma GCC optimize ("fp-contract=fast")

/* The row loops are inlined into each CPU's copy of their callers
 * (VKA_CPU_LANE_LOOPS), where a 16-lane vector is one AVX-512 register (two
 * AVX2 ones). */
#define ROW_LOOP static inline __attribute__ ((always_inline)) void

typedef float Lanes __attribute__ ((vector_size (VKA_CPU_BLOCK * sizeof (float)), aligned (4)));
typedef gint32 LaneMask __attribute__ ((vector_size (VKA_CPU_BLOCK * sizeof (gint32)),
                                        aligned (4)));
/* Only ever inlined, so the vector arguments never cross a call. */
#pragma GCC diagnostic ignored "-Wpsabi"
#define LANE_HELPER static inline __attribute__ ((always_inline)) Lanes

LANE_HELPER
load (const float *p)
{
  return *(const Lanes *) p;
}

LANE_HELPER
relu_lanes (Lanes v, gboolean relu)
{
  Lanes zero = { 0 };
  return relu ? (Lanes) ((LaneMask) v & (v > zero)) : v;
}

/* Few inputs, a block of 16 outputs: per pixel 9·cin broadcasts times a
 * 16-lane weight row. Four pixels at a time share the weight loads. */
ROW_LOOP
narrow_in_row (const float *in, gsize in_row, const float *w, const float *bias, int cin,
               int width, gboolean relu, float *out)
{
  const Lanes b = load (bias);
  int x = 0;
  for (; x + 4 <= width; x += 4)
    {
      Lanes acc0 = b, acc1 = b, acc2 = b, acc3 = b;
      for (int ky = 0; ky < 3; ky++)
        for (int kx = 0; kx < 3; kx++)
          {
            const float *px = in + ky * in_row + (gsize) (x + kx) * VKA_CPU_BLOCK;
            const float *wt = w + (ky * 3 + kx) * cin * VKA_CPU_BLOCK;
            for (int ci = 0; ci < cin; ci++)
              {
                Lanes wv = load (wt + ci * VKA_CPU_BLOCK);
                acc0 += px[ci] * wv;
                acc1 += px[VKA_CPU_BLOCK + ci] * wv;
                acc2 += px[2 * VKA_CPU_BLOCK + ci] * wv;
                acc3 += px[3 * VKA_CPU_BLOCK + ci] * wv;
              }
          }
      float *o = out + (gsize) x * VKA_CPU_BLOCK;
      *(Lanes *) o = relu_lanes (acc0, relu);
      *(Lanes *) (o + VKA_CPU_BLOCK) = relu_lanes (acc1, relu);
      *(Lanes *) (o + 2 * VKA_CPU_BLOCK) = relu_lanes (acc2, relu);
      *(Lanes *) (o + 3 * VKA_CPU_BLOCK) = relu_lanes (acc3, relu);
    }
  for (; x < width; x++)
    {
      Lanes acc = b;
      for (int ky = 0; ky < 3; ky++)
        for (int kx = 0; kx < 3; kx++)
          {
            const float *px = in + ky * in_row + (gsize) (x + kx) * VKA_CPU_BLOCK;
            const float *wt = w + (ky * 3 + kx) * cin * VKA_CPU_BLOCK;
            for (int ci = 0; ci < cin; ci++)
              acc += px[ci] * load (wt + ci * VKA_CPU_BLOCK);
          }
      *(Lanes *) (out + (gsize) x * VKA_CPU_BLOCK) = relu_lanes (acc, relu);
    }
}

/* cin as a constant in each copy, so that the tap loops unroll. */
VKA_CPU_LANE_LOOPS static void
narrow_in_rows (const float *in, gsize in_row, const float *w, const float *bias, int cin,
                int width, gboolean relu, float *out)
{
  switch (cin)
    {
    case 1: narrow_in_row (in, in_row, w, bias, 1, width, relu, out); break;
    case 2: narrow_in_row (in, in_row, w, bias, 2, width, relu, out); break;
    case 3: narrow_in_row (in, in_row, w, bias, 3, width, relu, out); break;
    default: narrow_in_row (in, in_row, w, bias, cin, width, relu, out); break;
    }
}

/* The sums of the lanes of a, b, c and d in lanes 0, 4, 8 and 12: halves
 * added pairwise three times (a tree; lane by lane it would be 60 adds). */
LANE_HELPER
sum_lanes4 (Lanes a, Lanes b, Lanes c, Lanes d)
{
#ifdef __clang__   /* no __builtin_shuffle: lane by lane */
  Lanes q = { 0 }, v[4] = { a, b, c, d };
  for (int i = 0; i < 4; i++)
    for (int l = 0; l < VKA_CPU_BLOCK; l++)
      q[4 * i] += v[i][l];
  return q;
#else
  const LaneMask lo8 = { 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23 };
  const LaneMask hi8 = { 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31 };
  Lanes ab = __builtin_shuffle (a, b, lo8) + __builtin_shuffle (a, b, hi8);
  Lanes cd = __builtin_shuffle (c, d, lo8) + __builtin_shuffle (c, d, hi8);
  /* ab: a's 8 partial sums, then b's; the same halving on 4-lane groups */
  const LaneMask lo4 = { 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27 };
  const LaneMask hi4 = { 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31 };
  Lanes q = __builtin_shuffle (ab, cd, lo4) + __builtin_shuffle (ab, cd, hi4);
  const LaneMask pairs = { 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13 };
  q += __builtin_shuffle (q, pairs);
  const LaneMask ones = { 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14 };
  return q + __builtin_shuffle (q, ones);
#endif
}

/* One output pixel's cout channels (lanes 0..cout-1 of v): a 16-lane block
 * of the padded map, or with plane > 0 one value in each of cout planes of
 * the plain map, plane floats apart. */
static inline __attribute__ ((always_inline)) void
store_pixel (float *out, gsize plane, int x, int cout, Lanes v)
{
  if (plane == 0)
    *(Lanes *) (out + (gsize) x * VKA_CPU_BLOCK) = v;
  else
    for (int co = 0; co < cout; co++)
      out[co * plane + x] = v[co];
}

/* Blocks of 16 input channels, few outputs: per pixel and output, 9
 * 16-lane products per block, summed across the lanes at the end. Four
 * pixels at a time share the weight loads (a load per product was the
 * bound); each pixel's sums are added in the same order either way. */
ROW_LOOP
narrow_out_row (const float *in, gsize in_row, gsize in_block, int in_blocks,
                const float *w, const float *bias, int cout, int width, gboolean relu,
                float *out, gsize plane)
{
  int x = 0;
  G_STATIC_ASSERT (VKA_CPU_NARROW_MAX == 4);
  for (; x + 4 <= width; x += 4)
    {
      /* one named accumulator per pixel and output: kept in registers (an
       * array of them was kept on the stack, a load and a store around
       * every product) */
      Lanes a0_0 = { 0 }, a0_1 = { 0 }, a0_2 = { 0 }, a0_3 = { 0 };
      Lanes a1_0 = { 0 }, a1_1 = { 0 }, a1_2 = { 0 }, a1_3 = { 0 };
      Lanes a2_0 = { 0 }, a2_1 = { 0 }, a2_2 = { 0 }, a2_3 = { 0 };
      Lanes a3_0 = { 0 }, a3_1 = { 0 }, a3_2 = { 0 }, a3_3 = { 0 };
      for (int cb = 0; cb < in_blocks; cb++)
        for (int ky = 0; ky < 3; ky++)
          for (int kx = 0; kx < 3; kx++)
            {
              const float *px = in + cb * in_block + ky * in_row
                                + (gsize) (x + kx) * VKA_CPU_BLOCK;
              Lanes v0 = load (px), v1 = load (px + VKA_CPU_BLOCK);
              Lanes v2 = load (px + 2 * VKA_CPU_BLOCK), v3 = load (px + 3 * VKA_CPU_BLOCK);
#define NARROW_TAP(co)                                                                   \
              if ((co) < cout)                                                          \
                {                                                                        \
                  Lanes wv = load (w + (((gsize) (co) * 9 + ky * 3 + kx) * in_blocks + cb) \
                                       * VKA_CPU_BLOCK);                                 \
                  a0_##co += v0 * wv;                                                    \
                  a1_##co += v1 * wv;                                                    \
                  a2_##co += v2 * wv;                                                    \
                  a3_##co += v3 * wv;                                                    \
                }
              NARROW_TAP (0)
              NARROW_TAP (1)
              NARROW_TAP (2)
              NARROW_TAP (3)
#undef NARROW_TAP
            }
      /* output co's sums of the four pixels in lanes 0, 4, 8 and 12 */
      Lanes o[4] = { { 0 } };
#define NARROW_SUM(co)                                                       \
      if ((co) < cout)                                                      \
        {                                                                    \
          Lanes sums = sum_lanes4 (a0_##co, a1_##co, a2_##co, a3_##co);     \
          for (int p = 0; p < 4; p++)                                        \
            o[p][co] = bias[co] + sums[4 * p];                               \
        }
      NARROW_SUM (0)
      NARROW_SUM (1)
      NARROW_SUM (2)
      NARROW_SUM (3)
#undef NARROW_SUM
      for (int p = 0; p < 4; p++)
        store_pixel (out, plane, x + p, cout, relu_lanes (o[p], relu));
    }
  for (; x < width; x++)
    {
      Lanes acc[VKA_CPU_NARROW_MAX] = { { 0 } };
      for (int cb = 0; cb < in_blocks; cb++)
        for (int ky = 0; ky < 3; ky++)
          for (int kx = 0; kx < 3; kx++)
            {
              Lanes v = load (in + cb * in_block + ky * in_row
                              + (gsize) (x + kx) * VKA_CPU_BLOCK);
              for (int co = 0; co < cout; co++)
                acc[co] += v * load (w + (((gsize) co * 9 + ky * 3 + kx) * in_blocks + cb)
                                         * VKA_CPU_BLOCK);
            }
      Lanes sums = sum_lanes4 (acc[0], acc[1], acc[2], acc[3]), o = { 0 };
      for (int co = 0; co < cout; co++)
        o[co] = bias[co] + sums[4 * co];
      store_pixel (out, plane, x, cout, relu_lanes (o, relu));
    }
}

VKA_CPU_LANE_LOOPS static void
narrow_out_rows (const float *in, gsize in_row, gsize in_block, int in_blocks,
                 const float *w, const float *bias, int cout, int width, gboolean relu,
                 float *out, gsize plane)
{
  switch (cout)
    {
    case 1:
      narrow_out_row (in, in_row, in_block, in_blocks, w, bias, 1, width, relu, out, plane);
      break;
    case 3:
      narrow_out_row (in, in_row, in_block, in_blocks, w, bias, 3, width, relu, out, plane);
      break;
    default:
      narrow_out_row (in, in_row, in_block, in_blocks, w, bias, cout, width, relu, out, plane);
      break;
    }
}

gboolean
vka_cpu_narrow_conv_fits (int cin, int cout)
{
  const char *force = g_getenv ("VKA_CPU_CONV");
  if (force && !g_str_equal (force, "narrow"))
    return FALSE;
  return (cin <= VKA_CPU_NARROW_MAX && cout % VKA_CPU_BLOCK == 0
          && cout <= VKA_CPU_NARROW_MAX_BLOCKS * VKA_CPU_BLOCK)
         || (cout <= VKA_CPU_NARROW_MAX && cin % VKA_CPU_BLOCK == 0);
}

/* The weights in the order the loops read them, packed once per tensor:
 * for few inputs [cout/16][ky][kx][cin][16 outputs] (oneDNN's Ohwi16o), for
 * few outputs [cout][ky][kx][cin] (ohwi), cin being whole blocks. */
static float *
packed_weights (VkaCpuBackend *b, VkaCpuTensor *weight, gboolean few_inputs, GError **error)
{
  const VkaTensor *w = &weight->base;
  const dnnl_dim_t dims[4] = { w->n, w->c, 3, 3 };
  VkaMd md = vka_md_new (4, dims, few_inputs ? dnnl_Ohwi16o : dnnl_ohwi);
  float *data = md ? vka_cpu_packed_weights (b, weight, md, error) : NULL;
  vka_md_free (md);
  return data;
}

gboolean
vka_cpu_conv3x3_narrow (VkaCpuBackend *b, VkaCpuTensor *in, VkaCpuTensor *weight,
                        VkaCpuTensor *bias, gboolean relu, VkaCpuTensor *out, GError **error)
{
  const VkaTensor *t = &in->base;
  int cin = t->c, cout = weight->base.n;
  gboolean few_inputs = cin <= VKA_CPU_NARROW_MAX && cout % VKA_CPU_BLOCK == 0;
  const float *w = packed_weights (b, weight, few_inputs, error);
  if (!w || !vka_cpu_tensor_set_layout (bias, VKA_CPU_PLAIN, TRUE, error))
    return FALSE;
  int in_blocks = vka_cpu_blocks (cin), out_blocks = vka_cpu_blocks (cout);
  gsize row = (gsize) (t->w + 2) * VKA_CPU_BLOCK, block = row * (t->h + 2);
  int rows = t->n * out_blocks * t->h;
  gsize plane = out->layout == VKA_CPU_PLAIN ? (gsize) t->h * t->w : 0;
  float bias16[VKA_CPU_NARROW_MAX_BLOCKS * VKA_CPU_BLOCK] = { 0 };
  memcpy (bias16, bias->data, (gsize) cout * sizeof (float));
#pragma omp parallel for schedule(static)
  for (int r = 0; r < rows; r++)
    {
      int y = r % t->h, ob = r / t->h % out_blocks, n = r / t->h / out_blocks;
      const float *src = in->data + (gsize) n * in_blocks * block + (gsize) y * row;
      if (few_inputs)
        narrow_in_rows (src, row, w + (gsize) ob * 9 * cin * VKA_CPU_BLOCK,
                        bias16 + ob * VKA_CPU_BLOCK, cin, t->w, relu,
                        out->data + ((gsize) n * out_blocks + ob) * block
                        + (gsize) (y + 1) * row + VKA_CPU_BLOCK);
      else if (plane)
        narrow_out_rows (src, row, block, in_blocks, w, bias16, cout, t->w, relu,
                         out->data + (gsize) n * cout * plane + (gsize) y * t->w, plane);
      else
        narrow_out_rows (src, row, block, in_blocks, w, bias16, cout, t->w, relu,
                         out->data + (gsize) n * block + (gsize) (y + 1) * row
                         + VKA_CPU_BLOCK, 0);
    }
  return TRUE;
}
