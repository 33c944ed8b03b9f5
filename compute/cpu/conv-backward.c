/* conv-backward.c — the gradients of the convolutions on oneDNN.
 *
 * A 3×3 convolution with reflection padding is, on the padded layout,
 * oneDNN's unpadded convolution over the (h+2)×(w+2) map (conv.c). Its
 * backward primitives therefore work on the same geometry:
 *   weights: src is the input's padded storage as it is; diff_dst is the
 *            output gradient's interior, copied into a dense map (times the
 *            ReLU's mask when the layer has one: the ReLU's backward costs
 *            no pass of its own);
 *   data:    diff_src is the gradient of the whole padded map, written
 *            straight into the input gradient's storage; the border's part
 *            is then folded back onto the pixels it reflects.
 * Direct or Winograd is chosen per shape by measuring, as forward. The 1×1
 * data gradient (the encoder's 3→3 input layer) is a small loop. */
#include "cpu-private.h"

#include <stdio.h>
#include <string.h>

enum { BWD_DATA, BWD_WEIGHTS };

/* dout's interior as a dense nChw16c map, where y (the ReLU's output) is
 * positive when y is given. */
static float *
dense_diff_dst (VkaCpuBackend *b, VkaCpuTensor *dout, VkaCpuTensor *y, GError **error)
{
  const VkaTensor *t = &dout->base;
  gsize blocks = (gsize) t->n * vka_cpu_blocks (t->c), row = (gsize) t->w * VKA_CPU_BLOCK;
  float *dense = vka_cpu_storage_alloc (b, blocks * t->h * row, error);
  if (!dense)
    return NULL;
  gint64 rows = (gint64) blocks * t->h;
#pragma omp parallel for schedule(static)
  for (gint64 r = 0; r < rows; r++)
    {
      gsize bl = (gsize) r / t->h;
      int yy = (int) ((gsize) r % t->h);
      gsize at = ((bl * (t->h + 2) + yy + 1) * (t->w + 2) + 1) * VKA_CPU_BLOCK;
      float *d = dense + (gsize) r * row;
      const float *g = dout->data + at;
      if (!y)
        {
          memcpy (d, g, row * sizeof (float));
          continue;
        }
      const float *m = y->data + at;
      for (gsize i = 0; i < row; i++)
        d[i] = m[i] > 0.0f ? g[i] : 0.0f;
    }
  return dense;
}

/* The gradient of a padded map's border added onto the pixels it reflects
 * (the adjoint of vka_cpu_fill_border), then the border made a reflection
 * again. */
static void
fold_border (VkaCpuTensor *t)
{
  const VkaTensor *s = &t->base;
  int ph = s->h + 2, pw = s->w + 2;
  int left = s->w == 1 ? 1 : 2, right = s->w == 1 ? 1 : s->w - 1;
  int top = s->h == 1 ? 1 : 2, bottom = s->h == 1 ? 1 : s->h - 1;
  gint64 blocks = (gint64) s->n * vka_cpu_blocks (s->c);
#pragma omp parallel for schedule(static)
  for (gint64 bl = 0; bl < blocks; bl++)
    {
      float *blk = t->data + (gsize) bl * ph * pw * VKA_CPU_BLOCK;
      float *r0 = blk, *rt = blk + (gsize) top * pw * VKA_CPU_BLOCK;
      float *rn = blk + (gsize) (ph - 1) * pw * VKA_CPU_BLOCK;
      float *rb = blk + (gsize) bottom * pw * VKA_CPU_BLOCK;
      for (gsize i = 0; i < (gsize) pw * VKA_CPU_BLOCK; i++)
        {
          rt[i] += r0[i];
          rb[i] += rn[i];
        }
      for (int y = 1; y <= s->h; y++)
        {
          float *row = blk + (gsize) y * pw * VKA_CPU_BLOCK;
          for (int l = 0; l < VKA_CPU_BLOCK; l++)
            {
              row[left * VKA_CPU_BLOCK + l] += row[l];
              row[right * VKA_CPU_BLOCK + l] += row[(gsize) (pw - 1) * VKA_CPU_BLOCK + l];
            }
        }
    }
  vka_cpu_fill_border (t);
}

/* A backward plan for one algorithm, or NULL where oneDNN has none. */
static VkaCpuConvPlan *
make_plan (VkaCpuBackend *b, int kind, const VkaTensor *in, int cout, gboolean winograd)
{
  const dnnl_dim_t src_dims[4] = { in->n, in->c, in->h + 2, in->w + 2 };
  const dnnl_dim_t w_dims[4] = { cout, in->c, 3, 3 };
  const dnnl_dim_t b_dims[1] = { cout };
  const dnnl_dim_t dst_dims[4] = { in->n, cout, in->h, in->w };
  dnnl_alg_kind_t alg = winograd ? dnnl_convolution_winograd : dnnl_convolution_direct;
  VkaCpuConvPlan *p = g_new0 (VkaCpuConvPlan, 1);
  p->winograd = winograd;
  p->src = vka_md_new (4, src_dims, dnnl_nChw16c);
  p->dst = vka_md_new (4, dst_dims, dnnl_nChw16c);
  VkaMd w_any = vka_md_new (4, w_dims, dnnl_format_tag_any);
  dnnl_primitive_desc_t pd = NULL;
  if (p->src && p->dst && w_any)
    {
      dnnl_status_t s;
      if (kind == BWD_DATA)
        s = vka_dnnl_conv_bwd_data_pd (&pd, b->engine, alg, p->src, w_any, p->dst);
      else
        {
          p->bias = vka_md_new (1, b_dims, dnnl_a);
          s = p->bias ? vka_dnnl_conv_bwd_weights_pd (&pd, b->engine, alg, p->src, w_any,
                                                      p->bias, p->dst)
                      : dnnl_out_of_memory;
        }
      if (s != dnnl_success)
        pd = NULL;
    }
  vka_md_free (w_any);
  return vka_cpu_plan_finish (p, pd, kind == BWD_DATA ? dnnl_query_weights_md
                                                      : dnnl_query_diff_weights_md);
}

typedef struct
{
  VkaCpuTensor *x, *weight, *dweight, *dbias, *din;
  float        *diff_dst;
} Job;

/* Runs plan (of kind) on job; the weight gradient lands in job's dweight
 * and dbias, the data gradient (border not yet folded) in din's storage. */
static gboolean
run_plan (VkaCpuBackend *b, int kind, VkaCpuConvPlan *plan, const Job *job, GError **error)
{
  float *weights = NULL;
  gsize weight_floats = vka_md_bytes (plan->weights) / sizeof (float);
  if (kind == BWD_DATA)
    weights = vka_cpu_packed_weights (b, job->weight, plan->weights, error);
  else
    weights = vka_cpu_storage_alloc (b, weight_floats, error);
  if (!weights)
    return FALSE;
  gsize scratch_floats = (plan->scratch ? vka_md_bytes (plan->scratch) : 0) / sizeof (float);
  float *scratch = scratch_floats ? vka_cpu_storage_alloc (b, scratch_floats, error) : NULL;
  gboolean ok = !scratch_floats || scratch;
  dnnl_memory_t mem[5] = { NULL };
  void *src = kind == BWD_DATA ? job->din->data : job->x->data;
  void *bias = kind == BWD_DATA ? NULL : job->dbias->data;
  ok = ok
       && vka_cpu_dnnl_check (vka_dnnl_memory_new (&mem[0], plan->src, b->engine, src),
                              "wrapping memory", error)
       && vka_cpu_dnnl_check (vka_dnnl_memory_new (&mem[1], plan->weights, b->engine, weights),
                              "wrapping memory", error)
       && vka_cpu_dnnl_check (vka_dnnl_memory_new (&mem[2], plan->dst, b->engine,
                                                   job->diff_dst), "wrapping memory", error)
       && (!bias || vka_cpu_dnnl_check (vka_dnnl_memory_new (&mem[3], plan->bias, b->engine,
                                                            bias), "wrapping memory", error))
       && (!scratch || vka_cpu_dnnl_check (vka_dnnl_memory_new (&mem[4], plan->scratch,
                                                               b->engine, scratch),
                                          "wrapping memory", error));
  if (ok)
    {
      dnnl_exec_arg_t args[5];
      int n = 0;
      if (kind == BWD_DATA)
        {
          args[n++] = (dnnl_exec_arg_t) { DNNL_ARG_DIFF_SRC, mem[0] };
          args[n++] = (dnnl_exec_arg_t) { DNNL_ARG_WEIGHTS, mem[1] };
        }
      else
        {
          args[n++] = (dnnl_exec_arg_t) { DNNL_ARG_SRC, mem[0] };
          args[n++] = (dnnl_exec_arg_t) { DNNL_ARG_DIFF_WEIGHTS, mem[1] };
          args[n++] = (dnnl_exec_arg_t) { DNNL_ARG_DIFF_BIAS, mem[3] };
        }
      args[n++] = (dnnl_exec_arg_t) { DNNL_ARG_DIFF_DST, mem[2] };
      if (scratch)
        args[n++] = (dnnl_exec_arg_t) { DNNL_ARG_SCRATCHPAD, mem[4] };
      ok = vka_cpu_execute (b, plan->prim, n, args, error);
    }
  if (ok && kind == BWD_WEIGHTS)
    {
      const VkaTensor *w = &job->dweight->base;
      const dnnl_dim_t dims[4] = { w->n, w->c, w->h, w->w };
      VkaMd plain = vka_md_new (4, dims, dnnl_oihw);
      ok = plain && vka_cpu_reorder (b, plan->weights, weights, plain, job->dweight->data,
                                     error);
      vka_md_free (plain);
    }
  for (int i = 0; i < 5; i++)
    if (mem[i])
      dnnl_memory_destroy (mem[i]);
  if (scratch)
    vka_cpu_storage_free (b, scratch, scratch_floats);
  if (kind == BWD_WEIGHTS)
    vka_cpu_storage_free (b, weights, weight_floats);
  return ok;
}

typedef struct
{
  VkaCpuBackend *b;
  int            kind;
  const Job     *job;
} Backward;

static gboolean
run_backward (VkaCpuConvPlan *plan, gpointer data, GError **error)
{
  Backward *w = data;
  return run_plan (w->b, w->kind, plan, w->job, error);
}

static VkaCpuConvPlan *
choose_plan (VkaCpuBackend *b, int kind, const Job *job, GError **error)
{
  const char *force = g_getenv ("VKA_CPU_CONV");
  const VkaTensor *in = &job->x->base;
  int cout = job->weight->base.n;
  if (!force && (b->reproducible || !vka_cpu_tuning ()))
    force = vka_cpu_rule_winograd (kind == BWD_DATA ? 'd' : 'w', in->c, cout, 0) ? "winograd"
                                                                           : "direct";
  VkaCpuConvPlan *direct = !g_strcmp0 (force, "winograd") ? NULL
                           : make_plan (b, kind, in, cout, FALSE);
  VkaCpuConvPlan *wino = !g_strcmp0 (force, "direct") ? NULL
                         : make_plan (b, kind, in, cout, TRUE);
  if (!direct && !wino)
    direct = make_plan (b, kind, in, cout, FALSE);
  if (!direct && !wino)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_DEVICE,
                   "oneDNN has no %s gradient for a 3×3 convolution of %d×%d×%d×%d → %d "
                   "channels", kind == BWD_DATA ? "data" : "weight", in->n, in->c, in->h,
                   in->w, cout);
      return NULL;
    }
  Backward w = { b, kind, job };
  double t[2];
  VkaCpuConvPlan *best = vka_cpu_plan_faster (direct, wino, run_backward, &w, t, error);
  if (best && g_getenv ("VKA_CPU_VERBOSE"))
    fprintf (stderr, "vk-adain cpu: conv3x3 %s gradient %4d->%-4d %5dx%-5d n%d: %s "
             "(direct %.2f ms%s, winograd %.2f ms%s)\n",
             kind == BWD_DATA ? "data  " : "weight", in->c, cout, in->w, in->h, in->n,
             best->impl, t[0], t[0] >= 0 ? "" : " n/a", t[1], t[1] >= 0 ? "" : " n/a");
  return best;
}

static gboolean
run (VkaCpuBackend *b, int kind, const Job *job, GError **error)
{
  const VkaTensor *in = &job->x->base;
  g_autofree char *key = g_strdup_printf ("%s %d %d %d %d %d", kind == BWD_DATA ? "bd" : "bw",
                                          in->n, in->c, in->h, in->w, job->weight->base.n);
  VkaCpuConvPlan *plan = g_hash_table_lookup (b->plans, key);
  if (!plan)
    {
      if (!(plan = choose_plan (b, kind, job, error)))
        return FALSE;
      g_hash_table_insert (b->plans, g_steal_pointer (&key), plan);
    }
  gint64 t0 = vka_cpu_profile_start (b);
  if (!run_plan (b, kind, plan, job, error))
    return FALSE;
  vka_cpu_profile_add (b, t0, 2.0 * in->n * in->h * in->w * in->c * job->weight->base.n * 9,
                       "conv3x3 %s grad %4d->%-4d %4dx%-4d n%d", kind == BWD_DATA ? "data" : "wgt ",
                       in->c, job->weight->base.n, in->w, in->h, in->n);
  return TRUE;
}

/* din (padded, Cin channels) from dout (padded, Cout): for each pixel of the
 * whole padded map, as a 1×1 convolution commutes with reflection. */
static void
conv1x1_backward_data (VkaCpuTensor *dout, VkaCpuTensor *weight, VkaCpuTensor *din)
{
  const VkaTensor *o = &dout->base, *i = &din->base;
  gsize pixels = (gsize) (o->h + 2) * (o->w + 2);
  int cob = vka_cpu_blocks (o->c), cib = vka_cpu_blocks (i->c);
  const float *w = weight->data;
  gint64 jobs = (gint64) o->n * cib;
#pragma omp parallel for schedule(static)
  for (gint64 j = 0; j < jobs; j++)
    {
      int n = (int) (j / cib), ib = (int) (j % cib);
      int lanes = MIN (VKA_CPU_BLOCK, i->c - ib * VKA_CPU_BLOCK);
      float *d = din->data + ((gsize) n * cib + ib) * pixels * VKA_CPU_BLOCK;
      for (gsize p = 0; p < pixels; p++)
        for (int l = 0; l < lanes; l++)
          {
            int ci = ib * VKA_CPU_BLOCK + l;
            float sum = 0.0f;
            for (int co = 0; co < o->c; co++)
              sum += w[(gsize) co * i->c + ci]
                     * dout->data[(((gsize) n * cob + co / VKA_CPU_BLOCK) * pixels + p)
                                  * VKA_CPU_BLOCK + co % VKA_CPU_BLOCK];
            d[p * VKA_CPU_BLOCK + l] = sum;
          }
    }
}

gboolean
vka_cpu_conv3x3_backward (VkaBackend *backend, VkaTensor *x, VkaTensor *y, VkaTensor *dy,
                          VkaTensor *weight, VkaTensor *dweight, VkaTensor *dbias,
                          VkaTensor *din, GError **error)
{
  VkaCpuBackend *b = (VkaCpuBackend *) backend;
  if (!vka_check_conv3x3_backward (x, y, dy, weight, dweight, dbias, din, error))
    return FALSE;
  Job job = { vka_cpu_tensor (x), vka_cpu_tensor (weight),
              dweight ? vka_cpu_tensor (dweight) : NULL, dbias ? vka_cpu_tensor (dbias) : NULL,
              din ? vka_cpu_tensor (din) : NULL, NULL };
  VkaCpuTensor *ty = y ? vka_cpu_tensor (y) : NULL;
  if (!vka_cpu_tensor_set_layout (vka_cpu_tensor (dy), VKA_CPU_PADDED, TRUE, error)
      || (ty && !vka_cpu_tensor_set_layout (ty, VKA_CPU_PADDED, TRUE, error))
      || (dweight && (!vka_cpu_tensor_set_layout (job.x, VKA_CPU_PADDED, TRUE, error)
                      || !vka_cpu_tensor_set_layout (job.dweight, VKA_CPU_PLAIN, FALSE, error)
                      || !vka_cpu_tensor_set_layout (job.dbias, VKA_CPU_PLAIN, FALSE, error)))
      || (din && !vka_cpu_tensor_set_layout (job.din, VKA_CPU_PADDED, FALSE, error)))
    return FALSE;
  gint64 t0 = vka_cpu_profile_start (b);
  job.diff_dst = dense_diff_dst (b, vka_cpu_tensor (dy), ty, error);
  if (!job.diff_dst)
    return FALSE;
  vka_cpu_profile_add (b, t0, 0, "conv3x3 backward: dense diff_dst%s", y ? " × relu mask" : "");
  gboolean ok = (!dweight || run (b, BWD_WEIGHTS, &job, error))
                && (!din || run (b, BWD_DATA, &job, error));
  vka_cpu_storage_free (b, job.diff_dst, (gsize) dy->n * vka_cpu_blocks (dy->c)
                                         * VKA_CPU_BLOCK * dy->h * dy->w);
  if (ok && dweight)
    {
      vka_cpu_tensor_changed (job.dweight);
      vka_cpu_tensor_changed (job.dbias);
    }
  if (ok && din)
    {
      t0 = vka_cpu_profile_start (b);
      fold_border (job.din);
      vka_cpu_profile_add (b, t0, 0, "conv3x3 backward: border fold");
    }
  return ok;
}

gboolean
vka_cpu_conv2d_backward_data (VkaBackend *backend, VkaTensor *dout, VkaTensor *weight,
                              VkaTensor *din, GError **error)
{
  if (!vka_check_conv2d_backward_data (dout, weight, din, error))
    return FALSE;
  if (weight->h == 3)
    return vka_cpu_conv3x3_backward (backend, din, NULL, dout, weight, NULL, NULL, din, error);
  VkaCpuTensor *to = vka_cpu_tensor (dout), *ti = vka_cpu_tensor (din);
  if (!vka_cpu_tensor_set_layout (to, VKA_CPU_PADDED, TRUE, error)
      || !vka_cpu_tensor_set_layout (vka_cpu_tensor (weight), VKA_CPU_PLAIN, TRUE, error)
      || !vka_cpu_tensor_set_layout (ti, VKA_CPU_PADDED, FALSE, error))
    return FALSE;
  gint64 t0 = vka_cpu_profile_start ((VkaCpuBackend *) backend);
  conv1x1_backward_data (to, vka_cpu_tensor (weight), ti);
  vka_cpu_profile_add ((VkaCpuBackend *) backend, t0, 2.0 * vka_tensor_numel (din) * dout->c,
                       "conv1x1 data grad");
  return TRUE;
}

gboolean
vka_cpu_conv3x3_backward_weight (VkaBackend *backend, VkaTensor *in, VkaTensor *dout,
                                 VkaTensor *dweight, VkaTensor *dbias, GError **error)
{
  if (!vka_check_conv3x3_backward_weight (in, dout, dweight, dbias, error))
    return FALSE;
  return vka_cpu_conv3x3_backward (backend, in, NULL, dout, dweight, dweight, dbias, NULL,
                                   error);
}
