/* backend.c — shape checks every backend shares, ops made of others, reads
 * in two steps, and the host's memory. */
#include "backend.h"

#include <string.h>
#include <unistd.h>

guint64
vka_host_memory_bytes (void)
{
  long pages = sysconf (_SC_PHYS_PAGES), size = sysconf (_SC_PAGESIZE);
  return pages > 0 && size > 0 ? (guint64) pages * (guint64) size : (guint64) 8 << 30;
}

guint64
vka_tensor_bytes (VkaBackend *b, int n, int c, int h, int w)
{
  if (b->ops->tensor_bytes)
    return b->ops->tensor_bytes (b, n, c, h, w);
  return (guint64) n * c * h * w * sizeof (float);
}

gboolean
vka_tensor_read_begin (VkaTensor *tensor, VkaTensorRead *read, GError **error)
{
  const VkaBackendOps *ops = tensor->backend->ops;
  read->tensor = tensor;
  read->pending = NULL;
  if (!ops->read_begin)
    return TRUE;
  read->pending = ops->read_begin (tensor, error);
  if (!read->pending)
    read->tensor = NULL;
  return read->pending != NULL;
}

gboolean
vka_tensor_read_end (VkaTensorRead *read, float *dst, GError **error)
{
  VkaTensor *tensor = g_steal_pointer (&read->tensor);
  VkaPendingRead *pending = g_steal_pointer (&read->pending);
  if (pending)
    return tensor->backend->ops->read_end (pending, dst, error);
  return !tensor || !dst || tensor->backend->ops->tensor_read (tensor, dst, error);
}

guint64
vka_host_available_bytes (void)
{
  g_autofree char *meminfo = NULL;
  if (g_file_get_contents ("/proc/meminfo", &meminfo, NULL, NULL))
    {
      const char *line = strstr (meminfo, "MemAvailable:");
      guint64 kib = line ? g_ascii_strtoull (line + strlen ("MemAvailable:"), NULL, 10) : 0;
      if (kib > 0)
        return kib << 10;
    }
  return vka_host_memory_bytes () / 8;
}

gboolean
vka_check_shape (const char *op, const char *what, VkaTensor *t,
                 int n, int c, int h, int w, GError **error)
{
  if (t->n == n && t->c == c && t->h == h && t->w == w)
    return TRUE;
  g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
               "%s: %s is %d×%d×%d×%d, expected %d×%d×%d×%d",
               op, what, t->n, t->c, t->h, t->w, n, c, h, w);
  return FALSE;
}

gboolean
vka_check_same_shape (const char *op, VkaTensor *a, VkaTensor *b, GError **error)
{
  return vka_check_shape (op, "output", b, a->n, a->c, a->h, a->w, error);
}

gboolean
vka_check_conv (VkaTensor *in, VkaTensor *weight, VkaTensor *bias,
                VkaTensor *out, int *kernel_out, GError **error)
{
  int k = weight->h;
  if ((k != 1 && k != 3) || weight->w != k)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                   "conv2d: kernel %d×%d is not supported (1×1 or 3×3)",
                   weight->h, weight->w);
      return FALSE;
    }
  if (!vka_check_shape ("conv2d", "weight", weight, weight->n, in->c, k, k, error)
      || !vka_check_shape ("conv2d", "bias", bias, 1, weight->n, 1, 1, error)
      || !vka_check_shape ("conv2d", "output", out, in->n, weight->n, in->h, in->w, error))
    return FALSE;
  *kernel_out = k;
  return TRUE;
}

gboolean
vka_check_conv3x3_upsampled (VkaTensor *in, VkaTensor *weight, VkaTensor *bias,
                             VkaTensor *out, GError **error)
{
  if (weight->h != 3 || weight->w != 3)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                   "conv3x3_upsampled: kernel %d×%d is not 3×3", weight->h, weight->w);
      return FALSE;
    }
  return vka_check_shape ("conv3x3_upsampled", "weight", weight, weight->n, in->c, 3, 3,
                          error)
      && vka_check_shape ("conv3x3_upsampled", "bias", bias, 1, weight->n, 1, 1, error)
      && vka_check_shape ("conv3x3_upsampled", "output", out, in->n, weight->n, in->h * 2,
                          in->w * 2, error);
}

gboolean
vka_check_conv3x3_chain (VkaTensor *in, const VkaChainConv *convs, int n_convs,
                         gboolean upsampled, gboolean pooled, VkaTensor *out, GError **error)
{
  if (n_convs < 1 || (upsampled && pooled))
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                   "conv3x3_chain: %d convolutions%s", n_convs,
                   upsampled && pooled ? ", upsampled and pooled" : "");
      return FALSE;
    }
  int c = in->c, h = upsampled ? 2 * in->h : in->h, w = upsampled ? 2 * in->w : in->w;
  for (int k = 0; k < n_convs; k++)
    {
      VkaTensor *weight = convs[k].weight;
      if (!vka_check_shape ("conv3x3_chain", "weight", weight, weight->n, c, 3, 3, error)
          || !vka_check_shape ("conv3x3_chain", "bias", convs[k].bias, 1, weight->n, 1, 1,
                               error))
        return FALSE;
      c = weight->n;
    }
  if (pooled)
    h = (h + 1) / 2, w = (w + 1) / 2;
  return vka_check_shape ("conv3x3_chain", "output", out, in->n, c, h, w, error);
}

gboolean
vka_conv3x3_chain_composed (VkaBackend *b, VkaTensor *in, const VkaChainConv *convs,
                            int n_convs, gboolean upsampled, gboolean pooled, VkaTensor *out,
                            GError **error)
{
  if (!vka_check_conv3x3_chain (in, convs, n_convs, upsampled, pooled, out, error))
    return FALSE;
  g_autoptr (VkaTensor) x = NULL;
  for (int k = 0; k < n_convs; k++)
    {
      const VkaChainConv *cv = &convs[k];
      VkaTensor *src = x ? x : in;
      gboolean last = k == n_convs - 1, up = upsampled && k == 0;
      int h = up ? 2 * src->h : src->h, w = up ? 2 * src->w : src->w;
      g_autoptr (VkaTensor) y = last ? NULL : vka_tensor_new (b, in->n, cv->weight->n, h, w,
                                                              error);
      VkaTensor *dst = last ? out : y;
      if (!dst)
        return FALSE;
      gboolean ok = up ? vka_conv3x3_upsampled (b, src, cv->weight, cv->bias, cv->relu, dst,
                                                error)
                  : last && pooled ? vka_conv3x3_pooled (b, src, cv->weight, cv->bias,
                                                         cv->relu, dst, error)
                  : b->ops->conv2d (b, src, cv->weight, cv->bias, cv->relu, dst, error);
      if (!ok)
        return FALSE;
      g_clear_pointer (&x, vka_tensor_free);
      x = g_steal_pointer (&y);
    }
  return TRUE;
}

guint64
vka_conv3x3_chain_row_bytes (int n, int channels, int conv_w)
{
  return (guint64) n * 6 * ((channels + 15) / 16 * 16) * (conv_w + 2) * sizeof (float);
}

guint64
vka_conv3x3_chain_scratch_bytes (int n, int channels, int conv_h, int conv_w)
{
  return MIN (VKA_CONV_CHAIN_SCRATCH_BYTES,
              (guint64) (conv_h + 2) * vka_conv3x3_chain_row_bytes (n, channels, conv_w));
}

gboolean
vka_conv3x3_chain (VkaBackend *b, VkaTensor *in, const VkaChainConv *convs, int n_convs,
                   gboolean upsampled, gboolean pooled, VkaTensor *out, GError **error)
{
  if (b->ops->conv3x3_chain)
    return b->ops->conv3x3_chain (b, in, convs, n_convs, upsampled, pooled, out, error);
  return vka_conv3x3_chain_composed (b, in, convs, n_convs, upsampled, pooled, out, error);
}

gboolean
vka_conv3x3_upsampled_composed (VkaBackend *b, VkaTensor *in, VkaTensor *weight,
                                VkaTensor *bias, gboolean relu, VkaTensor *out,
                                GError **error)
{
  if (!vka_check_conv3x3_upsampled (in, weight, bias, out, error))
    return FALSE;
  g_autoptr (VkaTensor) up = vka_tensor_new (b, in->n, in->c, in->h * 2, in->w * 2, error);
  return up && b->ops->upsample2x (b, in, up, error)
      && b->ops->conv2d (b, up, weight, bias, relu, out, error);
}

gboolean
vka_conv3x3_upsampled (VkaBackend *b, VkaTensor *in, VkaTensor *weight, VkaTensor *bias,
                       gboolean relu, VkaTensor *out, GError **error)
{
  if (b->ops->conv3x3_upsampled)
    return b->ops->conv3x3_upsampled (b, in, weight, bias, relu, out, error);
  return vka_conv3x3_upsampled_composed (b, in, weight, bias, relu, out, error);
}

gboolean
vka_conv3x3_pooled_composed (VkaBackend *b, VkaTensor *in, VkaTensor *weight,
                             VkaTensor *bias, gboolean relu, VkaTensor *out, GError **error)
{
  g_autoptr (VkaTensor) full = vka_tensor_new (b, in->n, weight->n, in->h, in->w, error);
  return full && b->ops->conv2d (b, in, weight, bias, relu, full, error)
         && b->ops->maxpool2x2 (b, full, out, error);
}

gboolean
vka_conv3x3_pooled (VkaBackend *b, VkaTensor *in, VkaTensor *weight, VkaTensor *bias,
                    gboolean relu, VkaTensor *out, GError **error)
{
  if (b->ops->conv3x3_pooled)
    return b->ops->conv3x3_pooled (b, in, weight, bias, relu, out, error);
  return vka_conv3x3_pooled_composed (b, in, weight, bias, relu, out, error);
}

gboolean
vka_check_maxpool2x2 (VkaTensor *in, VkaTensor *out, GError **error)
{
  return vka_check_shape ("maxpool2x2", "output", out, in->n, in->c,
                          (in->h + 1) / 2, (in->w + 1) / 2, error);
}

gboolean
vka_check_upsample2x (VkaTensor *in, VkaTensor *out, GError **error)
{
  return vka_check_shape ("upsample2x", "output", out, in->n, in->c,
                          in->h * 2, in->w * 2, error);
}

gboolean
vka_check_channel_stats (VkaTensor *in, VkaTensor *stats, GError **error)
{
  return vka_check_shape ("channel_stats", "stats", stats, in->n, in->c, 1, 2, error);
}

gboolean
vka_check_channel_moments (VkaTensor *in, int y0, int x0, int h, int w, VkaTensor *moments,
                           GError **error)
{
  if (y0 < 0 || x0 < 0 || h < 1 || w < 1 || in->h - y0 < h || in->w - x0 < w)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                   "channel_moments: the window of %d×%d at (%d, %d) is not inside a "
                   "%d×%d map", w, h, x0, y0, in->w, in->h);
      return FALSE;
    }
  return vka_check_shape ("channel_moments", "moments", moments, in->n, in->c, 1, 2, error);
}

gboolean
vka_check_adain (VkaTensor *x, VkaTensor *x_stats, VkaTensor *target_stats,
                 VkaTensor *out, GError **error)
{
  return vka_check_shape ("adain", "content stats", x_stats, x->n, x->c, 1, 2, error)
      && vka_check_shape ("adain", "target stats", target_stats, x->n, x->c, 1, 2, error)
      && vka_check_same_shape ("adain", x, out, error);
}

gboolean
vka_check_image_to_tensor (VkaTensor *image, int channels, VkaTensor *out,
                           GError **error)
{
  if (channels < 1 || channels > 4)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                   "image_to_tensor: images have 1 to 4 channels, not %d", channels);
      return FALSE;
    }
  return vka_check_shape ("image_to_tensor", "output", out, 1, 3, out->h, out->w, error)
      && vka_check_shape ("image_to_tensor", "image", image, 1, 1, out->h,
                          out->w * channels, error);
}

gboolean
vka_check_tensor_to_image (VkaTensor *in, int y0, int x0, VkaTensor *image,
                           GError **error)
{
  if (image->n != 1 || image->c != 1 || image->w % 3 != 0 || in->n != 1 || in->c != 3
      || y0 < 0 || x0 < 0 || in->h - y0 < image->h || in->w - x0 < image->w / 3)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                   "tensor_to_image: cannot crop a %d×%d RGB image at (%d, %d) out of "
                   "%d×%d×%d×%d", image->w / 3, image->h, x0, y0,
                   in->n, in->c, in->h, in->w);
      return FALSE;
    }
  return TRUE;
}

gboolean
vka_check_mask_blend (VkaTensor *a, VkaTensor *b, VkaTensor *mask, VkaTensor *out,
                      GError **error)
{
  return vka_check_shape ("mask_blend", "b", b, a->n, a->c, a->h, a->w, error)
      && vka_check_shape ("mask_blend", "mask", mask, a->n, 1, a->h, a->w, error)
      && vka_check_same_shape ("mask_blend", a, out, error);
}

gboolean
vka_check_conv2d_backward_data (VkaTensor *dout, VkaTensor *weight, VkaTensor *din,
                                GError **error)
{
  int k = weight->h;
  if (k != 1 && k != 3)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                   "conv2d_backward_data: kernel %d×%d is not supported", k, weight->w);
      return FALSE;
    }
  return vka_check_shape ("conv2d_backward_data", "weight", weight, dout->c, din->c, k, k,
                          error)
      && vka_check_shape ("conv2d_backward_data", "input gradient", din, dout->n, din->c,
                          dout->h, dout->w, error);
}

gboolean
vka_check_conv3x3_backward_weight (VkaTensor *in, VkaTensor *dout, VkaTensor *dweight,
                                   VkaTensor *dbias, GError **error)
{
  return vka_check_shape ("conv3x3_backward_weight", "output gradient", dout, in->n,
                          dout->c, in->h, in->w, error)
      && vka_check_shape ("conv3x3_backward_weight", "weight gradient", dweight, dout->c,
                          in->c, 3, 3, error)
      && vka_check_shape ("conv3x3_backward_weight", "bias gradient", dbias, 1, dout->c,
                          1, 1, error);
}

gboolean
vka_check_optimizer_step (VkaTensor *param, VkaTensor *grad, VkaTensor *m, VkaTensor *v,
                          GError **error)
{
  return vka_check_same_shape ("optimizer_step", param, grad, error)
      && vka_check_same_shape ("optimizer_step", param, m, error)
      && vka_check_same_shape ("optimizer_step", param, v, error);
}

gboolean
vka_check_conv3x3_backward (VkaTensor *x, VkaTensor *y, VkaTensor *dy, VkaTensor *weight,
                            VkaTensor *dweight, VkaTensor *dbias, VkaTensor *din,
                            GError **error)
{
  if (weight->h != 3 || weight->w != 3 || (!dweight != !dbias))
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                   "conv3x3_backward: a 3×3 weight and both or neither parameter "
                   "gradients are needed");
      return FALSE;
    }
  return vka_check_shape ("conv3x3_backward", "output gradient", dy, x->n, weight->n, x->h,
                          x->w, error)
      && vka_check_shape ("conv3x3_backward", "weight", weight, dy->c, x->c, 3, 3, error)
      && (!y || vka_check_same_shape ("conv3x3_backward", y, dy, error))
      && (!dweight || vka_check_conv3x3_backward_weight (x, dy, dweight, dbias, error))
      && (!din || vka_check_same_shape ("conv3x3_backward", x, din, error));
}

gboolean
vka_check_tensor_dims (int n, int c, int h, int w, GError **error)
{
  if (n > 0 && c > 0 && h > 0 && w > 0)
    return TRUE;
  g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
               "tensor shape %d×%d×%d×%d has an empty dimension", n, c, h, w);
  return FALSE;
}
