/* tensor.c — the Vulkan backend's tensors: float32 NCHW in a device
 * buffer (with guard words around it in tests), and the weights' packed
 * forms, dropped when the values change. */
#include "tensor.h"
#include "vulkan-backend.h"

VkaTensor *
vka_vk_tensor_new (VkaBackend *backend, int n, int c, int h, int w, GError **error)
{
  VkaVkBackend *b = vka_vk_backend (backend);
  if (!vka_check_tensor_dims (n, c, h, w, error))
    return NULL;
  guint64 numel = (guint64) n * (guint64) c * (guint64) h * (guint64) w;
  if (numel > G_MAXINT32)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_TOO_LARGE,
                   "a %d×%d×%d×%d tensor has more than 2^31 elements", n, c, h, w);
      return NULL;
    }
  VkaVkTensor *t = g_new0 (VkaVkTensor, 1);
  t->base = (VkaTensor) { backend, n, c, h, w };
  if (!vka_vk_buffer_alloc (b, numel * sizeof (float), b->guards, &t->buf, error))
    {
      g_free (t);
      return NULL;
    }
  return &t->base;
}

void
vka_vk_tensor_release_packed (VkaTensor *tensor)
{
  VkaVkBackend *b = vka_vk_backend (tensor->backend);
  vka_vk_buffer_release (b, &vka_vk_tensor (tensor)->packed);
  vka_vk_buffer_release (b, &vka_vk_tensor (tensor)->packed_backward);
}

void
vka_vk_tensor_free (VkaTensor *tensor)
{
  vka_vk_buffer_release (vka_vk_backend (tensor->backend), vka_vk_buf (tensor));
  vka_vk_tensor_release_packed (tensor);
  g_free (tensor);
}

gboolean
vka_vk_tensor_write (VkaTensor *tensor, const float *src, GError **error)
{
  VkaVkBuffer *buf = vka_vk_buf (tensor);
  vka_vk_tensor_release_packed (tensor);
  return vka_vk_buffer_write (vka_vk_backend (tensor->backend), buf, buf->offset,
                              buf->bytes, src, error);
}

gboolean
vka_vk_tensor_read (VkaTensor *tensor, float *dst, GError **error)
{
  VkaVkBuffer *buf = vka_vk_buf (tensor);
  return vka_vk_buffer_read (vka_vk_backend (tensor->backend), buf, buf->offset,
                             buf->bytes, dst, error);
}

VkaPendingRead *
vka_vk_tensor_read_begin (VkaTensor *tensor, GError **error)
{
  VkaVkBuffer *buf = vka_vk_buf (tensor);
  return vka_vk_read_begin (vka_vk_backend (tensor->backend), buf, buf->offset, buf->bytes,
                            error);
}

gboolean
vka_vk_tensor_read_end (VkaPendingRead *read, float *dst, GError **error)
{
  return vka_vk_read_end (read, dst, error);
}

gboolean
vka_vk_tensor_check_guards (VkaTensor *tensor, GError **error)
{
  VkaVkBackend *b = vka_vk_backend (tensor->backend);
  VkaVkBuffer *buf = vka_vk_buf (tensor);
  if (!b->guards)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                   "the backend was made without guard words");
      return FALSE;
    }
  if (!vka_vk_flush (tensor->backend, error))
    return FALSE;
  VkDeviceSize tail = buf->offset + ((buf->bytes + 3) & ~(VkDeviceSize) 3);
  const guint32 *words = buf->mapped;
  for (VkDeviceSize i = 0; i < buf->total / 4; i++)
    {
      if (i * 4 >= buf->offset && i * 4 < tail)
        continue;
      if (words[i] != VKA_VK_GUARD_WORD)
        {
          g_set_error (error, VKA_ERROR, VKA_ERROR_DEVICE,
                       "guard word at byte %" G_GINT64_FORMAT " of a %d×%d×%d×%d "
                       "tensor was overwritten (0x%08x)",
                       (gint64) (i * 4) - (gint64) buf->offset,
                       tensor->n, tensor->c, tensor->h, tensor->w, words[i]);
          return FALSE;
        }
    }
  return TRUE;
}
