/* conv-upsampled.c — a ×2 nearest upsampling and the 3×3 convolution after
 * it (reflection padding), as one convolution over the small map.
 *
 * Each output pixel (2i+py, 2j+px) of conv3×3(pad(up(x))) sees a 2×2
 * neighbourhood of x: for py = 0 the kernel's row 0 falls on x's row i−1
 * and rows 1, 2 on row i; for py = 1 rows 0, 1 on row i and row 2 on row
 * i+1 (columns alike). Reflecting the upsampled map's border is replicating
 * the small map's (pad(up(x))[−1] = up(x)[1] = x[0]). So the four phases are
 * 2×2 convolutions over x with its border replicated, whose weights are sums
 * of the 3×3 ones; run as one oneDNN convolution with the phases side by
 * side as 4·Cout output channels over the (h+2)×(w+2) padded map, its
 * (h+1)×(w+1) output is scattered into the output's interior (phase (py, px)
 * at small (i, j) is at (i+py, j+px)). 16 multiply-adds per output pixel and
 * channel pair instead of 36 over the upsampled map, and no upsampled map. */
#include "cpu-private.h"

#include <stdio.h>
#include <string.h>

/* Which 3×3 kernel rows (or columns) fall on the 2×2 kernel's row a for
 * phase p: a bit mask of {0, 1, 2}. */
static int
taps (int p, int a)
{
  static const int mask[2][2] = { { 0x1, 0x6 }, { 0x3, 0x4 } };
  return mask[p][a];
}

/* The phases' weights (4·Cpad, Cin, 2, 2) and bias (4·Cpad), Cpad = Cout
 * rounded up to 16 so that each phase starts a channel block, made once per
 * weight tensor (until the weights change). */
static gboolean
phase_weights (VkaCpuBackend *b, VkaCpuTensor *w, VkaCpuTensor *bias, GError **error)
{
  if (w->phases && bias->phases)
    return TRUE;
  if (!vka_cpu_tensor_set_layout (w, VKA_CPU_PLAIN, TRUE, error)
      || !vka_cpu_tensor_set_layout (bias, VKA_CPU_PLAIN, TRUE, error))
    return FALSE;
  int cout = w->base.n, cin = w->base.c, cpad = vka_cpu_blocks (cout) * VKA_CPU_BLOCK;
  g_autofree float *pw = g_new0 (float, (gsize) 4 * cpad * cin * 4);
  g_autofree float *pb = g_new0 (float, (gsize) 4 * cpad);
  for (int p = 0; p < 4; p++)
    for (int o = 0; o < cout; o++)
      {
        pb[p * cpad + o] = bias->data[o];
        for (int ci = 0; ci < cin; ci++)
          for (int a = 0; a < 2; a++)
            for (int c = 0; c < 2; c++)
              {
                float s = 0;
                for (int ky = 0; ky < 3; ky++)
                  for (int kx = 0; kx < 3; kx++)
                    if ((taps (p / 2, a) >> ky & 1) && (taps (p % 2, c) >> kx & 1))
                      s += w->data[((gsize) (o * cin + ci) * 3 + ky) * 3 + kx];
                pw[(((gsize) (p * cpad + o) * cin + ci) * 2 + a) * 2 + c] = s;
              }
      }
  VkaBackend *backend = w->base.backend;
  g_autoptr (VkaTensor) tw = vka_tensor_new (backend, 4 * cpad, cin, 2, 2, error);
  g_autoptr (VkaTensor) tb = tw ? vka_tensor_new (backend, 1, 4 * cpad, 1, 1, error) : NULL;
  if (!tb || !backend->ops->tensor_write (tw, pw, error)
      || !backend->ops->tensor_write (tb, pb, error))
    return FALSE;
  vka_cpu_tensor_changed (w);
  vka_cpu_tensor_changed (bias);
  w->phases = vka_cpu_tensor (g_steal_pointer (&tw));
  bias->phases = vka_cpu_tensor (g_steal_pointer (&tb));
  return TRUE;
}

static VkaCpuConvPlan *
phase_plan (VkaCpuBackend *b, const VkaTensor *in, int cout4, gboolean relu, GError **error)
{
  g_autofree char *key = g_strdup_printf ("up %d %d %d %d %d %d", in->n, in->c, in->h, in->w,
                                          cout4, relu);
  VkaCpuConvPlan *plan = g_hash_table_lookup (b->plans, key);
  if (plan)
    return plan;
  const dnnl_dim_t src_dims[4] = { in->n, in->c, in->h + 2, in->w + 2 };
  const dnnl_dim_t w_dims[4] = { cout4, in->c, 2, 2 };
  const dnnl_dim_t b_dims[1] = { cout4 };
  const dnnl_dim_t dst_dims[4] = { in->n, cout4, in->h + 1, in->w + 1 };
  plan = g_new0 (VkaCpuConvPlan, 1);
  plan->src = vka_md_new (4, src_dims, dnnl_nChw16c);
  plan->bias = vka_md_new (1, b_dims, dnnl_a);
  plan->dst = vka_md_new (4, dst_dims, dnnl_nChw16c);
  plan->dst_dense = TRUE;
  VkaMd w_any = vka_md_new (4, w_dims, dnnl_format_tag_any);
  dnnl_primitive_desc_t pd = NULL;
  if (!plan->src || !plan->bias || !plan->dst || !w_any
      || vka_dnnl_conv_pd (&pd, b->engine, dnnl_convolution_direct, plan->src, w_any,
                           plan->bias, plan->dst, relu) != dnnl_success)
    pd = NULL;
  vka_md_free (w_any);
  plan = vka_cpu_plan_finish (plan, pd, dnnl_query_weights_md);
  if (!plan)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_DEVICE,
                   "oneDNN has no 2×2 convolution for %d → %d channels over %d×%d",
                   in->c, cout4, in->w + 2, in->h + 2);
      return NULL;
    }
  if (g_getenv ("VKA_CPU_VERBOSE"))
    fprintf (stderr, "vk-adain cpu: conv3x3 up %4d->%-4d %4dx%-4d n%d relu%d: %s\n", in->c,
             cout4 / 4, in->w, in->h, in->n, relu, plan->impl);
  g_hash_table_insert (b->plans, g_steal_pointer (&key), plan);
  return plan;
}

/* The dense (4·Cpad)×(h+1)×(w+1) phases into out's interior. */
static void
scatter_phases (const float *dense, int cpad, VkaCpuTensor *out)
{
  const VkaTensor *t = &out->base;
  int h = t->h / 2, w = t->w / 2, opw = t->w + 2, oph = t->h + 2;
  int blocks = vka_cpu_blocks (t->c), phase_blocks = cpad / VKA_CPU_BLOCK;
  gsize dplane = (gsize) (h + 1) * (w + 1) * VKA_CPU_BLOCK;
#pragma omp parallel for collapse(2) schedule(static)
  for (int n = 0; n < t->n; n++)
    for (int y = 0; y < t->h; y++)
      {
        int i = y / 2, py = y % 2;
        for (int bo = 0; bo < blocks; bo++)
          {
            float *row = out->data + (((gsize) (n * blocks + bo) * oph + y + 1) * opw + 1)
                                     * VKA_CPU_BLOCK;
            for (int px = 0; px < 2; px++)
              {
                int p = py * 2 + px;
                const float *src = dense + ((gsize) n * 4 * phase_blocks + p * phase_blocks + bo)
                                           * dplane
                                   + ((gsize) (i + py) * (w + 1) + px) * VKA_CPU_BLOCK;
                for (int j = 0; j < w; j++)
                  memcpy (row + (gsize) (2 * j + px) * VKA_CPU_BLOCK, src + (gsize) j * VKA_CPU_BLOCK,
                          VKA_CPU_BLOCK * sizeof (float));
              }
          }
      }
}

gboolean
vka_cpu_conv3x3_upsampled (VkaBackend *backend, VkaTensor *in, VkaTensor *weight,
                           VkaTensor *bias, gboolean relu, VkaTensor *out, GError **error)
{
  VkaCpuBackend *b = (VkaCpuBackend *) backend;
  if (!vka_check_conv3x3_upsampled (in, weight, bias, out, error))
    return FALSE;
  VkaCpuTensor *ti = vka_cpu_tensor (in), *to = vka_cpu_tensor (out);
  VkaCpuTensor *tw = vka_cpu_tensor (weight), *tb = vka_cpu_tensor (bias);
  int cpad = vka_cpu_blocks (out->c) * VKA_CPU_BLOCK;
  if (!phase_weights (b, tw, tb, error)
      || !vka_cpu_tensor_set_layout (ti, VKA_CPU_PADDED, TRUE, error)
      || !vka_cpu_tensor_set_layout (to, VKA_CPU_PADDED, FALSE, error)
      || !vka_cpu_tensor_set_layout (tb->phases, VKA_CPU_PLAIN, TRUE, error))
    return FALSE;
  VkaCpuConvPlan *plan = phase_plan (b, in, 4 * cpad, relu, error);
  /* oneDNN's fast kernels want 16 input channels or more; its reference
   * kernel is slower than upsampling first */
  if (plan && g_str_has_prefix (plan->impl, "ref"))
    return vka_conv3x3_upsampled_composed (backend, in, weight, bias, relu, out, error);
  float *w = plan ? vka_cpu_packed_weights (b, tw->phases, plan->weights, error) : NULL;
  if (!w)
    return FALSE;
  gint64 t0 = vka_cpu_profile_start (b);
  gsize dense_floats = vka_md_bytes (plan->dst) / sizeof (float);
  float *dense = vka_cpu_storage_alloc (b, dense_floats, error);
  if (!dense)
    return FALSE;
  vka_cpu_fill_border_as (ti, TRUE);
  gboolean ok = vka_cpu_run_conv (b, plan, ti->data, w, tb->phases->data, dense, error);
  vka_cpu_fill_border (ti);   /* the input's own, reflected */
  if (ok)
    {
      scatter_phases (dense, cpad, to);
      vka_cpu_fill_border (to);
    }
  vka_cpu_storage_free (b, dense, dense_floats);
  vka_cpu_profile_add (b, t0, 2.0 * vka_tensor_numel (out) * in->c * 9,
                       "conv3x3 up %4d->%-4d %4dx%-4d n%d%s", in->c, out->c, out->w, out->h,
                       out->n, relu ? " +relu" : "");
  return ok;
}
