/* backend-impl.h — the reference ops behind the backend interface: host
 * tensors, immediate execution. Slow on purpose: it is the oracle. Written
 * once over REAL: ref-backend.c (float, the oracle of the op tests) and
 * ref64-backend.c (double, for finite-difference checks of whole passes).
 * Needs REAL, P (the reference ops' prefix), NAME (the backend's name) and
 * CONSTRUCTOR defined. */
#include "backend.h"
#include "reference.h"

#include <string.h>

#define OPS_(p, name) p##name
#define OPS(p, name) OPS_ (p, name)

typedef struct
{
  VkaTensor base;
  REAL     *data;
} RefTensor;

static REAL *
data_of (VkaTensor *t)
{
  return ((RefTensor *) t)->data;
}

static void
ref_destroy (VkaBackend *backend)
{
  g_free (backend);
}

static VkaTensor *
ref_tensor_new (VkaBackend *backend, int n, int c, int h, int w, GError **error)
{
  if (!vka_check_tensor_dims (n, c, h, w, error))
    return NULL;
  gsize numel = (gsize) n * c * h * w;
  RefTensor *t = g_new0 (RefTensor, 1);
  t->base = (VkaTensor) { backend, n, c, h, w };
  t->data = g_try_malloc0_n (numel, sizeof (REAL));
  if (!t->data)
    {
      g_free (t);
      g_set_error (error, VKA_ERROR, VKA_ERROR_OUT_OF_MEMORY,
                   "cannot allocate %" G_GSIZE_FORMAT " MiB for a %d×%d×%d×%d tensor",
                   numel * sizeof (REAL) >> 20, n, c, h, w);
      return NULL;
    }
  return &t->base;
}

static void
ref_tensor_free (VkaTensor *tensor)
{
  g_free (data_of (tensor));
  g_free (tensor);
}

static gboolean
ref_tensor_write (VkaTensor *tensor, const float *src, GError **error)
{
  REAL *dst = data_of (tensor);
  for (gsize i = 0; i < vka_tensor_numel (tensor); i++)
    dst[i] = src[i];
  return TRUE;
}

static gboolean
ref_tensor_read (VkaTensor *tensor, float *dst, GError **error)
{
  const REAL *src = data_of (tensor);
  for (gsize i = 0; i < vka_tensor_numel (tensor); i++)
    dst[i] = (float) src[i];
  return TRUE;
}

static gboolean
ref_conv2d (VkaBackend *backend, VkaTensor *in, VkaTensor *weight, VkaTensor *bias,
            gboolean relu, VkaTensor *out, GError **error)
{
  int k;
  if (!vka_check_conv (in, weight, bias, out, &k, error))
    return FALSE;
  OPS (P, conv2d) (data_of (in), in->n, in->c, in->h, in->w, data_of (weight),
                  data_of (bias), weight->n, k, relu, data_of (out));
  return TRUE;
}

static gboolean
ref_maxpool2x2 (VkaBackend *backend, VkaTensor *in, VkaTensor *out, GError **error)
{
  if (!vka_check_maxpool2x2 (in, out, error))
    return FALSE;
  OPS (P, maxpool2x2) (data_of (in), in->n * in->c, in->h, in->w, data_of (out));
  return TRUE;
}

static gboolean
ref_upsample2x (VkaBackend *backend, VkaTensor *in, VkaTensor *out, GError **error)
{
  if (!vka_check_upsample2x (in, out, error))
    return FALSE;
  OPS (P, upsample2x) (data_of (in), in->n * in->c, in->h, in->w, data_of (out));
  return TRUE;
}

static gboolean
ref_upsample2x_bilinear (VkaBackend *backend, VkaTensor *in, VkaTensor *out, GError **error)
{
  if (!vka_check_upsample2x (in, out, error))
    return FALSE;
  OPS (P, upsample2x_bilinear) (data_of (in), in->n * in->c, in->h, in->w, data_of (out));
  return TRUE;
}

static gboolean
ref_channel_stats (VkaBackend *backend, VkaTensor *in, VkaTensor *stats, GError **error)
{
  if (!vka_check_channel_stats (in, stats, error))
    return FALSE;
  OPS (P, channel_stats) (data_of (in), in->n * in->c, (gsize) in->h * in->w,
                         data_of (stats));
  return TRUE;
}

static gboolean
ref_channel_moments (VkaBackend *backend, VkaTensor *in, int y0, int x0, int h, int w,
                     VkaTensor *moments, GError **error)
{
  if (!vka_check_channel_moments (in, y0, x0, h, w, moments, error))
    return FALSE;
  OPS (P, channel_moments) (data_of (in), in->n * in->c, in->h, in->w, y0, x0, h, w,
                           data_of (moments));
  return TRUE;
}

static gboolean
ref_adain (VkaBackend *backend, VkaTensor *x, VkaTensor *x_stats,
           VkaTensor *target_stats, float alpha, VkaTensor *out, GError **error)
{
  if (!vka_check_adain (x, x_stats, target_stats, out, error))
    return FALSE;
  OPS (P, adain) (data_of (x), data_of (x_stats), data_of (target_stats),
                 x->n * x->c, (gsize) x->h * x->w, alpha, data_of (out));
  return TRUE;
}

static gboolean
ref_image_to_tensor (VkaBackend *backend, VkaTensor *image, int channels,
                     VkaTensor *out, GError **error)
{
  if (!vka_check_image_to_tensor (image, channels, out, error))
    return FALSE;
  OPS (P, image_to_tensor) (data_of (image), out->h, out->w, channels, data_of (out));
  return TRUE;
}

static gboolean
ref_tensor_to_image (VkaBackend *backend, VkaTensor *in, int y0, int x0,
                     VkaTensor *image, GError **error)
{
  if (!vka_check_tensor_to_image (in, y0, x0, image, error))
    return FALSE;
  OPS (P, tensor_to_image) (data_of (in), in->h, in->w, y0, x0, image->h, image->w / 3,
                           data_of (image));
  return TRUE;
}

static gboolean
ref_mask_blend (VkaBackend *backend, VkaTensor *a, VkaTensor *b, VkaTensor *mask,
                VkaTensor *out, GError **error)
{
  if (!vka_check_mask_blend (a, b, mask, out, error))
    return FALSE;
  OPS (P, mask_blend) (data_of (a), data_of (b), data_of (mask), a->n, a->c,
                      (gsize) a->h * a->w, data_of (out));
  return TRUE;
}

static guint64
ref_max_tensor_bytes (VkaBackend *backend)
{
  return G_MAXINT32 * (guint64) sizeof (REAL);
}

/* ---- training ops ---- */

static gboolean
ref_conv2d_backward_data (VkaBackend *backend, VkaTensor *dout, VkaTensor *weight,
                          VkaTensor *din, GError **error)
{
  if (!vka_check_conv2d_backward_data (dout, weight, din, error))
    return FALSE;
  OPS (P, conv2d_backward_data) (data_of (dout), dout->n, dout->c, dout->h, dout->w,
                                data_of (weight), din->c, weight->h, data_of (din));
  return TRUE;
}

static gboolean
ref_conv3x3_backward_weight (VkaBackend *backend, VkaTensor *in, VkaTensor *dout,
                             VkaTensor *dweight, VkaTensor *dbias, GError **error)
{
  if (!vka_check_conv3x3_backward_weight (in, dout, dweight, dbias, error))
    return FALSE;
  OPS (P, conv2d_backward_weight) (data_of (in), data_of (dout), in->n, in->c, in->h, in->w,
                                  dout->c, 3, data_of (dweight), data_of (dbias));
  return TRUE;
}

static gboolean
ref_relu_backward (VkaBackend *backend, VkaTensor *y, VkaTensor *dy, VkaTensor *dx,
                   GError **error)
{
  if (!vka_check_same_shape ("relu_backward", y, dy, error)
      || !vka_check_same_shape ("relu_backward", y, dx, error))
    return FALSE;
  OPS (P, relu_backward) (data_of (y), data_of (dy), vka_tensor_numel (y), data_of (dx));
  return TRUE;
}

static gboolean
ref_maxpool2x2_backward (VkaBackend *backend, VkaTensor *in, VkaTensor *dout,
                         VkaTensor *din, GError **error)
{
  if (!vka_check_maxpool2x2 (in, dout, error)
      || !vka_check_same_shape ("maxpool2x2_backward", in, din, error))
    return FALSE;
  OPS (P, maxpool2x2_backward) (data_of (in), in->n * in->c, in->h, in->w, data_of (dout),
                               data_of (din));
  return TRUE;
}

static gboolean
ref_upsample2x_backward (VkaBackend *backend, VkaTensor *dout, VkaTensor *din,
                         GError **error)
{
  if (!vka_check_upsample2x (din, dout, error))
    return FALSE;
  OPS (P, upsample2x_backward) (data_of (dout), din->n * din->c, din->h, din->w,
                               data_of (din));
  return TRUE;
}

static gboolean
ref_upsample2x_bilinear_backward (VkaBackend *backend, VkaTensor *dout, VkaTensor *din,
                                  GError **error)
{
  if (!vka_check_upsample2x (din, dout, error))
    return FALSE;
  OPS (P, upsample2x_bilinear_backward) (data_of (dout), din->n * din->c, din->h, din->w,
                                        data_of (din));
  return TRUE;
}

static gboolean
ref_channel_stats_backward (VkaBackend *backend, VkaTensor *in, VkaTensor *stats,
                            VkaTensor *dstats, VkaTensor *din, GError **error)
{
  if (!vka_check_channel_stats (in, stats, error)
      || !vka_check_channel_stats (in, dstats, error)
      || !vka_check_same_shape ("channel_stats_backward", in, din, error))
    return FALSE;
  OPS (P, channel_stats_backward) (data_of (in), in->n * in->c, (gsize) in->h * in->w,
                                  data_of (stats), data_of (dstats), data_of (din));
  return TRUE;
}

static gboolean
ref_mse_backward (VkaBackend *backend, VkaTensor *a, VkaTensor *b, float scale,
                  VkaTensor *da, GError **error)
{
  if (!vka_check_same_shape ("mse_backward", a, b, error)
      || !vka_check_same_shape ("mse_backward", a, da, error))
    return FALSE;
  OPS (P, mse_backward) (data_of (a), data_of (b), vka_tensor_numel (a), scale, data_of (da));
  return TRUE;
}

static gboolean
ref_add (VkaBackend *backend, VkaTensor *a, VkaTensor *b, VkaTensor *out, GError **error)
{
  if (!vka_check_same_shape ("add", a, b, error) || !vka_check_same_shape ("add", a, out, error))
    return FALSE;
  OPS (P, add) (data_of (a), data_of (b), vka_tensor_numel (a), data_of (out));
  return TRUE;
}

static gboolean
ref_optimizer_step (VkaBackend *backend, VkaTensor *param, VkaTensor *grad, VkaTensor *m,
                    VkaTensor *v, const VkaOptimizer *opt, int step, GError **error)
{
  if (!vka_check_optimizer_step (param, grad, m, v, error))
    return FALSE;
  OPS (P, optimizer_step) (data_of (param), data_of (grad), data_of (m), data_of (v),
                          vka_tensor_numel (param), opt->sgd, opt->lr, opt->beta1,
                          opt->beta2, opt->eps, step);
  return TRUE;
}

static gboolean
ref_flush (VkaBackend *backend, GError **error)
{
  return TRUE;
}

static const VkaBackendOps reference_ops = {
  .name = NAME,
  .destroy = ref_destroy,
  .tensor_new = ref_tensor_new,
  .tensor_free = ref_tensor_free,
  .tensor_write = ref_tensor_write,
  .tensor_read = ref_tensor_read,
  .conv2d = ref_conv2d,
  .maxpool2x2 = ref_maxpool2x2,
  .upsample2x = ref_upsample2x,
  .upsample2x_bilinear = ref_upsample2x_bilinear,
  .channel_stats = ref_channel_stats,
  .channel_moments = ref_channel_moments,
  .adain = ref_adain,
  .image_to_tensor = ref_image_to_tensor,
  .tensor_to_image = ref_tensor_to_image,
  .mask_blend = ref_mask_blend,
  .max_tensor_bytes = ref_max_tensor_bytes,
  .conv2d_backward_data = ref_conv2d_backward_data,
  .conv3x3_backward_weight = ref_conv3x3_backward_weight,
  .relu_backward = ref_relu_backward,
  .maxpool2x2_backward = ref_maxpool2x2_backward,
  .upsample2x_backward = ref_upsample2x_backward,
  .upsample2x_bilinear_backward = ref_upsample2x_bilinear_backward,
  .channel_stats_backward = ref_channel_stats_backward,
  .mse_backward = ref_mse_backward,
  .add = ref_add,
  .optimizer_step = ref_optimizer_step,
  .flush = ref_flush,
};

VkaBackend *
CONSTRUCTOR (void)
{
  VkaBackend *backend = g_new0 (VkaBackend, 1);
  backend->ops = &reference_ops;
  return backend;
}
