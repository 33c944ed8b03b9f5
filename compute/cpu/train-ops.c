/* train-ops.c — the CPU backend's per-pixel training ops, channel statistics
 * and the optimiser, in plain C threaded by OpenMP.
 *
 * Ops read and write the layout their inputs already have, so a gradient
 * stays in the padded layout from the loss to the decoder's first layer:
 *   - element-wise ops (ReLU's and MSE's backward, add) run over the whole
 *     storage: on the padded layout the border is a reflection and the
 *     channels past c are zero, and both stay so under them;
 *   - statistics and their backward run per channel lane on the padded
 *     layout, in double as the reference does;
 *   - pooling's and upsampling's backward write the interior and reflect it.
 * Every loop splits its work statically, and each sum is made by one thread
 * in a fixed order: the results do not depend on the thread count. */
#include "cpu-private.h"
#include "reference/reference.h"

#include <math.h>
#include <string.h>

static gsize
storage_floats (const VkaCpuTensor *t)
{
  return t->bytes / sizeof (float);
}

/* The layout of the first of ins that holds a value (plain when none), and
 * every tensor of ins and out in it; out's value is left to the caller. */
static gboolean
same_layout (VkaTensor *const *ins, int n_ins, VkaTensor *out, GError **error)
{
  VkaCpuLayout layout = VKA_CPU_PLAIN;
  for (int i = n_ins - 1; i >= 0; i--)
    if (vka_cpu_tensor (ins[i])->data)
      layout = vka_cpu_tensor (ins[i])->layout;
  for (int i = 0; i < n_ins; i++)
    if (!vka_cpu_tensor_set_layout (vka_cpu_tensor (ins[i]), layout, TRUE, error))
      return FALSE;
  if (!vka_cpu_tensor_set_layout (vka_cpu_tensor (out), layout, FALSE, error))
    return FALSE;
  vka_cpu_tensor_changed (vka_cpu_tensor (out));
  return TRUE;
}

#define DATA(t) (vka_cpu_tensor (t)->data)

static gboolean
profiled (VkaBackend *backend, gint64 start, const char *op)
{
  vka_cpu_profile_add ((VkaCpuBackend *) backend, start, 0, "%s", op);
  return TRUE;
}

gboolean
vka_cpu_relu_backward (VkaBackend *backend, VkaTensor *y, VkaTensor *dy, VkaTensor *dx,
                   GError **error)
{
  gint64 t0 = vka_cpu_profile_start ((VkaCpuBackend *) backend);
  VkaTensor *ins[2] = { y, dy };
  if (!vka_check_same_shape ("relu_backward", y, dy, error)
      || !vka_check_same_shape ("relu_backward", y, dx, error)
      || !same_layout (ins, 2, dx, error))
    return FALSE;
  const float *py = DATA (y), *pg = DATA (dy);
  float *pd = DATA (dx);
  gint64 n = (gint64) storage_floats (vka_cpu_tensor (dx));
#pragma omp parallel for schedule(static)
  for (gint64 i = 0; i < n; i++)
    pd[i] = py[i] > 0.0f ? pg[i] : 0.0f;
  return profiled (backend, t0, "relu_backward");
}

gboolean
vka_cpu_mse_backward (VkaBackend *backend, VkaTensor *a, VkaTensor *b, float scale, VkaTensor *da,
                  GError **error)
{
  gint64 t0 = vka_cpu_profile_start ((VkaCpuBackend *) backend);
  VkaTensor *ins[2] = { a, b };
  if (!vka_check_same_shape ("mse_backward", a, b, error)
      || !vka_check_same_shape ("mse_backward", a, da, error)
      || !same_layout (ins, 2, da, error))
    return FALSE;
  const float *pa = DATA (a), *pb = DATA (b);
  float *pd = DATA (da);
  double k = 2.0 * scale / (double) vka_tensor_numel (a);
  gint64 n = (gint64) storage_floats (vka_cpu_tensor (da));
#pragma omp parallel for schedule(static)
  for (gint64 i = 0; i < n; i++)
    pd[i] = (float) (k * ((double) pa[i] - pb[i]));
  return profiled (backend, t0, "mse_backward");
}

gboolean
vka_cpu_add (VkaBackend *backend, VkaTensor *a, VkaTensor *b, VkaTensor *out, GError **error)
{
  gint64 t0 = vka_cpu_profile_start ((VkaCpuBackend *) backend);
  VkaTensor *ins[2] = { a, b };
  if (!vka_check_same_shape ("add", a, b, error) || !vka_check_same_shape ("add", a, out, error)
      || !same_layout (ins, 2, out, error))
    return FALSE;
  const float *pa = DATA (a), *pb = DATA (b);
  float *po = DATA (out);
  gint64 n = (gint64) storage_floats (vka_cpu_tensor (out));
#pragma omp parallel for schedule(static)
  for (gint64 i = 0; i < n; i++)
    po[i] = pa[i] + pb[i];
  return profiled (backend, t0, "add");
}

/* ---- on the padded layout ---- */

/* Per plane of a padded tensor, over the h × w window at (y0, x0) of its
 * interior: (mean, sqrt(unbiased var + 1e-5)), or with moments (mean, M2);
 * as the reference's (each lane's sums in double, pixel by pixel). */
VKA_CPU_LANE_LOOPS static void
padded_window_stats (const VkaCpuTensor *t, int y0, int x0, int h, int w, gboolean moments,
                     float *stats)
{
  const VkaTensor *s = &t->base;
  gsize pixels = (gsize) h * w, pw = (gsize) s->w + 2;
  int cb_n = vka_cpu_blocks (s->c);
  gint64 blocks = (gint64) s->n * cb_n;
#pragma omp parallel for schedule(static)
  for (gint64 bl = 0; bl < blocks; bl++)
    {
      const float *blk = t->data + (gsize) bl * (s->h + 2) * pw * VKA_CPU_BLOCK;
      double sum[VKA_CPU_BLOCK] = { 0 }, ss[VKA_CPU_BLOCK] = { 0 }, mean[VKA_CPU_BLOCK];
      for (int y = y0 + 1; y <= y0 + h; y++)
        for (int x = x0 + 1; x <= x0 + w; x++)
          {
            const float *v = blk + ((gsize) y * pw + x) * VKA_CPU_BLOCK;
            for (int l = 0; l < VKA_CPU_BLOCK; l++)
              sum[l] += v[l];
          }
      for (int l = 0; l < VKA_CPU_BLOCK; l++)
        mean[l] = sum[l] / (double) pixels;
      for (int y = y0 + 1; y <= y0 + h; y++)
        for (int x = x0 + 1; x <= x0 + w; x++)
          {
            const float *v = blk + ((gsize) y * pw + x) * VKA_CPU_BLOCK;
            for (int l = 0; l < VKA_CPU_BLOCK; l++)
              ss[l] += (v[l] - mean[l]) * (v[l] - mean[l]);
          }
      int n = (int) (bl / cb_n), c0 = (int) (bl % cb_n) * VKA_CPU_BLOCK;
      for (int l = 0; l < VKA_CPU_BLOCK && c0 + l < s->c; l++)
        {
          gsize p = (gsize) n * s->c + c0 + l;
          double var = pixels > 1 ? ss[l] / (double) (pixels - 1) : 0.0;
          stats[2 * p] = (float) mean[l];
          stats[2 * p + 1] = moments ? (float) ss[l] : (float) sqrt (var + 1e-5);
        }
    }
}

gboolean
vka_cpu_channel_stats (VkaBackend *backend, VkaTensor *in, VkaTensor *stats, GError **error)
{
  gint64 t0 = vka_cpu_profile_start ((VkaCpuBackend *) backend);
  if (!vka_check_channel_stats (in, stats, error))
    return FALSE;
  VkaCpuTensor *ti = vka_cpu_tensor (in), *ts = vka_cpu_tensor (stats);
  if (!vka_cpu_tensor_set_layout (ti, ti->layout, TRUE, error)
      || !vka_cpu_tensor_set_layout (ts, VKA_CPU_PLAIN, FALSE, error))
    return FALSE;
  vka_cpu_tensor_changed (ts);
  if (ti->layout == VKA_CPU_PADDED)
    padded_window_stats (ti, 0, 0, in->h, in->w, FALSE, ts->data);
  else
    vka_ref_channel_stats (ti->data, in->n * in->c, (gsize) in->h * in->w, ts->data);
  return profiled (backend, t0, "channel_stats");
}

gboolean
vka_cpu_channel_moments (VkaBackend *backend, VkaTensor *in, int y0, int x0, int h, int w,
                         VkaTensor *moments, GError **error)
{
  gint64 t0 = vka_cpu_profile_start ((VkaCpuBackend *) backend);
  if (!vka_check_channel_moments (in, y0, x0, h, w, moments, error))
    return FALSE;
  VkaCpuTensor *ti = vka_cpu_tensor (in), *tm = vka_cpu_tensor (moments);
  if (!vka_cpu_tensor_set_layout (ti, ti->layout, TRUE, error)
      || !vka_cpu_tensor_set_layout (tm, VKA_CPU_PLAIN, FALSE, error))
    return FALSE;
  vka_cpu_tensor_changed (tm);
  if (ti->layout == VKA_CPU_PADDED)
    padded_window_stats (ti, y0, x0, h, w, TRUE, tm->data);
  else
    vka_ref_channel_moments (ti->data, in->n * in->c, in->h, in->w, y0, x0, h, w, tm->data);
  return profiled (backend, t0, "channel_moments");
}

/* din = ∂L/∂μ / N + ∂L/∂σ · (x − μ) / ((N − 1) σ), per lane */
VKA_CPU_LANE_LOOPS static void
padded_channel_stats_backward (const VkaCpuTensor *ti, const float *st, const float *ds,
                               VkaCpuTensor *td)
{
  const VkaTensor *in = &ti->base;
  gsize pixels = (gsize) in->h * in->w, map = (gsize) (in->h + 2) * (in->w + 2);
  int cb_n = vka_cpu_blocks (in->c);
  gint64 blocks = (gint64) in->n * cb_n;
#pragma omp parallel for schedule(static)
  for (gint64 bl = 0; bl < blocks; bl++)
    {
      float a[VKA_CPU_BLOCK], k[VKA_CPU_BLOCK], mean[VKA_CPU_BLOCK];
      int n = (int) (bl / cb_n), c0 = (int) (bl % cb_n) * VKA_CPU_BLOCK;
      for (int l = 0; l < VKA_CPU_BLOCK; l++)
        {
          gsize p = (gsize) n * in->c + c0 + l;
          gboolean real = c0 + l < in->c;
          mean[l] = real ? st[2 * p] : 0.0f;
          a[l] = real ? (float) (ds[2 * p] / (double) pixels) : 0.0f;
          k[l] = real && pixels > 1
                 ? (float) (ds[2 * p + 1] / ((double) (pixels - 1) * st[2 * p + 1])) : 0.0f;
        }
      const float *restrict x = ti->data + (gsize) bl * map * VKA_CPU_BLOCK;
      float *restrict d = td->data + (gsize) bl * map * VKA_CPU_BLOCK;
      for (gsize i = 0; i < map; i++)
        for (int l = 0; l < VKA_CPU_BLOCK; l++)
          d[i * VKA_CPU_BLOCK + l] = a[l] + k[l] * (x[i * VKA_CPU_BLOCK + l] - mean[l]);
    }
}

gboolean
vka_cpu_channel_stats_backward (VkaBackend *backend, VkaTensor *in, VkaTensor *stats,
                            VkaTensor *dstats, VkaTensor *din, GError **error)
{
  gint64 t0 = vka_cpu_profile_start ((VkaCpuBackend *) backend);
  if (!vka_check_channel_stats (in, stats, error)
      || !vka_check_channel_stats (in, dstats, error)
      || !vka_check_same_shape ("channel_stats_backward", in, din, error))
    return FALSE;
  VkaCpuTensor *ti = vka_cpu_tensor (in), *td = vka_cpu_tensor (din);
  if (!vka_cpu_tensor_set_layout (ti, ti->layout, TRUE, error)
      || !vka_cpu_tensor_set_layout (vka_cpu_tensor (stats), VKA_CPU_PLAIN, TRUE, error)
      || !vka_cpu_tensor_set_layout (vka_cpu_tensor (dstats), VKA_CPU_PLAIN, TRUE, error)
      || !vka_cpu_tensor_set_layout (td, ti->layout, FALSE, error))
    return FALSE;
  vka_cpu_tensor_changed (td);
  gsize pixels = (gsize) in->h * in->w;
  const float *st = DATA (stats), *ds = DATA (dstats);
  if (ti->layout == VKA_CPU_PLAIN)
    {
      vka_ref_channel_stats_backward (ti->data, in->n * in->c, pixels, st, ds, td->data);
      return profiled (backend, t0, "channel_stats_backward");
    }
  /* per pixel, with per-channel constants: the whole padded map, border
   * included, comes out a reflection of its interior */
  padded_channel_stats_backward (ti, st, ds, td);
  return profiled (backend, t0, "channel_stats_backward");
}

/* One row of 2×2 windows: each lane's dout goes to the first maximum of
 * its window in the reference's order ((0,0), (0,1), (1,0), (1,1)); the
 * other pixels get 0. Windows cut by the edge (ceil mode) repeat a pixel
 * there, which a strict comparison never picks, and write it once. */
VKA_CPU_LANE_LOOPS static void
maxpool_backward_row (const float *src0, const float *src1, const float *g, float *dst0,
                      float *dst1, int out_w, int in_w, gboolean second_row)
{
  for (int x = 0; x < out_w; x++)
    {
      gsize x0 = (gsize) (2 * x + 1) * VKA_CPU_BLOCK;
      gboolean second_col = 2 * x + 1 < in_w;
      gsize x1 = second_col ? x0 + VKA_CPU_BLOCK : x0;
      float d[4][VKA_CPU_BLOCK];
      for (int l = 0; l < VKA_CPU_BLOCK; l++)
        {
          float v0 = src0[x0 + l], v1 = src0[x1 + l], v2 = src1[x0 + l], v3 = src1[x1 + l];
          float gl = g[(gsize) x * VKA_CPU_BLOCK + l];
          gboolean w1 = v1 > v0;
          float m = w1 ? v1 : v0;
          gboolean w2 = v2 > m;
          m = w2 ? v2 : m;
          gboolean w3 = v3 > m;
          int best = w3 ? 3 : w2 ? 2 : w1 ? 1 : 0;
          d[0][l] = best == 0 ? gl : 0.0f;
          d[1][l] = best == 1 ? gl : 0.0f;
          d[2][l] = best == 2 ? gl : 0.0f;
          d[3][l] = best == 3 ? gl : 0.0f;
        }
      memcpy (dst0 + x0, d[0], sizeof d[0]);
      if (second_col)
        memcpy (dst0 + x1, d[1], sizeof d[1]);
      if (second_row)
        {
          memcpy (dst1 + x0, d[2], sizeof d[2]);
          if (second_col)
            memcpy (dst1 + x1, d[3], sizeof d[3]);
        }
    }
}

gboolean
vka_cpu_maxpool2x2_backward (VkaBackend *backend, VkaTensor *in, VkaTensor *dout,
                             VkaTensor *din, GError **error)
{
  gint64 t0 = vka_cpu_profile_start ((VkaCpuBackend *) backend);
  if (!vka_check_maxpool2x2 (in, dout, error)
      || !vka_check_same_shape ("maxpool2x2_backward", in, din, error))
    return FALSE;
  VkaCpuTensor *ti = vka_cpu_tensor (in), *to = vka_cpu_tensor (dout), *td = vka_cpu_tensor (din);
  if (!vka_cpu_tensor_set_layout (ti, VKA_CPU_PADDED, TRUE, error)
      || !vka_cpu_tensor_set_layout (to, VKA_CPU_PADDED, TRUE, error)
      || !vka_cpu_tensor_set_layout (td, VKA_CPU_PADDED, FALSE, error))
    return FALSE;
  vka_cpu_tensor_changed (td);
  int ipw = in->w + 2, iph = in->h + 2, opw = dout->w + 2, oph = dout->h + 2;
  gint64 rows = (gint64) in->n * vka_cpu_blocks (in->c) * dout->h;
#pragma omp parallel for schedule(static)
  for (gint64 r = 0; r < rows; r++)
    {
      gsize b = (gsize) r / dout->h;
      int y = (int) (r % dout->h);
      gboolean second_row = 2 * y + 1 < in->h;
      gsize at0 = (b * iph + 2 * y + 1) * ipw * VKA_CPU_BLOCK;
      gsize at1 = second_row ? at0 + (gsize) ipw * VKA_CPU_BLOCK : at0;
      maxpool_backward_row (ti->data + at0, ti->data + at1,
                            to->data + ((b * oph + y + 1) * opw + 1) * VKA_CPU_BLOCK,
                            td->data + at0, td->data + at1, dout->w, in->w, second_row);
    }
  vka_cpu_fill_border (td);
  return profiled (backend, t0, "maxpool2x2_backward");
}

/* din = the sum of each 2×2 block of dout */
gboolean
vka_cpu_upsample2x_backward (VkaBackend *backend, VkaTensor *dout, VkaTensor *din, GError **error)
{
  gint64 t0 = vka_cpu_profile_start ((VkaCpuBackend *) backend);
  if (!vka_check_upsample2x (din, dout, error))
    return FALSE;
  VkaCpuTensor *to = vka_cpu_tensor (dout), *td = vka_cpu_tensor (din);
  if (!vka_cpu_tensor_set_layout (to, VKA_CPU_PADDED, TRUE, error)
      || !vka_cpu_tensor_set_layout (td, VKA_CPU_PADDED, FALSE, error))
    return FALSE;
  vka_cpu_tensor_changed (td);
  int ipw = din->w + 2, iph = din->h + 2, opw = dout->w + 2, oph = dout->h + 2;
  gint64 rows = (gint64) din->n * vka_cpu_blocks (din->c) * din->h;
#pragma omp parallel for schedule(static)
  for (gint64 r = 0; r < rows; r++)
    {
      gsize b = (gsize) r / din->h;
      int y = (int) (r % din->h);
      const float *g0 = to->data + ((b * oph + 2 * y + 1) * opw + 1) * VKA_CPU_BLOCK;
      const float *g1 = g0 + (gsize) opw * VKA_CPU_BLOCK;
      float *d = td->data + ((b * iph + y + 1) * ipw + 1) * VKA_CPU_BLOCK;
      for (int x = 0; x < din->w; x++)
        for (int l = 0; l < VKA_CPU_BLOCK; l++)
          {
            gsize a = (gsize) 2 * x * VKA_CPU_BLOCK + l;
            d[(gsize) x * VKA_CPU_BLOCK + l] = g0[a] + g0[a + VKA_CPU_BLOCK] + g1[a]
                                               + g1[a + VKA_CPU_BLOCK];
          }
    }
  vka_cpu_fill_border (td);
  return profiled (backend, t0, "upsample2x_backward");
}

/* The outputs that read one input index of a bilinear ×2 upsampling along
 * an axis: count (2 to 4) consecutive indices from first, each with the
 * weight it reads that input with. */
typedef struct
{
  int   first, count;
  float weight[4];
} BilinearTaps;

static BilinearTaps
bilinear_taps (int i, int n)
{
  BilinearTaps t = { MAX (2 * i - 1, 0), 0, { 0 } };
  int last = MIN (2 * i + 2, 2 * n - 1);
  for (int o = t.first; o <= last; o++)
    t.weight[t.count++] = (o / 2 == i ? 0.75f : 0.0f)
                          + (vka_cpu_bilinear_neighbour (o, n) == i ? 0.25f : 0.0f);
  return t;
}

/* One row of din for one channel block, gathered from the rows of dout
 * that read it (rows[k]: row ty->first + k, its first interior pixel). */
VKA_CPU_LANE_LOOPS static void
bilinear_backward_row (const float *const *rows, const BilinearTaps *ty, int in_w, float *d)
{
  for (int x = 0; x < in_w; x++, d += VKA_CPU_BLOCK)
    {
      BilinearTaps tx = bilinear_taps (x, in_w);
      float acc[VKA_CPU_BLOCK] = { 0 };
      for (int r = 0; r < ty->count; r++)
        for (int c = 0; c < tx.count; c++)
          {
            float weight = ty->weight[r] * tx.weight[c];
            const float *g = rows[r] + (gsize) (tx.first + c) * VKA_CPU_BLOCK;
            for (int l = 0; l < VKA_CPU_BLOCK; l++)
              acc[l] += weight * g[l];
          }
      memcpy (d, acc, sizeof acc);
    }
}

/* din = upsample2x_bilinear's transpose of dout: a gather per input row */
gboolean
vka_cpu_upsample2x_bilinear_backward (VkaBackend *backend, VkaTensor *dout, VkaTensor *din,
                                      GError **error)
{
  gint64 t0 = vka_cpu_profile_start ((VkaCpuBackend *) backend);
  if (!vka_check_upsample2x (din, dout, error))
    return FALSE;
  VkaCpuTensor *to = vka_cpu_tensor (dout), *td = vka_cpu_tensor (din);
  if (!vka_cpu_tensor_set_layout (to, VKA_CPU_PADDED, TRUE, error)
      || !vka_cpu_tensor_set_layout (td, VKA_CPU_PADDED, FALSE, error))
    return FALSE;
  vka_cpu_tensor_changed (td);
  int ipw = din->w + 2, iph = din->h + 2, opw = dout->w + 2, oph = dout->h + 2;
  gint64 rows = (gint64) din->n * vka_cpu_blocks (din->c) * din->h;
#pragma omp parallel for schedule(static)
  for (gint64 r = 0; r < rows; r++)
    {
      gsize b = (gsize) r / din->h;
      int y = (int) (r % din->h);
      BilinearTaps ty = bilinear_taps (y, din->h);
      const float *g[4];
      for (int k = 0; k < ty.count; k++)
        g[k] = to->data + ((b * oph + ty.first + k + 1) * opw + 1) * VKA_CPU_BLOCK;
      bilinear_backward_row (g, &ty, din->w,
                             td->data + ((b * iph + y + 1) * ipw + 1) * VKA_CPU_BLOCK);
    }
  vka_cpu_fill_border (td);
  return profiled (backend, t0, "upsample2x_bilinear_backward");
}

/* ---- the optimiser: plain layout, as the parameters are kept ---- */

gboolean
vka_cpu_optimizer_step (VkaBackend *backend, VkaTensor *param, VkaTensor *grad, VkaTensor *m,
                    VkaTensor *v, const VkaOptimizer *opt, int step, GError **error)
{
  gint64 t0 = vka_cpu_profile_start ((VkaCpuBackend *) backend);
  if (!vka_check_optimizer_step (param, grad, m, v, error))
    return FALSE;
  VkaTensor *all[4] = { param, grad, m, v };
  for (int i = 0; i < 4; i++)
    if (!vka_cpu_tensor_set_layout (vka_cpu_tensor (all[i]), VKA_CPU_PLAIN, TRUE, error))
      return FALSE;
  vka_cpu_tensor_changed (vka_cpu_tensor (param));
  vka_cpu_tensor_changed (vka_cpu_tensor (m));
  vka_cpu_tensor_changed (vka_cpu_tensor (v));
  float *p = DATA (param), *pm = DATA (m), *pv = DATA (v);
  const float *g = DATA (grad);
  gint64 n = (gint64) vka_tensor_numel (param);
  double lr = opt->lr, b1 = opt->beta1, b2 = opt->beta2, eps = opt->eps;
  if (opt->sgd)
    {
#pragma omp parallel for schedule(static)
      for (gint64 i = 0; i < n; i++)
        p[i] = (float) (p[i] - lr * g[i]);
      return profiled (backend, t0, "optimizer_step");
    }
  /* the reference's formula, term for term */
  double step_size = lr / (1.0 - pow (b1, step)), root_bc2 = sqrt (1.0 - pow (b2, step));
#pragma omp parallel for schedule(static)
  for (gint64 i = 0; i < n; i++)
    {
      double gi = g[i];
      double mi = b1 * pm[i] + (1.0 - b1) * gi;
      double vi = b2 * pv[i] + (1.0 - b2) * gi * gi;
      pm[i] = (float) mi;
      pv[i] = (float) vi;
      p[i] = (float) (p[i] - step_size * mi / (sqrt (vi) / root_bc2 + eps));
    }
  return profiled (backend, t0, "optimizer_step");
}
