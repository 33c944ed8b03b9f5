/* conv.c — convolutions on oneDNN: out = bias + conv(in, weight), then ReLU.
 *
 * Input and output are in the padded layout (cpu-private.h). A 3×3
 * convolution with reflection padding is oneDNN's unpadded convolution over
 * the (h+2)×(w+2) input, written straight into the output's interior (a
 * sub-memory of its padded buffer); then the output's border is reflected.
 * A 1×1 convolution runs over the whole padded map: a per-pixel op commutes
 * with reflection, so its output border comes out right by itself.
 *
 * The algorithm follows a fixed rule by the channel counts
 * (vka_cpu_rule_winograd): oneDNN's convolution_auto never picks Winograd,
 * though Winograd is 1.6–2.9× faster on this network's wider layers
 * (FIELD-NOTES), and the rule reproduces what measuring chose. Measuring
 * each shape's first run ($VKA_CPU_TUNE=1) costs more than it gains in one
 * stylisation: every tile shape is new, and timing ran each layer three
 * more times (a 3 MP photo in 3.3 s timed, 2.4 s by the rule). The primitive
 * is kept per shape; weights are packed once per layout and kept on the
 * weight tensor. $VKA_CPU_CONV=direct|winograd forces one (tests);
 * $VKA_CPU_VERBOSE=1 prints each choice. */
#include "cpu-private.h"

#include <stdio.h>
#include <string.h>

void
vka_cpu_plan_free (gpointer data)
{
  VkaCpuConvPlan *p = data;
  if (!p)
    return;
  if (p->prim)
    dnnl_primitive_destroy (p->prim);
  vka_md_free (p->src);
  vka_md_free (p->weights);
  vka_md_free (p->bias);
  vka_md_free (p->dst);
  vka_md_free (p->scratch);
  g_free (p->impl);
  g_free (p);
}

void
vka_cpu_packed_free (gpointer data)
{
  VkaCpuPacked *p = data;
  vka_md_free (p->md);
  free (p->data);
  g_free (p);
}

gboolean
vka_cpu_execute (VkaCpuBackend *b, dnnl_primitive_t prim, int n, const dnnl_exec_arg_t *args,
         GError **error)
{
  return vka_cpu_dnnl_check (dnnl_primitive_execute (prim, b->stream, n, args),
                             "running a primitive", error)
         && vka_cpu_dnnl_check (dnnl_stream_wait (b->stream), "waiting for the stream",
                                error);
}

/* Runs a reorder from src (memory at src_data) to dst (at dst_data). */
gboolean
vka_cpu_reorder (VkaCpuBackend *b, VkaMd src, void *src_data, VkaMd dst, void *dst_data,
         GError **error)
{
  dnnl_primitive_desc_t pd = NULL;
  dnnl_primitive_t prim = NULL;
  dnnl_memory_t ms = NULL, md = NULL;
  gboolean ok = vka_cpu_dnnl_check (vka_dnnl_reorder_pd (&pd, b->engine, src, dst),
                                    "describing a reorder", error)
                && vka_cpu_dnnl_check (dnnl_primitive_create (&prim, pd),
                                       "creating a reorder", error)
                && vka_cpu_dnnl_check (vka_dnnl_memory_new (&ms, src, b->engine, src_data),
                                       "wrapping memory", error)
                && vka_cpu_dnnl_check (vka_dnnl_memory_new (&md, dst, b->engine, dst_data),
                                       "wrapping memory", error);
  if (ok)
    {
      dnnl_exec_arg_t args[2] = { { DNNL_ARG_FROM, ms }, { DNNL_ARG_TO, md } };
      ok = vka_cpu_execute (b, prim, 2, args, error);
    }
  if (ms)
    dnnl_memory_destroy (ms);
  if (md)
    dnnl_memory_destroy (md);
  if (prim)
    dnnl_primitive_destroy (prim);
  if (pd)
    dnnl_primitive_desc_destroy (pd);
  return ok;
}

/* weight (plain OIHW) in the layout md asks for, packed once and kept. */
float *
vka_cpu_packed_weights (VkaCpuBackend *b, VkaCpuTensor *w, VkaMd md, GError **error)
{
  if (!vka_cpu_tensor_set_layout (w, VKA_CPU_PLAIN, TRUE, error))
    return NULL;
  if (!w->packed)
    w->packed = g_ptr_array_new_with_free_func (vka_cpu_packed_free);
  for (guint i = 0; i < w->packed->len; i++)
    {
      VkaCpuPacked *p = w->packed->pdata[i];
      if (vka_md_equal (p->md, md))
        return p->data;
    }
  const dnnl_dim_t dims[4] = { w->base.n, w->base.c, w->base.h, w->base.w };
  VkaMd plain = vka_md_new (4, dims, dnnl_oihw);
  VkaCpuPacked *p = g_new0 (VkaCpuPacked, 1);
  p->md = vka_md_copy (md);
  if (posix_memalign ((void **) &p->data, 64, MAX (vka_md_bytes (md), 64)) != 0)
    p->data = NULL;
  gboolean ok = plain && p->md && p->data
                && vka_cpu_reorder (b, plain, w->data, md, p->data, error);
  vka_md_free (plain);
  if (!ok)
    {
      if (!p->data && error && !*error)
        g_set_error (error, VKA_ERROR, VKA_ERROR_OUT_OF_MEMORY,
                     "cannot allocate packed convolution weights");
      vka_cpu_packed_free (p);
      return NULL;
    }
  g_ptr_array_add (w->packed, p);
  return p->data;
}

gboolean
vka_cpu_run_conv (VkaCpuBackend *b, VkaCpuConvPlan *plan, float *src, float *weights,
                  float *bias, float *dst, GError **error)
{
  gsize scratch_floats = (plan->scratch ? vka_md_bytes (plan->scratch) : 0) / sizeof (float);
  float *scratch = scratch_floats ? vka_cpu_storage_alloc (b, scratch_floats, error) : NULL;
  if (scratch_floats && !scratch)
    return FALSE;
  dnnl_memory_t mem[5] = { NULL };
  gboolean ok = vka_cpu_dnnl_check (vka_dnnl_memory_new (&mem[0], plan->src, b->engine,
                                                         src), "wrapping memory", error)
                && vka_cpu_dnnl_check (vka_dnnl_memory_new (&mem[1], plan->weights, b->engine,
                                                            weights), "wrapping memory", error)
                && vka_cpu_dnnl_check (vka_dnnl_memory_new (&mem[2], plan->bias, b->engine,
                                                            bias), "wrapping memory", error)
                && vka_cpu_dnnl_check (vka_dnnl_memory_new (&mem[3], plan->dst, b->engine,
                                                            dst), "wrapping memory", error)
                && (!scratch
                    || vka_cpu_dnnl_check (vka_dnnl_memory_new (&mem[4], plan->scratch,
                                                                b->engine, scratch),
                                           "wrapping memory", error));
  if (ok)
    {
      dnnl_exec_arg_t args[5] = { { DNNL_ARG_SRC, mem[0] }, { DNNL_ARG_WEIGHTS, mem[1] },
                                  { DNNL_ARG_BIAS, mem[2] }, { DNNL_ARG_DST, mem[3] },
                                  { DNNL_ARG_SCRATCHPAD, mem[4] } };
      ok = vka_cpu_execute (b, plan->prim, scratch ? 5 : 4, args, error);
    }
  if (scratch)
    vka_cpu_storage_free (b, scratch, scratch_floats);
  for (int i = 0; i < 5; i++)
    if (mem[i])
      dnnl_memory_destroy (mem[i]);
  return ok;
}

/* Runs plan from in into out; or, given pooled (and a plan whose output is
 * a dense map), into pooled = maxpool2x2 of what out would hold, out unused. */
static gboolean
run_plan (VkaCpuBackend *b, VkaCpuConvPlan *plan, VkaCpuTensor *in, VkaCpuTensor *weight,
          VkaCpuTensor *bias, VkaCpuTensor *out, VkaCpuTensor *pooled, GError **error)
{
  float *w = vka_cpu_packed_weights (b, weight, plan->weights, error);
  if (!w || !vka_cpu_tensor_set_layout (bias, VKA_CPU_PLAIN, TRUE, error))
    return FALSE;
  float *src = in->data, *dst = out ? out->data : NULL;
  if (plan->src_plain)
    {
      /* few channels: oneDNN's direct kernels want them planar; the copy
       * of a padded 3-channel map is small */
      const VkaTensor *t = &in->base;
      gsize plane = (gsize) (t->h + 2) * (t->w + 2);
      src = vka_cpu_storage_alloc (b, vka_md_bytes (plan->src) / sizeof (float), error);
      if (!src)
        return FALSE;
      int cb_n = vka_cpu_blocks (t->c);
      for (int n = 0; n < t->n; n++)
        for (int c = 0; c < t->c; c++)
          {
            const float *s = in->data + ((gsize) n * cb_n + c / VKA_CPU_BLOCK) * plane
                                          * VKA_CPU_BLOCK + c % VKA_CPU_BLOCK;
            float *d = src + ((gsize) n * t->c + c) * plane;
            for (gsize i = 0; i < plane; i++)
              d[i] = s[i * VKA_CPU_BLOCK];
          }
    }
  if (plan->dst_dense)
    dst = vka_cpu_storage_alloc (b, vka_md_bytes (plan->dst) / sizeof (float), error);
  if (!dst)
    {
      if (plan->src_plain)
        vka_cpu_storage_free (b, src, vka_md_bytes (plan->src) / sizeof (float));
      return FALSE;
    }
  gboolean ok = vka_cpu_run_conv (b, plan, src, w, bias->data, dst, error);
  if (ok && pooled)
    {
      /* dense nChw16c h×w → pooled into the interior of the padded map */
      const VkaTensor *t = &in->base, *p = &pooled->base;
      gsize blocks = (gsize) p->n * vka_cpu_blocks (p->c), row = (gsize) t->w * VKA_CPU_BLOCK;
      int opw = p->w + 2, oph = p->h + 2;
#pragma omp parallel for collapse(2) schedule(static)
      for (gsize bl = 0; bl < blocks; bl++)
        for (int y = 0; y < p->h; y++)
          vka_cpu_maxpool_row (dst + (bl * t->h + 2 * y) * row,
                               dst + (bl * t->h + MIN (2 * y + 1, t->h - 1)) * row, t->w,
                               p->w, pooled->data + ((bl * oph + y + 1) * opw + 1)
                                                    * VKA_CPU_BLOCK);
    }
  else if (ok && plan->dst_dense)
    {
      /* dense nChw16c h×w → the interior of the padded map */
      const VkaTensor *t = &out->base;
      gsize blocks = (gsize) t->n * vka_cpu_blocks (t->c), row = (gsize) t->w * VKA_CPU_BLOCK;
#pragma omp parallel for collapse(2) schedule(static)
      for (gsize bl = 0; bl < blocks; bl++)
        for (int y = 0; y < t->h; y++)
          memcpy (out->data + ((bl * (t->h + 2) + y + 1) * (t->w + 2) + 1) * VKA_CPU_BLOCK,
                  dst + (bl * t->h + y) * row, row * sizeof (float));
    }
  if (plan->dst_dense)
    vka_cpu_storage_free (b, dst, vka_md_bytes (plan->dst) / sizeof (float));
  if (plan->src_plain)
    vka_cpu_storage_free (b, src, vka_md_bytes (plan->src) / sizeof (float));
  return ok;
}

VkaCpuConvPlan *
vka_cpu_plan_finish (VkaCpuConvPlan *p, dnnl_primitive_desc_t pd, dnnl_query_t weights)
{
  if (pd)
    {
      p->weights = vka_md_query (pd, weights);
      p->scratch = vka_md_query (pd, dnnl_query_scratchpad_md);
      p->impl = g_strdup (vka_dnnl_impl_name (pd));
      if (dnnl_primitive_create (&p->prim, pd) != dnnl_success)
        p->prim = NULL;
      dnnl_primitive_desc_destroy (pd);
    }
  if (!p->prim || !p->weights)
    g_clear_pointer (&p, vka_cpu_plan_free);
  return p;
}

/* A plan for one algorithm, or NULL where oneDNN has none for this shape. */
static VkaCpuConvPlan *
make_plan (VkaCpuBackend *b, const VkaTensor *in, int cout, int k, gboolean relu,
           gboolean winograd, gboolean src_plain)
{
  int pad = k == 3 ? 1 : 0;
  int ph = in->h + 2, pw = in->w + 2;
  const dnnl_dim_t src_dims[4] = { in->n, in->c, ph, pw };
  const dnnl_dim_t w_dims[4] = { cout, in->c, k, k };
  const dnnl_dim_t b_dims[1] = { cout };
  const dnnl_dim_t parent_dims[4] = { in->n, cout, ph, pw };
  const dnnl_dim_t out_dims[4] = { in->n, cout, ph - 2 * pad, pw - 2 * pad };
  const dnnl_dim_t offsets[4] = { 0, 0, pad, pad };
  dnnl_alg_kind_t alg = winograd ? dnnl_convolution_winograd : dnnl_convolution_direct;

  VkaCpuConvPlan *p = g_new0 (VkaCpuConvPlan, 1);
  p->winograd = winograd;
  p->src_plain = src_plain;
  p->src = vka_md_new (4, src_dims, src_plain ? dnnl_nchw : dnnl_nChw16c);
  VkaMd w_any = vka_md_new (4, w_dims, dnnl_format_tag_any);
  p->bias = vka_md_new (1, b_dims, dnnl_a);
  VkaMd parent = vka_md_new (4, parent_dims, dnnl_nChw16c);
  dnnl_primitive_desc_t pd = NULL;
  if (p->src && w_any && p->bias && parent)
    {
      /* the output written in place, or else into a dense map we copy */
      p->dst = pad ? vka_md_sub (parent, out_dims, offsets) : vka_md_copy (parent);
      if (p->dst && vka_dnnl_conv_pd (&pd, b->engine, alg, p->src, w_any, p->bias, p->dst,
                                      relu) != dnnl_success)
        pd = NULL;
      /* only the slow reference kernels write into a window: then copy */
      if (pad && (!pd || g_str_has_prefix (vka_dnnl_impl_name (pd), "ref")))
        {
          g_clear_pointer (&pd, dnnl_primitive_desc_destroy);
          vka_md_free (p->dst);
          p->dst = vka_md_new (4, out_dims, dnnl_nChw16c);
          p->dst_dense = TRUE;
          if (p->dst && vka_dnnl_conv_pd (&pd, b->engine, alg, p->src, w_any, p->bias,
                                          p->dst, relu) != dnnl_success)
            pd = NULL;
        }
    }
  vka_md_free (w_any);
  vka_md_free (parent);
  return vka_cpu_plan_finish (p, pd, dnnl_query_weights_md);
}

/* run's time for plan: the first run packs the weights and warms caches,
 * the second counts; -1 when a run fails. */
static double
time_run (VkaCpuPlanRun run, VkaCpuConvPlan *plan, gpointer data, GError **error)
{
  if (!run (plan, data, error))
    return -1;
  gint64 start = g_get_monotonic_time ();
  if (!run (plan, data, error))
    return -1;
  return (g_get_monotonic_time () - start) / 1e3;
}

VkaCpuConvPlan *
vka_cpu_plan_faster (VkaCpuConvPlan *direct, VkaCpuConvPlan *wino, VkaCpuPlanRun run,
                     gpointer data, double times[2], GError **error)
{
  times[0] = times[1] = -1;
  /* oneDNN's reference kernels (a fallback for odd shapes) never win: do
   * not spend two runs finding that out */
  if (direct && wino && g_str_has_prefix (direct->impl, "ref"))
    g_clear_pointer (&direct, vka_cpu_plan_free);
  else if (direct && wino && g_str_has_prefix (wino->impl, "ref"))
    g_clear_pointer (&wino, vka_cpu_plan_free);
  if (direct && wino)
    {
      times[0] = time_run (run, direct, data, error);
      times[1] = times[0] < 0 ? -1 : time_run (run, wino, data, error);
      if (times[1] < 0)
        {
          vka_cpu_plan_free (direct);
          vka_cpu_plan_free (wino);
          return NULL;
        }
    }
  VkaCpuConvPlan *best = !wino ? direct : !direct ? wino : times[1] < times[0] ? wino : direct;
  if (best != direct)
    vka_cpu_plan_free (direct);
  if (best != wino)
    vka_cpu_plan_free (wino);
  return best;
}

typedef struct
{
  VkaCpuBackend *b;
  VkaCpuTensor  *in, *weight, *bias, *out;
} Forward;

static gboolean
run_forward (VkaCpuConvPlan *plan, gpointer data, GError **error)
{
  Forward *f = data;
  return run_plan (f->b, plan, f->in, f->weight, f->bias, f->out, NULL, error);
}

/* Whether a forward 3×3 convolution over n·h·w = pixels positions runs
 * Winograd: as $VKA_CPU_CONV forces, else by the rule; or, where kernels are
 * timed, whether Winograd is among those timed (only where the rule would
 * take it at some size: it never won on narrower layers, and timing it costs
 * its scratch, on a large map 2.25 times input and output together). */
gboolean
vka_cpu_forward_winograd (VkaCpuBackend *b, int cin, int cout, gint64 pixels)
{
  const char *force = g_getenv ("VKA_CPU_CONV");
  if (force)
    return !g_str_equal (force, "direct");
  gboolean by_rule = b->reproducible || !vka_cpu_tuning ();
  return vka_cpu_rule_winograd ('f', cin, cout, by_rule ? pixels : 0);
}

static VkaCpuConvPlan *
choose_plan (VkaCpuBackend *b, VkaCpuTensor *in, VkaCpuTensor *weight, VkaCpuTensor *bias,
             gboolean relu, VkaCpuTensor *out, int k, GError **error)
{
  const char *force = g_getenv ("VKA_CPU_CONV");
  gboolean by_rule = !force && (b->reproducible || !vka_cpu_tuning ());
  gboolean want_wino = k == 3 && vka_cpu_forward_winograd (b, in->base.c, weight->base.n,
                                                           (gint64) in->base.n * in->base.h
                                                           * in->base.w);
  gboolean want_direct = force ? !g_str_equal (force, "winograd") : !(by_rule && want_wino);
  /* a 3×3 over few channels (the RGB input) has a fast direct kernel on
   * planar input only */
  gboolean planar = k == 3 && in->base.c < VKA_CPU_BLOCK;
  int cout = weight->base.n;
  VkaCpuConvPlan *direct = want_direct ? make_plan (b, &in->base, cout, k, relu, FALSE, planar)
                                       : NULL;
  if (want_direct && planar && (!direct || g_str_has_prefix (direct->impl, "ref")))
    {
      vka_cpu_plan_free (direct);
      direct = make_plan (b, &in->base, cout, k, relu, FALSE, FALSE);
    }
  VkaCpuConvPlan *wino = want_wino ? make_plan (b, &in->base, cout, k, relu, TRUE, FALSE)
                                   : NULL;
  if (!direct && !wino && !want_direct)
    direct = make_plan (b, &in->base, cout, k, relu, FALSE, FALSE);
  if (!direct && !wino)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_DEVICE,
                   "oneDNN has no convolution for %d×%d×%d×%d → %d channels, %d×%d",
                   in->base.n, in->base.c, in->base.h, in->base.w, weight->base.n, k, k);
      return NULL;
    }
  /* timing runs write out: give it storage (a fused op's full-size map has
   * none otherwise) */
  if (direct && wino && !vka_cpu_tensor_set_layout (out, VKA_CPU_PADDED, FALSE, error))
    {
      vka_cpu_plan_free (direct);
      vka_cpu_plan_free (wino);
      return NULL;
    }
  Forward f = { b, in, weight, bias, out };
  double t[2];
  VkaCpuConvPlan *best = vka_cpu_plan_faster (direct, wino, run_forward, &f, t, error);
  if (best && g_getenv ("VKA_CPU_VERBOSE"))
    fprintf (stderr, "vk-adain cpu: conv%dx%d %4d->%-4d %5dx%-5d n%d relu%d: %s, %s%s "
             "(direct %.2f ms%s, winograd %.2f ms%s)\n", k, k, in->base.c, weight->base.n,
             in->base.w, in->base.h, in->base.n, relu, best->impl,
             best->dst_dense ? "output copied" : "output in place",
             best->src_plain ? ", planar input" : "", t[0], t[0] >= 0 ? "" : " n/a", t[1],
             t[1] >= 0 ? "" : " n/a");
  return best;
}

/* The plan kept for this shape, chosen (out: where timing may write) at its
 * first use. */
static VkaCpuConvPlan *
plan_for (VkaCpuBackend *b, VkaCpuTensor *ti, VkaTensor *weight, VkaTensor *bias,
          gboolean relu, VkaCpuTensor *out, int k, GError **error)
{
  const VkaTensor *in = &ti->base;
  g_autofree char *key = g_strdup_printf ("%d %d %d %d %d %d %d", in->n, in->c, in->h,
                                          in->w, weight->n, k, relu);
  VkaCpuConvPlan *plan = g_hash_table_lookup (b->plans, key);
  if (!plan)
    {
      plan = choose_plan (b, ti, vka_cpu_tensor (weight), vka_cpu_tensor (bias), relu, out,
                          k, error);
      if (plan)
        g_hash_table_insert (b->plans, g_steal_pointer (&key), plan);
    }
  return plan;
}

gboolean
vka_cpu_conv2d (VkaBackend *backend, VkaTensor *in, VkaTensor *weight, VkaTensor *bias,
                gboolean relu, VkaTensor *out, GError **error)
{
  VkaCpuBackend *b = (VkaCpuBackend *) backend;
  int k;
  if (!vka_check_conv (in, weight, bias, out, &k, error))
    return FALSE;
  VkaCpuTensor *ti = vka_cpu_tensor (in), *to = vka_cpu_tensor (out);
  gboolean narrow = k == 3 && vka_cpu_narrow_conv_fits (in->c, out->c);
  /* a few-channel output (the picture) in the layout its readers take */
  VkaCpuLayout out_layout = narrow && out->c < VKA_CPU_BLOCK ? VKA_CPU_PLAIN : VKA_CPU_PADDED;
  if (!vka_cpu_tensor_set_layout (ti, VKA_CPU_PADDED, TRUE, error)
      || !vka_cpu_tensor_set_layout (to, out_layout, FALSE, error))
    return FALSE;
  if (narrow)
    {
      gint64 t0 = vka_cpu_profile_start (b);
      if (!vka_cpu_conv3x3_narrow (b, ti, vka_cpu_tensor (weight), vka_cpu_tensor (bias),
                                   relu, to, error))
        return FALSE;
      if (out_layout == VKA_CPU_PADDED)
        vka_cpu_fill_border (to);
      vka_cpu_profile_add (b, t0, 2.0 * vka_tensor_numel (out) * in->c * 9,
                           "conv3x3 narrow %4d->%-4d %4dx%-4d n%d%s", in->c, out->c, in->w,
                           in->h, in->n, relu ? " +relu" : "");
      return TRUE;
    }
  VkaCpuConvPlan *plan = plan_for (b, ti, weight, bias, relu, to, k, error);
  if (!plan)
    return FALSE;
  gint64 t0 = vka_cpu_profile_start (b);
  if (!run_plan (b, plan, ti, vka_cpu_tensor (weight), vka_cpu_tensor (bias), to, NULL,
                 error))
    return FALSE;
  if (k == 3)
    vka_cpu_fill_border (to);
  vka_cpu_profile_add (b, t0, 2.0 * vka_tensor_numel (out) * in->c * k * k,
                       "conv%dx%d %4d->%-4d %4dx%-4d n%d%s", k, k, in->c, out->c, in->w,
                       in->h, in->n, relu ? " +relu" : "");
  return TRUE;
}

/* A 3×3 convolution whose output only feeds a 2×2 max-pooling: oneDNN
 * writes a dense map, which is pooled straight into the padded output
 * instead of being copied into a padded full-size map first (one write and
 * one read of the largest map fewer, and that map is never held). Where the
 * plan writes in place, or the narrow kernels run, the two ops as usual. */
gboolean
vka_cpu_conv3x3_pooled (VkaBackend *backend, VkaTensor *in, VkaTensor *weight,
                        VkaTensor *bias, gboolean relu, VkaTensor *out, GError **error)
{
  VkaCpuBackend *b = (VkaCpuBackend *) backend;
  g_autoptr (VkaTensor) full = vka_tensor_new (backend, in->n, weight->n, in->h, in->w, error);
  int k;
  if (!full || !vka_check_conv (in, weight, bias, full, &k, error)
      || !vka_check_maxpool2x2 (full, out, error))
    return FALSE;
  VkaCpuConvPlan *plan = NULL;
  VkaCpuTensor *ti = vka_cpu_tensor (in), *to = vka_cpu_tensor (out);
  if (k == 3 && !vka_cpu_narrow_conv_fits (in->c, weight->n))
    {
      if (!vka_cpu_tensor_set_layout (ti, VKA_CPU_PADDED, TRUE, error))
        return FALSE;
      plan = plan_for (b, ti, weight, bias, relu, vka_cpu_tensor (full), k, error);
      if (!plan)
        return FALSE;
    }
  if (!plan || !plan->dst_dense)
    return vka_conv3x3_pooled_composed (backend, in, weight, bias, relu, out, error);
  if (!vka_cpu_tensor_set_layout (to, VKA_CPU_PADDED, FALSE, error))
    return FALSE;
  gint64 t0 = vka_cpu_profile_start (b);
  if (!run_plan (b, plan, ti, vka_cpu_tensor (weight), vka_cpu_tensor (bias), NULL, to,
                 error))
    return FALSE;
  vka_cpu_fill_border (to);
  vka_cpu_profile_add (b, t0, 2.0 * vka_tensor_numel (full) * in->c * 9,
                       "conv3x3 pooled %4d->%-4d %4dx%-4d n%d%s", in->c, weight->n, in->w,
                       in->h, in->n, relu ? " +relu" : "");
  return TRUE;
}
