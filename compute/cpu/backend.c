/* backend.c — the oneDNN CPU backend: tensors and their two layouts (see
 * cpu-private.h), pooling and upsampling on the padded layout, and the
 * per-pixel ops through the plain-C reference. Convolutions are in conv.c,
 * their gradients in conv-backward.c, the other training ops in train-ops.c. */
#include "cpu-private.h"
#include "reference/reference.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

static VkaCpuBackend *
cpub (VkaBackend *b)
{
  return (VkaCpuBackend *) b;
}

gboolean
vka_cpu_dnnl_check (dnnl_status_t s, const char *what, GError **error)
{
  if (s == dnnl_success)
    return TRUE;
  g_set_error (error, VKA_ERROR, s == dnnl_out_of_memory ? VKA_ERROR_OUT_OF_MEMORY
                                                         : VKA_ERROR_DEVICE,
               "oneDNN: %s failed (dnnl_status_t %d)", what, (int) s);
  return FALSE;
}

/* ---- storage ---- */

static gsize
layout_floats (const VkaTensor *t, VkaCpuLayout layout)
{
  if (layout == VKA_CPU_PLAIN)
    return vka_tensor_numel (t);
  return (gsize) t->n * vka_cpu_blocks (t->c) * VKA_CPU_BLOCK * (gsize) (t->h + 2)
         * (gsize) (t->w + 2);
}

static void
spare_drop_oldest (VkaCpuBackend *b)
{
  VkaCpuSpare *old = g_queue_pop_tail (&b->spare);
  b->spare_bytes -= old->bytes;
  free (old->data);
  g_free (old);
}

/* 64-byte aligned: oneDNN's kernels load whole cache lines. Large blocks
 * come from the arena (arena.h); where it is off or full they are aligned
 * to 2 MiB, and asked for as transparent huge pages as the arena is. */
#define HUGE_PAGE ((gsize) 2 << 20)

static gboolean
large_block (gsize bytes)
{
  return bytes >= 2 * HUGE_PAGE;
}

static float *
storage_new (gsize floats, gsize bytes)
{
  float *p = NULL;
  gboolean huge = large_block (bytes);
  if (floats > G_MAXSIZE / sizeof (float)
      || posix_memalign ((void **) &p, huge ? HUGE_PAGE : 64, bytes) != 0)
    return NULL;
#ifdef MADV_HUGEPAGE
  if (huge && vka_cpu_arena_huge_pages ())
    madvise (p, bytes / HUGE_PAGE * HUGE_PAGE, MADV_HUGEPAGE);
#endif
  return p;
}

float *
vka_cpu_storage_alloc (VkaCpuBackend *b, gsize floats, GError **error)
{
  gsize bytes = MAX (floats, 1) * sizeof (float);
  float *p = NULL;
  gsize granted;
  if (large_block (bytes) && floats <= G_MAXSIZE / sizeof (float) && b->arena
      && (p = vka_cpu_arena_alloc (b->arena, bytes, &granted)))
    {
      b->bytes_allocated += granted;
      b->peak_bytes = MAX (b->peak_bytes, b->bytes_allocated);
      return p;
    }
  /* the smallest spare that fits with at most a quarter to spare: the
   * tiles at a picture's edges are a little smaller than the others */
  GList *best = NULL;
  for (GList *l = b->spare.head; l; l = l->next)
    {
      VkaCpuSpare *s = l->data;
      if (s->bytes >= bytes && s->bytes - bytes <= bytes / 4
          && (!best || s->bytes < ((VkaCpuSpare *) best->data)->bytes))
        best = l;
    }
  if (best)
    {
      VkaCpuSpare *s = best->data;
      p = s->data;
      b->spare_bytes -= s->bytes;
      if (s->bytes != bytes)
        g_hash_table_insert (b->oversized, p, GSIZE_TO_POINTER (s->bytes));
      bytes = s->bytes;
      g_free (s);
      g_queue_delete_link (&b->spare, best);
    }
  else
    {
      /* held plus spare memory stays within the most ever held at once:
       * a new size first gives back spares of other sizes */
      while (b->spare.length > 0
             && b->bytes_allocated + b->spare_bytes + bytes > b->peak_bytes)
        spare_drop_oldest (b);
    }
  if (!p && !(p = storage_new (floats, bytes)))
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_OUT_OF_MEMORY,
                   "cannot allocate %" G_GSIZE_FORMAT " MiB of host memory", bytes >> 20);
      return NULL;
    }
  b->bytes_allocated += bytes;
  b->peak_bytes = MAX (b->peak_bytes, b->bytes_allocated);
  return p;
}

void
vka_cpu_storage_free (VkaCpuBackend *b, float *p, gsize floats)
{
  if (!p)
    return;
  gsize bytes = b->arena ? vka_cpu_arena_release (b->arena, p) : 0;
  if (bytes > 0)
    {
      b->bytes_allocated -= bytes;
      return;
    }
  bytes = MAX (floats, 1) * sizeof (float);
  gpointer capacity;
  if (g_hash_table_steal_extended (b->oversized, p, NULL, &capacity))
    bytes = GPOINTER_TO_SIZE (capacity);
  b->bytes_allocated -= bytes;
  VkaCpuSpare *s = g_new (VkaCpuSpare, 1);
  *s = (VkaCpuSpare) { p, bytes };
  g_queue_push_head (&b->spare, s);
  b->spare_bytes += bytes;
  while (b->spare.length > VKA_CPU_MAX_SPARES)
    spare_drop_oldest (b);
}

static void
spares_clear (VkaCpuBackend *b)
{
  while (b->spare.length > 0)
    spare_drop_oldest (b);
}

static VkaTensor *
cpu_tensor_new (VkaBackend *backend, int n, int c, int h, int w, GError **error)
{
  VkaCpuBackend *b = cpub (backend);
  if (!vka_check_tensor_dims (n, c, h, w, error))
    return NULL;
  guint64 bytes = (guint64) n * c * h * w * sizeof (float);
  if (bytes / sizeof (float) / n / c / h != (guint64) w
      || bytes > backend->ops->max_tensor_bytes (backend))
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_TOO_LARGE,
                   "a %d×%d×%d×%d tensor exceeds the CPU backend's tensor limit of %"
                   G_GUINT64_FORMAT " MiB; use a smaller tile", n, c, h, w,
                   backend->ops->max_tensor_bytes (backend) >> 20);
      return NULL;
    }
  if (b->fail_alloc_over && bytes > b->fail_alloc_over)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_OUT_OF_MEMORY,
                   "allocating %" G_GUINT64_FORMAT " MiB for a %d×%d×%d×%d tensor failed "
                   "(test limit)", bytes >> 20, n, c, h, w);
      return NULL;
    }
  VkaCpuTensor *t = g_new0 (VkaCpuTensor, 1);
  t->base = (VkaTensor) { backend, n, c, h, w };
  t->layout = VKA_CPU_PLAIN;   /* storage comes with the first use */
  return &t->base;
}

void
vka_cpu_tensor_changed (VkaCpuTensor *t)
{
  g_clear_pointer (&t->packed, g_ptr_array_unref);
  if (t->phases)
    {
      vka_tensor_free (&t->phases->base);
      t->phases = NULL;
    }
}

static void
cpu_tensor_free (VkaTensor *tensor)
{
  VkaCpuTensor *t = vka_cpu_tensor (tensor);
  vka_cpu_storage_free (cpub (tensor->backend), t->data, t->bytes / sizeof (float));
  vka_cpu_tensor_changed (t);
  g_free (t);
}

/* plain NCHW → padded nChw16c with the reflected border */
static void
plain_to_padded (const VkaTensor *t, const float *src, float *dst)
{
  int cb_n = vka_cpu_blocks (t->c), ph = t->h + 2, pw = t->w + 2;
  gsize plane = (gsize) t->h * t->w;
  for (int n = 0; n < t->n; n++)
    for (int cb = 0; cb < cb_n; cb++)
      {
        float *blk = dst + ((gsize) n * cb_n + cb) * ph * pw * VKA_CPU_BLOCK;
        int lanes = MIN (VKA_CPU_BLOCK, t->c - cb * VKA_CPU_BLOCK);
        const float *s0 = src + ((gsize) n * t->c + (gsize) cb * VKA_CPU_BLOCK) * plane;
        for (int y = 0; y < t->h; y++)
          for (int x = 0; x < t->w; x++)
            {
              float *d = blk + ((gsize) (y + 1) * pw + x + 1) * VKA_CPU_BLOCK;
              const float *s = s0 + (gsize) y * t->w + x;
              int l = 0;
              for (; l < lanes; l++)
                d[l] = s[l * plane];
              for (; l < VKA_CPU_BLOCK; l++)
                d[l] = 0.0f;
            }
      }
}

static void
padded_to_plain (const VkaTensor *t, const float *src, float *dst)
{
  int cb_n = vka_cpu_blocks (t->c), ph = t->h + 2, pw = t->w + 2;
  gsize plane = (gsize) t->h * t->w;
  for (int n = 0; n < t->n; n++)
    for (int c = 0; c < t->c; c++)
      {
        const float *blk = src + ((gsize) n * cb_n + c / VKA_CPU_BLOCK) * ph * pw
                                   * VKA_CPU_BLOCK + c % VKA_CPU_BLOCK;
        float *d = dst + ((gsize) n * t->c + c) * plane;
        for (int y = 0; y < t->h; y++)
          {
            const float *s = blk + ((gsize) (y + 1) * pw + 1) * VKA_CPU_BLOCK;
            for (int x = 0; x < t->w; x++)
              d[(gsize) y * t->w + x] = s[(gsize) x * VKA_CPU_BLOCK];
          }
      }
}

/* Writes the one-pixel border of a padded tensor from its interior:
 * PyTorch's ReflectionPad2d(1); a map one pixel wide repeats that pixel. */
/* The padded map's one-pixel border from its edge: reflected (the
 * convolutions' padding; a 1-pixel side can only repeat) or replicated. */
void
vka_cpu_fill_border_as (VkaCpuTensor *t, gboolean replicate)
{
  const VkaTensor *s = &t->base;
  int ph = s->h + 2, pw = s->w + 2;
  gboolean rep_x = replicate || s->w == 1, rep_y = replicate || s->h == 1;
  int left = rep_x ? 1 : 2, right = rep_x ? s->w : s->w - 1;
  int top = rep_y ? 1 : 2, bottom = rep_y ? s->h : s->h - 1;
  gsize pix = VKA_CPU_BLOCK * sizeof (float);
  gsize blocks = (gsize) s->n * vka_cpu_blocks (s->c);
  for (gsize b = 0; b < blocks; b++)
    {
      float *blk = t->data + b * ph * pw * VKA_CPU_BLOCK;
      for (int y = 1; y <= s->h; y++)
        {
          float *row = blk + (gsize) y * pw * VKA_CPU_BLOCK;
          memcpy (row, row + (gsize) left * VKA_CPU_BLOCK, pix);
          memcpy (row + (gsize) (pw - 1) * VKA_CPU_BLOCK, row + (gsize) right * VKA_CPU_BLOCK,
                  pix);
        }
      memcpy (blk, blk + (gsize) top * pw * VKA_CPU_BLOCK, pw * pix);
      memcpy (blk + (gsize) (ph - 1) * pw * VKA_CPU_BLOCK,
              blk + (gsize) bottom * pw * VKA_CPU_BLOCK, pw * pix);
    }
}

void
vka_cpu_fill_border (VkaCpuTensor *t)
{
  vka_cpu_fill_border_as (t, FALSE);
}

/* Changes t's storage to layout; keep: convert the value, else leave the
 * new storage for the caller to overwrite (zeroed, as padded blocks need). */
gboolean
vka_cpu_tensor_set_layout (VkaCpuTensor *t, VkaCpuLayout layout, gboolean keep,
                           GError **error)
{
  if (t->layout == layout && t->data)
    return TRUE;
  VkaCpuBackend *b = cpub (t->base.backend);
  gint64 t0 = vka_cpu_profile_start (b);
  gsize floats = layout_floats (&t->base, layout);
  float *data = vka_cpu_storage_alloc (b, floats, error);
  if (!data)
    return FALSE;
  if (keep && !t->data)
    memset (data, 0, floats * sizeof (float));   /* a tensor never written is zero */
  else if (keep && layout == VKA_CPU_PADDED)
    plain_to_padded (&t->base, t->data, data);
  else if (keep)
    padded_to_plain (&t->base, t->data, data);
  else if (layout == VKA_CPU_PADDED && t->base.c % VKA_CPU_BLOCK)
    memset (data, 0, floats * sizeof (float));   /* channels past c must be zero */
  vka_cpu_storage_free (b, t->data, t->bytes / sizeof (float));
  t->data = data;
  t->bytes = floats * sizeof (float);
  t->layout = layout;
  if (keep && layout == VKA_CPU_PADDED)
    vka_cpu_fill_border (t);
  if (keep && t->base.c > 3)
    vka_cpu_profile_add (b, t0, 0, "layout change %s", layout == VKA_CPU_PADDED
                         ? "plain → padded" : "padded → plain");
  return TRUE;
}

static gboolean
cpu_tensor_write (VkaTensor *tensor, const float *src, GError **error)
{
  VkaCpuTensor *t = vka_cpu_tensor (tensor);
  cpub (tensor->backend)->copies.bytes_to_device += vka_tensor_numel (tensor) * sizeof (float);
  vka_cpu_tensor_changed (t);
  if (!vka_cpu_tensor_set_layout (t, VKA_CPU_PLAIN, FALSE, error))
    return FALSE;
  memcpy (t->data, src, vka_tensor_numel (tensor) * sizeof (float));
  return TRUE;
}

static gboolean
cpu_tensor_read (VkaTensor *tensor, float *dst, GError **error)
{
  VkaCpuTensor *t = vka_cpu_tensor (tensor);
  cpub (tensor->backend)->copies.bytes_to_host += vka_tensor_numel (tensor) * sizeof (float);
  if (!t->data)
    memset (dst, 0, vka_tensor_numel (tensor) * sizeof (float));
  else if (t->layout == VKA_CPU_PADDED)
    padded_to_plain (tensor, t->data, dst);
  else
    memcpy (dst, t->data, vka_tensor_numel (tensor) * sizeof (float));
  return TRUE;
}

/* ---- padded-layout ops ---- */

/* One output row from input rows r0 and r1 (their first interior pixel;
 * r1 is r0 at the bottom edge of an odd height). */
VKA_CPU_LANE_LOOPS void
vka_cpu_maxpool_row (const float *r0, const float *r1, int in_w, int out_w, float *d)
{
  for (int x = 0; x < out_w; x++, d += VKA_CPU_BLOCK)
    {
      gsize x0 = (gsize) (2 * x) * VKA_CPU_BLOCK;
      gsize x1 = (gsize) MIN (2 * x + 1, in_w - 1) * VKA_CPU_BLOCK;
      for (int l = 0; l < VKA_CPU_BLOCK; l++)
        {
          float m = MAX (r0[x0 + l], r0[x1 + l]);
          m = MAX (m, r1[x0 + l]);
          d[l] = MAX (m, r1[x1 + l]);
        }
    }
}

/* 2×2 stride 2, ceil mode: the window is cut at the right and bottom edges. */
static gboolean
cpu_maxpool2x2 (VkaBackend *backend, VkaTensor *in, VkaTensor *out, GError **error)
{
  gint64 t0 = vka_cpu_profile_start (cpub (backend));
  if (!vka_check_maxpool2x2 (in, out, error))
    return FALSE;
  VkaCpuTensor *ti = vka_cpu_tensor (in), *to = vka_cpu_tensor (out);
  if (!vka_cpu_tensor_set_layout (ti, VKA_CPU_PADDED, TRUE, error)
      || !vka_cpu_tensor_set_layout (to, VKA_CPU_PADDED, FALSE, error))
    return FALSE;
  gsize blocks = (gsize) in->n * vka_cpu_blocks (in->c);
  int ipw = in->w + 2, iph = in->h + 2, opw = out->w + 2, oph = out->h + 2;
#pragma omp parallel for collapse(2) schedule(static)
  for (gsize b = 0; b < blocks; b++)
    for (int y = 0; y < out->h; y++)
      {
        int y1 = MIN (2 * y + 1, in->h - 1);
        const float *r0 = ti->data + ((b * iph + 2 * y + 1) * ipw + 1) * VKA_CPU_BLOCK;
        const float *r1 = ti->data + ((b * iph + y1 + 1) * ipw + 1) * VKA_CPU_BLOCK;
        vka_cpu_maxpool_row (r0, r1, in->w, out->w,
                             to->data + ((b * oph + y + 1) * opw + 1) * VKA_CPU_BLOCK);
      }
  vka_cpu_fill_border (to);
  vka_cpu_profile_add (cpub (backend), t0, 0, "maxpool2x2");
  return TRUE;
}

static gboolean
cpu_upsample2x (VkaBackend *backend, VkaTensor *in, VkaTensor *out, GError **error)
{
  gint64 t0 = vka_cpu_profile_start (cpub (backend));
  if (!vka_check_upsample2x (in, out, error))
    return FALSE;
  VkaCpuTensor *ti = vka_cpu_tensor (in), *to = vka_cpu_tensor (out);
  if (!vka_cpu_tensor_set_layout (ti, VKA_CPU_PADDED, TRUE, error)
      || !vka_cpu_tensor_set_layout (to, VKA_CPU_PADDED, FALSE, error))
    return FALSE;
  gsize blocks = (gsize) in->n * vka_cpu_blocks (in->c);
  int ipw = in->w + 2, iph = in->h + 2, opw = out->w + 2, oph = out->h + 2;
  gsize row = (gsize) out->w * VKA_CPU_BLOCK;
  for (gsize b = 0; b < blocks; b++)
    for (int y = 0; y < out->h; y++)
      {
        float *d = to->data + ((b * oph + y + 1) * opw + 1) * VKA_CPU_BLOCK;
        if (y % 2)
          {
            /* an odd row repeats the even row above it */
            memcpy (d, d - (gsize) opw * VKA_CPU_BLOCK, row * sizeof (float));
            continue;
          }
        const float *s = ti->data + ((b * iph + y / 2 + 1) * ipw + 1) * VKA_CPU_BLOCK;
        for (int x = 0; x < out->w; x++)
          for (int l = 0; l < VKA_CPU_BLOCK; l++)
            d[(gsize) x * VKA_CPU_BLOCK + l] = s[(gsize) (x / 2) * VKA_CPU_BLOCK + l];
      }
  vka_cpu_fill_border (to);
  vka_cpu_profile_add (cpub (backend), t0, 0, "upsample2x");
  return TRUE;
}

/* One output row of a bilinear ×2 upsampling of one channel block, from
 * its input rows near (weight 0.75) and far (0.25), their first interior
 * pixel. */
VKA_CPU_LANE_LOOPS static void
bilinear_row (const float *near, const float *far, int in_w, int out_w, float *d)
{
  for (int x = 0; x < out_w; x++, d += VKA_CPU_BLOCK)
    {
      gsize x0 = (gsize) (x / 2) * VKA_CPU_BLOCK;
      gsize x1 = (gsize) vka_cpu_bilinear_neighbour (x, in_w) * VKA_CPU_BLOCK;
      for (int l = 0; l < VKA_CPU_BLOCK; l++)
        {
          float top = 0.75f * near[x0 + l] + 0.25f * near[x1 + l];
          float bottom = 0.75f * far[x0 + l] + 0.25f * far[x1 + l];
          d[l] = 0.75f * top + 0.25f * bottom;
        }
    }
}

static gboolean
cpu_upsample2x_bilinear (VkaBackend *backend, VkaTensor *in, VkaTensor *out, GError **error)
{
  gint64 t0 = vka_cpu_profile_start (cpub (backend));
  if (!vka_check_upsample2x (in, out, error))
    return FALSE;
  VkaCpuTensor *ti = vka_cpu_tensor (in), *to = vka_cpu_tensor (out);
  if (!vka_cpu_tensor_set_layout (ti, VKA_CPU_PADDED, TRUE, error)
      || !vka_cpu_tensor_set_layout (to, VKA_CPU_PADDED, FALSE, error))
    return FALSE;
  gsize blocks = (gsize) in->n * vka_cpu_blocks (in->c);
  int ipw = in->w + 2, iph = in->h + 2, opw = out->w + 2, oph = out->h + 2;
#pragma omp parallel for collapse(2) schedule(static)
  for (gsize b = 0; b < blocks; b++)
    for (int y = 0; y < out->h; y++)
      {
        int y0 = y / 2, y1 = vka_cpu_bilinear_neighbour (y, in->h);
        const float *near = ti->data + ((b * iph + y0 + 1) * ipw + 1) * VKA_CPU_BLOCK;
        const float *far = ti->data + ((b * iph + y1 + 1) * ipw + 1) * VKA_CPU_BLOCK;
        bilinear_row (near, far, in->w, out->w,
                      to->data + ((b * oph + y + 1) * opw + 1) * VKA_CPU_BLOCK);
      }
  vka_cpu_fill_border (to);
  vka_cpu_profile_add (cpub (backend), t0, 0, "upsample2x_bilinear");
  return TRUE;
}

/* ---- per-pixel ops: plain layout, the reference's code ---- */

#define PLAIN(t) \
  if (!vka_cpu_tensor_set_layout (vka_cpu_tensor (t), VKA_CPU_PLAIN, TRUE, error)) \
    return FALSE
#define DATA(t) (vka_cpu_tensor (t)->data)

/* AdaIN is an affine map per channel, out = a·x + b (a and b in float, the
 * same for both layouts, so that a map gives the same values whichever
 * layout it was kept in). On a padded map it is applied to the storage as
 * it is (the border's reflection of the result is the map of the border),
 * lanes past the channels left zero: no change of layout either side of
 * it, the decoder's first convolution reads it. */
static inline float
affine (float a, float x, float b)
{
  return a * x + b;
}

/* a and b per plane (n·c of them) */
static void
adain_coefficients (const float *x_stats, const float *target_stats, double alpha, gsize planes,
                    float *a, float *b)
{
  for (gsize p = 0; p < planes; p++)
    {
      double scale = target_stats[2 * p + 1] / x_stats[2 * p + 1];
      a[p] = (float) (alpha * scale + (1.0 - alpha));
      b[p] = (float) (alpha * (target_stats[2 * p] - scale * x_stats[2 * p]));
    }
}

static void
adain_padded (VkaCpuTensor *x, const float *a, const float *b, VkaCpuTensor *out)
{
  const VkaTensor *t = &x->base;
  int blocks = vka_cpu_blocks (t->c);
  gsize lanes = (gsize) t->n * blocks * VKA_CPU_BLOCK;
  g_autofree float *al = g_new0 (float, 2 * lanes);
  float *bl = al + lanes;
  for (int n = 0; n < t->n; n++)
    for (int c = 0; c < t->c; c++)
      {
        gsize l = ((gsize) n * blocks + c / VKA_CPU_BLOCK) * VKA_CPU_BLOCK + c % VKA_CPU_BLOCK;
        al[l] = a[(gsize) n * t->c + c];
        bl[l] = b[(gsize) n * t->c + c];
      }
  gsize block_pixels = (gsize) (t->h + 2) * (t->w + 2);
  int rows = t->n * blocks * (t->h + 2);
#pragma omp parallel for schedule(static)
  for (int r = 0; r < rows; r++)
    {
      gsize blk = (gsize) r / (t->h + 2);
      const float *ab = al + blk * VKA_CPU_BLOCK, *bb = bl + blk * VKA_CPU_BLOCK;
      gsize first = (blk * block_pixels + (gsize) (r % (t->h + 2)) * (t->w + 2)) * VKA_CPU_BLOCK;
      const float *src = x->data + first;
      float *dst = out->data + first;
      for (int i = 0; i < t->w + 2; i++)
        for (int l = 0; l < VKA_CPU_BLOCK; l++)
          dst[i * VKA_CPU_BLOCK + l] = affine (ab[l], src[i * VKA_CPU_BLOCK + l], bb[l]);
    }
}

static void
adain_plain (const float *x, const float *a, const float *b, int planes, gsize pixels,
             float *out)
{
#pragma omp parallel for schedule(static)
  for (int p = 0; p < planes; p++)
    for (gsize i = 0; i < pixels; i++)
      out[(gsize) p * pixels + i] = affine (a[p], x[(gsize) p * pixels + i], b[p]);
}

static gboolean
cpu_adain (VkaBackend *backend, VkaTensor *x, VkaTensor *x_stats, VkaTensor *target_stats,
           float alpha, VkaTensor *out, GError **error)
{
  gint64 t0 = vka_cpu_profile_start (cpub (backend));
  if (!vka_check_adain (x, x_stats, target_stats, out, error))
    return FALSE;
  PLAIN (x_stats);
  PLAIN (target_stats);
  int planes = x->n * x->c;
  g_autofree float *a = g_new (float, 2 * (gsize) planes);
  adain_coefficients (DATA (x_stats), DATA (target_stats), alpha, planes, a, a + planes);
  VkaCpuTensor *tx = vka_cpu_tensor (x), *to = vka_cpu_tensor (out);
  if (tx->layout == VKA_CPU_PADDED && tx->data)
    {
      if (!vka_cpu_tensor_set_layout (to, VKA_CPU_PADDED, FALSE, error))
        return FALSE;
      adain_padded (tx, a, a + planes, to);
    }
  else
    {
      PLAIN (x);
      PLAIN (out);
      adain_plain (DATA (x), a, a + planes, planes, (gsize) x->h * x->w, DATA (out));
    }
  vka_cpu_profile_add (cpub (backend), t0, 0, "adain");
  return TRUE;
}

static gboolean
cpu_image_to_tensor (VkaBackend *backend, VkaTensor *image, int channels, VkaTensor *out,
                     GError **error)
{
  if (!vka_check_image_to_tensor (image, channels, out, error))
    return FALSE;
  PLAIN (image);
  PLAIN (out);
  /* the reference's loop, its rows shared among the threads */
  const float *src = DATA (image);
  float *dst = DATA (out);
  int h = out->h, w = out->w;
  gsize plane = (gsize) h * w;
#pragma omp parallel for schedule(static)
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < 3; c++)
        dst[c * plane + (gsize) y * w + x] = src[((gsize) y * w + x) * channels
                                                 + (channels < 3 ? 0 : c)];
  return TRUE;
}

static gboolean
cpu_tensor_to_image (VkaBackend *backend, VkaTensor *in, int y0, int x0, VkaTensor *image,
                     GError **error)
{
  if (!vka_check_tensor_to_image (in, y0, x0, image, error))
    return FALSE;
  PLAIN (in);
  PLAIN (image);
  /* the reference's loop, its rows shared among the threads */
  const float *src = DATA (in);
  float *dst = DATA (image);
  int th = in->h, tw = in->w, h = image->h, w = image->w / 3;
#pragma omp parallel for schedule(static)
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < 3; c++)
        {
          float v = src[((gsize) c * th + y0 + y) * tw + x0 + x];
          dst[((gsize) y * w + x) * 3 + c] = v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
        }
  return TRUE;
}

static gboolean
cpu_mask_blend (VkaBackend *backend, VkaTensor *a, VkaTensor *b, VkaTensor *mask,
                VkaTensor *out, GError **error)
{
  if (!vka_check_mask_blend (a, b, mask, out, error))
    return FALSE;
  PLAIN (a);
  PLAIN (b);
  PLAIN (mask);
  PLAIN (out);
  vka_ref_mask_blend (DATA (a), DATA (b), DATA (mask), a->n, a->c, (gsize) a->h * a->w,
                      DATA (out));
  return TRUE;
}

static guint64
cpu_max_tensor_bytes (VkaBackend *backend)
{
  /* as on a GPU: a tile's largest activation may take an eighth of memory */
  return MIN (vka_host_memory_bytes () / 8, (guint64) G_MAXINT32 * sizeof (float));
}

/* Activations are stored padded (cpu-private.h): channel blocks of 16 and
 * a one-pixel border. */
static guint64
cpu_tensor_bytes (VkaBackend *backend, int n, int c, int h, int w)
{
  return (guint64) n * ((c + 15) / 16 * 16) * (h + 2) * (w + 2) * sizeof (float);
}

/* conv.c's run_plan: a planar copy of a narrow input; the output written
 * densely and then copied into the padded map (oneDNN 2.x's kernels for
 * 3×3 convolutions do not write into a window of a larger map); and, where
 * Winograd may run, its scratch: the transformed input and output, 36
 * values per 16 pixels each (measured: 420 MiB for 16→16 channels at
 * 1256², and 5–7 MiB on small maps). */
static guint64
cpu_conv_extra_bytes (VkaBackend *backend, int n, int cin, int cout, int h, int w, int k)
{
  if (k != 3 || vka_cpu_narrow_conv_fits (cin, cout))
    return 0;
  guint64 planar = cin < 16 ? (guint64) n * cin * (h + 2) * (w + 2) * sizeof (float) : 0;
  guint64 in = (guint64) n * ((cin + 15) / 16 * 16) * h * w * sizeof (float);
  guint64 dense = (guint64) n * ((cout + 15) / 16 * 16) * h * w * sizeof (float);
  gboolean winograd = vka_cpu_forward_winograd (cpub (backend), cin, cout,
                                                (gint64) n * h * w);
  return planar + dense + (winograd ? (in + dense) * 36 / 16 + ((guint64) 8 << 20) : 0);
}

/* Measured on 12 and 24 MP pictures (bench/RESULTS.md, session 10): tiles
 * whose working set passes about 450 MiB were slower, not faster, though
 * they have less halo: their maps outgrow the caches, and every page of
 * them is faulted in and zeroed once. The memory limit's rest keeps the
 * tiles' features between the two passes. */
static guint64
cpu_max_tile_working_bytes (VkaBackend *backend)
{
  return (guint64) 448 << 20;
}

/* conv.c writes the narrow kernels' few-channel outputs plain */
static guint64
cpu_conv_output_bytes (VkaBackend *backend, int n, int cin, int cout, int h, int w, int k)
{
  if (k == 3 && cout < VKA_CPU_BLOCK && vka_cpu_narrow_conv_fits (cin, cout))
    return (guint64) n * cout * h * w * sizeof (float);
  return cpu_tensor_bytes (backend, n, cout, h, w);
}

static gboolean
cpu_flush (VkaBackend *backend, GError **error)
{
  return TRUE;   /* every op has finished when it returns */
}

gint64
vka_cpu_profile_start (VkaCpuBackend *b)
{
  return b->profile ? g_get_monotonic_time () : 0;
}

void
vka_cpu_profile_add (VkaCpuBackend *b, gint64 start, double flops, const char *format, ...)
{
  if (!b->profile)
    return;
  double ms = (g_get_monotonic_time () - start) / 1e3;
  va_list args;
  va_start (args, format);
  char *key = g_strdup_vprintf (format, args);
  va_end (args);
  VkaCpuProfile *p = g_hash_table_lookup (b->profile, key);
  if (!p)
    g_hash_table_insert (b->profile, key, (p = g_new0 (VkaCpuProfile, 1)));
  else
    g_free (key);
  p->ms += ms;
  p->flops += flops;
  p->calls++;
}

static gint
by_time (gconstpointer a, gconstpointer b, gpointer table)
{
  const VkaCpuProfile *pa = g_hash_table_lookup (table, *(const char **) a);
  const VkaCpuProfile *pb = g_hash_table_lookup (table, *(const char **) b);
  return pa->ms < pb->ms ? 1 : pa->ms > pb->ms ? -1 : 0;
}

static void
profile_print (GHashTable *profile, guint64 peak_bytes, guint64 arena_bytes)
{
  g_autoptr (GPtrArray) keys = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;
  g_hash_table_iter_init (&iter, profile);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (keys, key);
  g_ptr_array_sort_with_data (keys, by_time, profile);
  double total = 0;
  for (guint i = 0; i < keys->len; i++)
    total += ((VkaCpuProfile *) g_hash_table_lookup (profile, keys->pdata[i]))->ms;
  fprintf (stderr, "\nvk-adain cpu profile (%.0f ms in ops; at most %" G_GUINT64_FORMAT
           " MiB held, the arena's top at %" G_GUINT64_FORMAT " MiB)\n%-52s %6s %10s %6s %8s\n",
           total, peak_bytes >> 20, arena_bytes >> 20, "op", "calls", "ms", "%", "GFLOP/s");
  for (guint i = 0; i < keys->len; i++)
    {
      const VkaCpuProfile *p = g_hash_table_lookup (profile, keys->pdata[i]);
      fprintf (stderr, "%-52s %6u %10.1f %6.1f", (const char *) keys->pdata[i], p->calls,
               p->ms, 100 * p->ms / total);
      if (p->flops > 0)
        fprintf (stderr, " %8.1f", p->flops / p->ms / 1e6);
      fprintf (stderr, "\n");
    }
}

/* The bytes tensor writes and reads copied; the CPU submits nothing. */
static void
cpu_transfer_stats (VkaBackend *backend, VkaTransferStats *stats)
{
  *stats = cpub (backend)->copies;
}

static void
cpu_set_reproducible (VkaBackend *backend)
{
  cpub (backend)->reproducible = TRUE;
  /* kernels chosen by timing so far are chosen again, by the rule */
  g_hash_table_remove_all (cpub (backend)->plans);
}

static void
cpu_destroy (VkaBackend *backend)
{
  VkaCpuBackend *b = cpub (backend);
  if (b->profile)
    profile_print (b->profile, b->peak_bytes,
                   b->arena ? vka_cpu_arena_footprint (b->arena) : 0);
  g_clear_pointer (&b->profile, g_hash_table_unref);
  g_clear_pointer (&b->plans, g_hash_table_unref);
  spares_clear (b);
  g_clear_pointer (&b->arena, vka_cpu_arena_free);
  g_clear_pointer (&b->oversized, g_hash_table_unref);
  if (b->stream)
    dnnl_stream_destroy (b->stream);
  if (b->engine)
    dnnl_engine_destroy (b->engine);
  g_free (b);
}

static const VkaBackendOps cpu_ops = {
  .name = "cpu",
  .destroy = cpu_destroy,
  .tensor_new = cpu_tensor_new,
  .tensor_free = cpu_tensor_free,
  .tensor_write = cpu_tensor_write,
  .tensor_read = cpu_tensor_read,
  .conv2d = vka_cpu_conv2d,
  .maxpool2x2 = cpu_maxpool2x2,
  .upsample2x = cpu_upsample2x,
  .upsample2x_bilinear = cpu_upsample2x_bilinear,
  .conv3x3_upsampled = vka_cpu_conv3x3_upsampled,
  .conv3x3_pooled = vka_cpu_conv3x3_pooled,
  .conv3x3_chain = vka_cpu_conv3x3_chain,
  .channel_stats = vka_cpu_channel_stats,
  .channel_moments = vka_cpu_channel_moments,
  .adain = cpu_adain,
  .image_to_tensor = cpu_image_to_tensor,
  .tensor_to_image = cpu_tensor_to_image,
  .mask_blend = cpu_mask_blend,
  .max_tensor_bytes = cpu_max_tensor_bytes,
  .tensor_bytes = cpu_tensor_bytes,
  .conv_extra_bytes = cpu_conv_extra_bytes,
  .conv_output_bytes = cpu_conv_output_bytes,
  .max_tile_working_bytes = cpu_max_tile_working_bytes,
  .peak_bytes = vka_cpu_backend_peak_bytes,
  .reset_peak = vka_cpu_backend_reset_peak,
  .flush = cpu_flush,
  .transfer_stats = cpu_transfer_stats,
  .set_reproducible = cpu_set_reproducible,
  .conv2d_backward_data = vka_cpu_conv2d_backward_data,
  .conv3x3_backward_weight = vka_cpu_conv3x3_backward_weight,
  .conv3x3_backward = vka_cpu_conv3x3_backward,
  .relu_backward = vka_cpu_relu_backward,
  .maxpool2x2_backward = vka_cpu_maxpool2x2_backward,
  .upsample2x_backward = vka_cpu_upsample2x_backward,
  .upsample2x_bilinear_backward = vka_cpu_upsample2x_bilinear_backward,
  .channel_stats_backward = vka_cpu_channel_stats_backward,
  .mse_backward = vka_cpu_mse_backward,
  .add = vka_cpu_add,
  .optimizer_step = vka_cpu_optimizer_step,
};

/* oneDNN here runs on OpenMP (Debian builds it so); its thread count is the
 * OpenMP one, set through libgomp, which libdnnl has already loaded. */
static void
set_threads (int threads)
{
  void (*set) (int) = NULL;
  GModule *self = g_module_open (NULL, G_MODULE_BIND_LAZY);
  if (self && g_module_symbol (self, "omp_set_num_threads", (gpointer *) &set) && set)
    set (threads);
  if (self)
    g_module_close (self);
}

static int
resolve_threads (int threads)
{
  return threads > 0 ? threads : (int) g_get_num_processors ();
}

VkaBackend *
vka_cpu_backend_new (int threads, GError **error)
{
  VkaCpuBackend *b = g_new0 (VkaCpuBackend, 1);
  b->base.ops = &cpu_ops;
  b->threads = resolve_threads (threads);
  const char *limit = g_getenv ("VKA_TEST_ALLOC_LIMIT");
  b->fail_alloc_over = limit ? g_ascii_strtoull (limit, NULL, 10) : 0;
  b->plans = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, vka_cpu_plan_free);
  b->oversized = g_hash_table_new (NULL, NULL);
  if (!g_getenv ("VKA_CPU_ARENA") || !g_str_equal (g_getenv ("VKA_CPU_ARENA"), "0"))
    b->arena = vka_cpu_arena_new ();
  if (g_getenv ("VKA_CPU_PROFILE") && g_str_equal (g_getenv ("VKA_CPU_PROFILE"), "1"))
    b->profile = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  set_threads (b->threads);
  if (!vka_cpu_dnnl_check (dnnl_engine_create (&b->engine, dnnl_cpu, 0),
                           "creating the CPU engine", error)
      || !vka_cpu_dnnl_check (dnnl_stream_create (&b->stream, b->engine,
                                                  dnnl_stream_default_flags),
                              "creating a stream", error))
    {
      cpu_destroy (&b->base);
      return NULL;
    }
  return &b->base;
}

guint64
vka_cpu_backend_peak_bytes (VkaBackend *backend)
{
  return cpub (backend)->peak_bytes;
}

guint64
vka_cpu_backend_reset_peak (VkaBackend *backend)
{
  VkaCpuBackend *b = cpub (backend);
  spares_clear (b);
  if (b->arena)
    vka_cpu_arena_trim (b->arena);
  b->peak_bytes = b->bytes_allocated;
  return b->bytes_allocated;
}

void
vka_cpu_backend_profile_reset (VkaBackend *backend)
{
  if (cpub (backend)->profile)
    g_hash_table_remove_all (cpub (backend)->profile);
}

static const char *
isa_name (dnnl_cpu_isa_t isa)
{
  switch ((int) isa)
    {
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    default: return "native";
    }
}

VkaDeviceInfo *
vka_cpu_device_info (int threads)
{
  const dnnl_version_t *v = dnnl_version ();
  threads = resolve_threads (threads);
  VkaDeviceInfo *info = g_new0 (VkaDeviceInfo, 1);
  info->name = g_strdup_printf ("CPU (oneDNN %d.%d.%d, %d thread%s, %s)", v->major,
                                v->minor, v->patch, threads, threads == 1 ? "" : "s",
                                isa_name (dnnl_get_effective_cpu_isa ()));
  info->type = VKA_DEVICE_CPU;
  info->driver = g_strdup_printf ("vk-adain CPU backend, oneDNN %d.%d.%d", v->major,
                                  v->minor, v->patch);
  info->memory_bytes = vka_host_memory_bytes ();
  return info;
}
