/* memory.c — buffers as the ops ask for them: within the device's limits,
 * with guard words around them (tests), taken from the pool (pool.c) and,
 * when memory runs out, again once the pool is emptied; and host reads and
 * writes, mapped directly when host-visible and cached, staged otherwise,
 * the staged copies recorded with the ops so that they add no submission. */
#include "vk-private.h"

#include <string.h>

/* Guard words by the device, in command order: the buffer's old owner may
 * still have recorded commands on it. */
static gboolean
fill_guards_recorded (VkaVkBackend *b, VkaVkBuffer *buf, GError **error)
{
  if (!vka_vk_begin (b, error))
    return FALSE;
  VkDeviceSize tail = buf->offset + ((buf->bytes + 3) & ~(VkDeviceSize) 3);
  VkMemoryBarrier before = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
    .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
    .dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
  };
  VkMemoryBarrier after = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
    .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
    .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT,
  };
  b->vk->CmdPipelineBarrier (b->cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                             VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1, &before, 0, NULL, 0,
                             NULL);
  b->vk->CmdFillBuffer (b->cmd, buf->buffer, 0, buf->offset, VKA_VK_GUARD_WORD);
  if (buf->total > tail)
    b->vk->CmdFillBuffer (b->cmd, buf->buffer, tail, buf->total - tail, VKA_VK_GUARD_WORD);
  b->vk->CmdPipelineBarrier (b->cmd, VK_PIPELINE_STAGE_TRANSFER_BIT,
                             VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1, &after, 0, NULL,
                             0, NULL);
  buf->used_in = b->serial;
  return TRUE;
}

static void
fill_guards (VkaVkBuffer *buf)
{
  guint32 *words = buf->mapped;
  gsize n = VKA_VK_GUARD_BYTES / 4;
  guint32 *tail = (guint32 *) ((char *) buf->mapped + buf->offset + buf->bytes);
  gsize n_tail = (buf->total - buf->offset - buf->bytes) / 4;
  for (gsize i = 0; i < n; i++)
    words[i] = VKA_VK_GUARD_WORD;
  for (gsize i = 0; i < n_tail; i++)
    tail[i] = VKA_VK_GUARD_WORD;
}

/* vka_vk_pool_alloc, and when memory runs out with buffers in the pool,
 * again once the pool is emptied. */
static gboolean
alloc_buffer (VkaVkBackend *b, VkDeviceSize size, VkaVkBufferUse use, VkaVkBuffer *buf,
              GError **error)
{
  g_autoptr (GError) local = NULL;
  if (vka_vk_pool_alloc (b, size, use, buf, &local))
    return TRUE;
  gboolean spare = (b->pool && b->pool->len > 0) || b->completed < b->serial;
  if (spare && g_error_matches (local, VKA_ERROR, VKA_ERROR_OUT_OF_MEMORY))
    {
      /* run what is recorded and wait for what is queued, so that every
       * released buffer is in the pool and none is busy */
      if (!vka_vk_flush (&b->base, error))
        return FALSE;
      vka_vk_pool_drain (b);
      return vka_vk_pool_alloc (b, size, use, buf, error);
    }
  g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}

VkDeviceSize
vka_vk_max_buffer_bytes (VkaVkBackend *b, const char **limit)
{
  VkDeviceSize range = b->props.limits.maxStorageBufferRange;
  if (limit)
    *limit = "storage-buffer range";
  if (b->max_allocation > 0 && b->max_allocation < range)
    {
      range = b->max_allocation;
      if (limit)
        *limit = "largest allocation";
    }
  /* the direct and Winograd 3×3 kernels bind tensors as texel buffers */
  VkDeviceSize texels = (VkDeviceSize) b->props.limits.maxTexelBufferElements * sizeof (float);
  if (b->conv3x3 != VKA_VK_CONV3X3_GEMM && b->conv3x3 != VKA_VK_CONV3X3_COOPMAT
      && texels < range)
    {
      range = texels;
      if (limit)
        *limit = "texel-buffer size";
    }
  return range;
}

gboolean
vka_vk_buffer_alloc (VkaVkBackend *b, VkDeviceSize bytes, gboolean guards,
                     VkaVkBuffer *buf, GError **error)
{
  memset (buf, 0, sizeof *buf);
  const char *limit;
  VkDeviceSize range = vka_vk_max_buffer_bytes (b, &limit);
  if (bytes > range)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_TOO_LARGE,
                   "a %" G_GUINT64_FORMAT " MiB tensor exceeds %s's %s of %"
                   G_GUINT64_FORMAT " MiB; use a smaller tile",
                   (guint64) bytes >> 20, b->props.deviceName, limit, (guint64) range >> 20);
      return FALSE;
    }
  VkDeviceSize guard = guards ? VKA_VK_GUARD_BYTES : 0;
  VkDeviceSize total = guard + ((bytes + 3) & ~(VkDeviceSize) 3) + guard;
  if (!alloc_buffer (b, total, guards ? VKA_VK_USE_TENSOR_MAPPED : VKA_VK_USE_TENSOR, buf,
                     error))
    return FALSE;
  buf->offset = guard;
  buf->bytes = bytes;
  if (guards)
    {
      if (!buf->mapped)
        {
          vka_vk_buffer_release (b, buf);
          g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                       "guard words need host-visible memory, which %s lacks",
                       b->props.deviceName);
          return FALSE;
        }
      if (vka_vk_buffer_busy (b, buf))
        {
          if (!fill_guards_recorded (b, buf, error))
            {
              vka_vk_buffer_release (b, buf);
              return FALSE;
            }
        }
      else
        fill_guards (buf);
    }
  return TRUE;
}

/* Records a copy between two buffers in command order: after what the
 * commands before it do to either, before what the commands after it do. */
static gboolean
record_copy (VkaVkBackend *b, VkaVkBuffer *src, VkDeviceSize src_offset, VkaVkBuffer *dst,
             VkDeviceSize dst_offset, VkDeviceSize bytes, GError **error)
{
  if (!vka_vk_begin (b, error))
    return FALSE;
  VkMemoryBarrier before = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
    .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
    .dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
  };
  VkMemoryBarrier after = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
    .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
    .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT
                   | VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT
                   | VK_ACCESS_HOST_READ_BIT,
  };
  VkBufferCopy region = { .srcOffset = src_offset, .dstOffset = dst_offset, .size = bytes };
  b->vk->CmdPipelineBarrier (b->cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT
                                     | VK_PIPELINE_STAGE_TRANSFER_BIT,
                             VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1, &before, 0, NULL, 0,
                             NULL);
  b->vk->CmdCopyBuffer (b->cmd, src->buffer, dst->buffer, 1, &region);
  b->vk->CmdPipelineBarrier (b->cmd, VK_PIPELINE_STAGE_TRANSFER_BIT,
                             VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT
                             | VK_PIPELINE_STAGE_TRANSFER_BIT | VK_PIPELINE_STAGE_HOST_BIT,
                             0, 1, &after, 0, NULL, 0, NULL);
  src->used_in = dst->used_in = b->serial;
  return TRUE;
}

/* Where the host reads and writes buf directly: its mapping, unless the
 * tests make every access staged, as it is on a discrete GPU. */
static void *
host_view (const VkaVkBackend *b, const VkaVkBuffer *buf)
{
  return b->staged_only ? NULL : buf->mapped;
}

gboolean
vka_vk_buffer_read (VkaVkBackend *b, VkaVkBuffer *buf, VkDeviceSize offset,
                    VkDeviceSize bytes, void *dst, GError **error)
{
  VkaPendingRead *read = vka_vk_read_begin (b, buf, offset, bytes, error);
  return read && vka_vk_read_end (read, dst, error);
}

gboolean
vka_vk_buffer_write (VkaVkBackend *b, VkaVkBuffer *buf, VkDeviceSize offset,
                     VkDeviceSize bytes, const void *src, GError **error)
{
  b->transfers.bytes_to_device += bytes;
  char *mapped = host_view (b, buf);
  if (mapped && !vka_vk_buffer_busy (b, buf))
    {
      memcpy (mapped + offset, src, bytes);
      return TRUE;
    }
  /* recorded commands may still use the buffer, or the host cannot see it:
   * a staged copy in command order, submitted with the rest */
  VkaVkBuffer staging = { 0 };
  if (!alloc_buffer (b, bytes, VKA_VK_USE_UPLOAD, &staging, error))
    return FALSE;
  memcpy (staging.mapped, src, bytes);
  gboolean ok = record_copy (b, &staging, 0, buf, offset, bytes, error);
  vka_vk_buffer_release (b, &staging);
  return ok;
}

struct VkaPendingRead
{
  VkaVkBackend *b;
  const char   *mapped;    /* where the bytes are once serial has run */
  VkaVkBuffer   staging;   /* or empty: read from buf's own mapping */
  VkDeviceSize  bytes;
  guint64       serial;
};

VkaPendingRead *
vka_vk_read_begin (VkaVkBackend *b, VkaVkBuffer *buf, VkDeviceSize offset, VkDeviceSize bytes,
                   GError **error)
{
  b->transfers.bytes_to_host += bytes;
  VkaPendingRead *read = g_new0 (VkaPendingRead, 1);
  read->b = b;
  read->bytes = bytes;
  const char *mapped = host_view (b, buf);
  if (mapped)
    {
      read->mapped = mapped + offset;
      read->serial = buf->used_in;
    }
  else
    {
      /* the copy joins the recorded work: one submission for both */
      if (!alloc_buffer (b, bytes, VKA_VK_USE_READBACK, &read->staging, error)
          || !record_copy (b, buf, offset, &read->staging, 0, bytes, error))
        {
          vka_vk_read_end (read, NULL, NULL);
          return NULL;
        }
      read->mapped = read->staging.mapped;
      read->serial = b->serial;
    }
  if (vka_vk_buffer_in_recording (b, buf) && !vka_vk_submit (b, error))
    {
      vka_vk_read_end (read, NULL, NULL);
      return NULL;
    }
  return read;
}

gboolean
vka_vk_read_end (VkaPendingRead *read, void *dst, GError **error)
{
  gboolean ok = !dst || vka_vk_wait (read->b, read->serial, error);
  if (ok && dst)
    memcpy (dst, read->mapped, read->bytes);
  vka_vk_buffer_release (read->b, &read->staging);
  g_free (read);
  return ok;
}
