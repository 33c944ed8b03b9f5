/* pool.c — device buffers: memory of the right type for what a buffer is
 * for, a pool that recycles released buffers, and texel views. Nothing
 * here records commands (memory.c, above the command buffer, does what
 * needs them: staged host access, guard words of reused buffers, emptying
 * the pool when memory runs out).
 *
 * Why a pool: one stylisation makes and drops dozens of activations of the
 * same few sizes, and vkAllocateMemory is slow on some drivers (about 25 ms
 * for 256 MiB on an H200 under a VM). Released buffers wait in the pool
 * until an allocation of the same use and a size up to 4× smaller takes
 * the smallest that fits; when memory runs out the pool is emptied and
 * the allocation tried again. $VKA_BUFFER_POOL=0 turns it off.
 *
 * The pool is also what keeps a pass's memory down to its live tensors: a
 * tensor dropped while a pass is being recorded goes back at once, and the
 * next layer's output may take it in the same command buffer, because every
 * dispatch ends in a barrier. Such a buffer is busy: the host must not
 * touch it before the recording has run (its old owner's commands have not
 * run yet), so staging never takes one and guard words are filled by the
 * device. A buffer whose last use was submitted and may still be running
 * is not in the pool at all: it waits in that submission's slot of the
 * ring (ring.c) until its fence has signalled. */
#include "vk-private.h"

#include <string.h>

static gboolean
find_memory_type (VkaVkBackend *b, guint32 type_bits, VkMemoryPropertyFlags want,
                  guint32 *index)
{
  for (guint32 i = 0; i < b->mem_props.memoryTypeCount; i++)
    if ((type_bits & (1u << i))
        && (b->mem_props.memoryTypes[i].propertyFlags & want) == want)
      {
        *index = i;
        return TRUE;
      }
  return FALSE;
}

/* Memory types in order of preference per use. A tensor is mapped directly
 * only when its memory is device-local and host-cached (lavapipe, most
 * integrated GPUs); on a discrete GPU the host-visible device memory (BAR)
 * is uncached, and reading tensors back through it ran at a few tens of
 * MB/s on an H200, so tensors there are device-local and staged. */
static gboolean
choose_memory_type (VkaVkBackend *b, guint32 type_bits, VkaVkBufferUse use,
                    guint32 *type)
{
  const VkMemoryPropertyFlags host = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT
                                   | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  const VkMemoryPropertyFlags cached = VK_MEMORY_PROPERTY_HOST_CACHED_BIT;
  const VkMemoryPropertyFlags local = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
  switch (use)
    {
    case VKA_VK_USE_TENSOR:
      return find_memory_type (b, type_bits, local | host | cached, type)
             || find_memory_type (b, type_bits, local, type)
             || find_memory_type (b, type_bits, host, type);
    case VKA_VK_USE_TENSOR_MAPPED:
      return find_memory_type (b, type_bits, local | host, type)
             || find_memory_type (b, type_bits, host, type);
    case VKA_VK_USE_UPLOAD:
      return find_memory_type (b, type_bits, host, type);
    case VKA_VK_USE_READBACK:
      return find_memory_type (b, type_bits, host | cached, type)
             || find_memory_type (b, type_bits, host, type);
    }
  return FALSE;
}

/* Eight classes per power of two: at most 12.5 % more than asked for. */
static VkDeviceSize
size_class (VkDeviceSize size)
{
  if (size <= 4096)
    return 4096;
  VkDeviceSize step = (VkDeviceSize) 1 << MAX (12, (int) g_bit_storage (size) - 4);
  return (size + step - 1) / step * step;
}

gboolean
vka_vk_pool_enabled (void)
{
  const char *env = g_getenv ("VKA_BUFFER_POOL");
  return !env || strcmp (env, "0") != 0;
}

/* The smallest pooled buffer of this use that holds size without wasting
 * more than three quarters of itself. */
static gboolean
pool_take (VkaVkBackend *b, VkDeviceSize size, VkaVkBufferUse use, VkaVkBuffer *buf)
{
  if (!b->pool)
    return FALSE;
  gboolean host_access = use == VKA_VK_USE_UPLOAD || use == VKA_VK_USE_READBACK;
  guint best = G_MAXUINT;
  for (guint i = 0; i < b->pool->len; i++)
    {
      VkaVkBuffer *pooled = b->pool->pdata[i];
      if (pooled->use != use || pooled->total < size || pooled->total / 4 > size
          || (host_access && vka_vk_buffer_busy (b, pooled)))
        continue;
      if (best == G_MAXUINT
          || pooled->total < ((VkaVkBuffer *) b->pool->pdata[best])->total)
        best = i;
    }
  if (best == G_MAXUINT)
    return FALSE;
  VkaVkBuffer *pooled = b->pool->pdata[best];
  *buf = *pooled;
  g_ptr_array_remove_index_fast (b->pool, best);
  g_free (pooled);
  return TRUE;
}

static void
free_buffer (VkaVkBackend *b, VkaVkBuffer *buf)
{
  if (buf->buffer)
    b->vk->DestroyBuffer (b->device, buf->buffer, NULL);
  if (buf->memory)
    {
      b->bytes_allocated -= MIN (b->bytes_allocated, buf->total);
      b->vk->FreeMemory (b->device, buf->memory, NULL);
    }
  memset (buf, 0, sizeof *buf);
}

void
vka_vk_pool_drain (VkaVkBackend *b)
{
  if (!b->pool)
    return;
  for (guint i = b->pool->len; i-- > 0;)
    {
      VkaVkBuffer *pooled = b->pool->pdata[i];
      if (vka_vk_buffer_busy (b, pooled))
        continue;
      free_buffer (b, pooled);
      g_free (pooled);
      g_ptr_array_remove_index_fast (b->pool, i);
    }
}

void
vka_vk_pool_submitted (VkaVkBackend *b, VkaVkSlot *slot)
{
  for (guint i = b->pool ? b->pool->len : 0; i-- > 0;)
    {
      VkaVkBuffer *pooled = b->pool->pdata[i];
      if (pooled->used_in != slot->serial)
        continue;
      g_ptr_array_add (slot->released, pooled);
      g_ptr_array_remove_index_fast (b->pool, i);
    }
}

static gboolean
alloc_new_buffer (VkaVkBackend *b, VkDeviceSize size, VkaVkBufferUse use,
                  VkaVkBuffer *buf, GError **error)
{
  VkaVkFuncs *vk = b->vk;
  VkBufferCreateInfo info = {
    .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
    .size = size,
    .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_UNIFORM_TEXEL_BUFFER_BIT
           | VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
    .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
  };
  if (!vka_vk_check (vk->CreateBuffer (b->device, &info, NULL, &buf->buffer),
                     "creating a buffer", error))
    return FALSE;
  VkMemoryRequirements req;
  vk->GetBufferMemoryRequirements (b->device, buf->buffer, &req);

  const VkMemoryPropertyFlags host = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT
                                   | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  guint32 type;
  if (!choose_memory_type (b, req.memoryTypeBits, use, &type))
    {
      vk->DestroyBuffer (b->device, buf->buffer, NULL);
      buf->buffer = VK_NULL_HANDLE;
      g_set_error (error, VKA_ERROR, VKA_ERROR_DEVICE,
                   "Vulkan: no memory type fits a storage buffer on %s",
                   b->props.deviceName);
      return FALSE;
    }

  VkMemoryAllocateInfo alloc = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
    .allocationSize = req.size,
    .memoryTypeIndex = type,
  };
  /* tests inject out-of-memory errors above a size */
  VkResult r = b->fail_alloc_over && req.size > b->fail_alloc_over
             ? VK_ERROR_OUT_OF_DEVICE_MEMORY
             : b->vk->AllocateMemory (b->device, &alloc, NULL, &buf->memory);
  if (r != VK_SUCCESS)
    {
      vk->DestroyBuffer (b->device, buf->buffer, NULL);
      buf->buffer = VK_NULL_HANDLE;
      g_autofree char *what = g_strdup_printf ("allocating %" G_GUINT64_FORMAT " MiB",
                                               (guint64) req.size >> 20);
      return vka_vk_check (r, what, error);
    }
  if (!vka_vk_check (vk->BindBufferMemory (b->device, buf->buffer, buf->memory, 0),
                     "binding buffer memory", error))
    goto fail;
  if ((b->mem_props.memoryTypes[type].propertyFlags & host) == host
      && !vka_vk_check (vk->MapMemory (b->device, buf->memory, 0, VK_WHOLE_SIZE, 0,
                                       &buf->mapped),
                        "mapping memory", error))
    goto fail;
  buf->total = size;
  buf->use = use;
  b->bytes_allocated += size;
  b->peak_bytes = MAX (b->peak_bytes, b->bytes_allocated);
  return TRUE;

fail:
  vk->DestroyBuffer (b->device, buf->buffer, NULL);
  vk->FreeMemory (b->device, buf->memory, NULL);
  memset (buf, 0, sizeof *buf);
  return FALSE;
}

/* The size rounded up to its size class (unless that passes the largest
 * allocation). */
gboolean
vka_vk_pool_alloc (VkaVkBackend *b, VkDeviceSize size, VkaVkBufferUse use,
                   VkaVkBuffer *buf, GError **error)
{
  VkDeviceSize rounded = size_class (size);
  if (b->max_allocation == 0 || rounded <= b->max_allocation)
    size = rounded;
  return pool_take (b, size, use, buf) || alloc_new_buffer (b, size, use, buf, error);
}

VkBufferView
vka_vk_buffer_view (VkaVkBackend *b, VkaVkBuffer *buf, VkaVkBindingKind kind,
                    GError **error)
{
  if (buf->views[kind])
    return buf->views[kind];
  VkFormat format = VK_FORMAT_R32_SFLOAT;
  VkDeviceSize texel_bytes = 4;
  if (kind == VKA_VK_TEXELS_RGBA32F)
    {
      format = VK_FORMAT_R32G32B32A32_SFLOAT;
      texel_bytes = 16;
    }
  else if (kind == VKA_VK_TEXELS_RG32UI)
    {
      format = VK_FORMAT_R32G32_UINT;
      texel_bytes = 8;
    }
  VkBufferViewCreateInfo info = {
    .sType = VK_STRUCTURE_TYPE_BUFFER_VIEW_CREATE_INFO,
    .buffer = buf->buffer,
    .format = format,
    .offset = buf->offset,
    .range = buf->bytes / texel_bytes * texel_bytes,
  };
  if (!vka_vk_check (b->vk->CreateBufferView (b->device, &info, NULL, &buf->views[kind]),
                     "creating a texel buffer view", error))
    return VK_NULL_HANDLE;
  return buf->views[kind];
}

void
vka_vk_buffer_release (VkaVkBackend *b, VkaVkBuffer *buf)
{
  if (!buf->buffer)
    return;
  VkaVkSlot *last_use = vka_vk_buffer_busy (b, buf) ? vka_vk_slot_of (b, buf->used_in)
                                                    : NULL;
  /* views carry the old payload's range: the next user makes its own (and
   * recorded commands may still use these) */
  for (guint i = 0; i < G_N_ELEMENTS (buf->views); i++)
    if (buf->views[i] && last_use)
      g_array_append_val (last_use->dead_views, buf->views[i]);
    else if (buf->views[i])
      b->vk->DestroyBufferView (b->device, buf->views[i], NULL);
  memset (buf->views, 0, sizeof buf->views);
  gboolean pooled = vka_vk_pool_enabled ();
  if (last_use && (!pooled || !vka_vk_buffer_in_recording (b, buf)))
    g_ptr_array_add (last_use->released, g_memdup2 (buf, sizeof *buf));
  else if (pooled)
    {
      if (!b->pool)
        b->pool = g_ptr_array_new ();
      g_ptr_array_add (b->pool, g_memdup2 (buf, sizeof *buf));
    }
  else
    free_buffer (b, buf);
  memset (buf, 0, sizeof *buf);
}
