/* ring.c — the ring of command buffers. Each slot holds a command buffer,
 * its descriptor pools and a fence. A recording goes to the next slot; a
 * submission does not wait; a slot is waited for only when it comes round
 * again or when a result of its work is needed (vka_vk_wait). What a
 * submission's commands may still use when it is released (buffers, their
 * texel views) waits in its slot and goes back when its fence has
 * signalled, so the pool never hands out a buffer queued work still uses.
 *
 * Recordings are numbered (b->serial) and the queue runs them in that
 * order, so "everything up to recording n has run" (b->completed) is all
 * the host needs to know: slots are retired oldest first. The device needs
 * no more than the barrier that ends every dispatch and copy: a barrier's
 * scopes reach over earlier and later submissions to the same queue, so a
 * recording may follow another still running without waiting for it. */
#include "vulkan-backend.h"

#include <string.h>

#define DESCRIPTOR_SETS_PER_POOL 1024
#define DEFAULT_SLOTS 3

VkaVkSlot *
vka_vk_slot_of (VkaVkBackend *b, guint64 serial)
{
  return &b->ring[serial % b->ring_slots];
}

/* $VKA_RING_SLOTS: 1 (each recording waits for the one before) up to
 * VKA_VK_RING_MAX; tests run with few to make the ring wrap. */
static guint
slots_wanted (void)
{
  const char *env = g_getenv ("VKA_RING_SLOTS");
  guint64 n = env ? g_ascii_strtoull (env, NULL, 10) : 0;
  return n >= 1 && n <= VKA_VK_RING_MAX ? (guint) n : DEFAULT_SLOTS;
}

static gboolean
add_descriptor_pool (VkaVkBackend *b, VkaVkSlot *slot, GError **error)
{
  VkDescriptorPoolSize sizes[2] = {
    { VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, DESCRIPTOR_SETS_PER_POOL * VKA_VK_MAX_BINDINGS },
    { VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER, DESCRIPTOR_SETS_PER_POOL * VKA_VK_MAX_BINDINGS },
  };
  VkDescriptorPoolCreateInfo info = {
    .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
    .maxSets = DESCRIPTOR_SETS_PER_POOL,
    .poolSizeCount = 2,
    .pPoolSizes = sizes,
  };
  VkDescriptorPool pool;
  if (!vka_vk_check (b->vk->CreateDescriptorPool (b->device, &info, NULL, &pool),
                     "creating a descriptor pool", error))
    return FALSE;
  g_array_append_val (slot->descriptor_pools, pool);
  return TRUE;
}

gboolean
vka_vk_ring_init (VkaVkBackend *b, GError **error)
{
  VkaVkFuncs *vk = b->vk;
  b->ring_slots = slots_wanted ();
  for (guint i = 0; i < b->ring_slots; i++)
    {
      b->ring[i].descriptor_pools = g_array_new (FALSE, FALSE, sizeof (VkDescriptorPool));
      b->ring[i].released = g_ptr_array_new ();
      b->ring[i].dead_views = g_array_new (FALSE, FALSE, sizeof (VkBufferView));
    }
  VkCommandPoolCreateInfo pool = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
    .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
    .queueFamilyIndex = b->queue_family,
  };
  if (!vka_vk_check (vk->CreateCommandPool (b->device, &pool, NULL, &b->command_pool),
                     "creating a command pool", error))
    return FALSE;
  VkCommandBufferAllocateInfo alloc = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
    .commandPool = b->command_pool,
    .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
    .commandBufferCount = 1,
  };
  VkFenceCreateInfo fence = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
  for (guint i = 0; i < b->ring_slots; i++)
    {
      VkaVkSlot *slot = &b->ring[i];
      if (!vka_vk_check (vk->AllocateCommandBuffers (b->device, &alloc, &slot->cmd),
                         "allocating a command buffer", error)
          || !vka_vk_check (vk->CreateFence (b->device, &fence, NULL, &slot->fence),
                            "creating a fence", error)
          || !add_descriptor_pool (b, slot, error))
        return FALSE;
    }
  return TRUE;
}

/* The slot's work has run (or never will): its views die, its command
 * buffer and descriptor pools are reset, and its buffers, idle now, go to
 * the pool. */
static void
retire (VkaVkBackend *b, VkaVkSlot *slot)
{
  VkaVkFuncs *vk = b->vk;
  b->completed = MAX (b->completed, slot->serial);
  if (slot->submitted)
    vk->ResetFences (b->device, 1, &slot->fence);
  vk->ResetCommandBuffer (slot->cmd, 0);
  for (guint i = 0; i < slot->pools_used && i < slot->descriptor_pools->len; i++)
    vk->ResetDescriptorPool (b->device,
                             g_array_index (slot->descriptor_pools, VkDescriptorPool, i), 0);
  slot->pools_used = 0;
  slot->sets_in_pool = 0;
  for (guint i = 0; i < slot->dead_views->len; i++)
    vk->DestroyBufferView (b->device, g_array_index (slot->dead_views, VkBufferView, i),
                           NULL);
  g_array_set_size (slot->dead_views, 0);
  slot->serial = 0;
  slot->submitted = FALSE;
  for (guint i = 0; i < slot->released->len; i++)
    {
      VkaVkBuffer *buf = slot->released->pdata[i];
      vka_vk_buffer_release (b, buf);
      g_free (buf);
    }
  g_ptr_array_set_size (slot->released, 0);
}

void
vka_vk_ring_destroy (VkaVkBackend *b)
{
  VkaVkFuncs *vk = b->vk;
  for (guint i = 0; i < b->ring_slots; i++)
    {
      VkaVkSlot *slot = &b->ring[i];
      if (slot->cmd && slot->serial)
        retire (b, slot);
    }
  b->recording = FALSE;
  b->completed = b->serial;
  for (guint i = 0; i < b->ring_slots; i++)
    {
      VkaVkSlot *slot = &b->ring[i];
      for (guint p = 0; slot->descriptor_pools && p < slot->descriptor_pools->len; p++)
        vk->DestroyDescriptorPool (b->device,
                                   g_array_index (slot->descriptor_pools, VkDescriptorPool,
                                                  p), NULL);
      if (slot->fence)
        vk->DestroyFence (b->device, slot->fence, NULL);
      g_clear_pointer (&slot->descriptor_pools, g_array_unref);
      g_clear_pointer (&slot->released, g_ptr_array_unref);
      g_clear_pointer (&slot->dead_views, g_array_unref);
    }
  if (b->command_pool)
    vk->DestroyCommandPool (b->device, b->command_pool, NULL);
  b->command_pool = VK_NULL_HANDLE;
}

void
vka_vk_poll (VkaVkBackend *b)
{
  guint64 submitted = b->recording ? b->serial - 1 : b->serial;
  while (b->completed < submitted)
    {
      VkaVkSlot *slot = vka_vk_slot_of (b, b->completed + 1);
      if (slot->submitted && b->vk->GetFenceStatus (b->device, slot->fence) != VK_SUCCESS)
        break;
      retire (b, slot);
    }
}

gboolean
vka_vk_begin (VkaVkBackend *b, GError **error)
{
  if (b->recording)
    return TRUE;
  guint64 serial = b->serial + 1;
  VkaVkSlot *slot = vka_vk_slot_of (b, serial);
  if (slot->serial && !vka_vk_wait (b, slot->serial, error))
    return FALSE;
  vka_vk_poll (b);
  VkCommandBufferBeginInfo begin = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
    .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
  };
  if (!vka_vk_check (b->vk->BeginCommandBuffer (slot->cmd, &begin),
                     "beginning a command buffer", error))
    return FALSE;
  slot->serial = serial;
  b->serial = serial;
  b->cmd = slot->cmd;
  b->recording = TRUE;
  return TRUE;
}

gboolean
vka_vk_submit (VkaVkBackend *b, GError **error)
{
  VkaVkFuncs *vk = b->vk;
  if (!b->recording)
    return TRUE;
  VkaVkSlot *slot = vka_vk_slot_of (b, b->serial);
  /* make the work's writes visible to the host */
  VkMemoryBarrier to_host = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
    .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
    .dstAccessMask = VK_ACCESS_HOST_READ_BIT,
  };
  vk->CmdPipelineBarrier (slot->cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT
                                     | VK_PIPELINE_STAGE_TRANSFER_BIT,
                          VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &to_host, 0, NULL, 0, NULL);
  b->recording = FALSE;
  b->cmd = VK_NULL_HANDLE;
  vka_vk_pool_submitted (b, slot);
  if (!vka_vk_check (vk->EndCommandBuffer (slot->cmd), "ending a command buffer", error))
    return FALSE;   /* never runs: retired as such when its turn comes */
  VkSubmitInfo submit = {
    .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
    .commandBufferCount = 1,
    .pCommandBuffers = &slot->cmd,
  };
  b->transfers.submissions++;
  slot->submitted = vka_vk_check (vk->QueueSubmit (b->queue, 1, &submit, slot->fence),
                                  "submitting work", error);
  return slot->submitted;
}

gboolean
vka_vk_wait (VkaVkBackend *b, guint64 serial, GError **error)
{
  serial = MIN (serial, b->serial);
  if (serial <= b->completed)
    return TRUE;
  gboolean ok = TRUE;
  if (b->recording && serial == b->serial)
    ok = vka_vk_submit (b, error);
  while (b->completed < serial)
    {
      VkaVkSlot *slot = vka_vk_slot_of (b, b->completed + 1);
      g_assert (slot->serial == b->completed + 1);
      if (slot->submitted
          && !vka_vk_check (b->vk->WaitForFences (b->device, 1, &slot->fence, VK_TRUE,
                                                  UINT64_MAX),
                            "waiting for work", ok ? error : NULL))
        return FALSE;
      retire (b, slot);
    }
  return ok;
}

gboolean
vka_vk_flush (VkaBackend *backend, GError **error)
{
  VkaVkBackend *b = vka_vk_backend (backend);
  return vka_vk_wait (b, b->serial, error);
}

gboolean
vka_vk_descriptor_set (VkaVkBackend *b, VkDescriptorSetLayout layout, VkDescriptorSet *set,
                       GError **error)
{
  VkaVkSlot *slot = vka_vk_slot_of (b, b->serial);
  if (slot->pools_used == 0 || slot->sets_in_pool == DESCRIPTOR_SETS_PER_POOL)
    {
      if (slot->pools_used == slot->descriptor_pools->len
          && !add_descriptor_pool (b, slot, error))
        return FALSE;
      slot->pools_used++;
      slot->sets_in_pool = 0;
    }
  VkDescriptorSetAllocateInfo alloc = {
    .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
    .descriptorPool = g_array_index (slot->descriptor_pools, VkDescriptorPool,
                                     slot->pools_used - 1),
    .descriptorSetCount = 1,
    .pSetLayouts = &layout,
  };
  if (!vka_vk_check (b->vk->AllocateDescriptorSets (b->device, &alloc, set),
                     "allocating a descriptor set", error))
    return FALSE;
  slot->sets_in_pool++;
  return TRUE;
}

guint64
vka_vk_backend_submit (VkaBackend *backend, GError **error)
{
  VkaVkBackend *b = vka_vk_backend (backend);
  return vka_vk_submit (b, error) ? b->serial : 0;
}

gboolean
vka_vk_backend_wait (VkaBackend *backend, guint64 serial, GError **error)
{
  return vka_vk_wait (vka_vk_backend (backend), serial, error);
}

guint
vka_vk_backend_pending (VkaBackend *backend)
{
  VkaVkBackend *b = vka_vk_backend (backend);
  return (guint) ((b->recording ? b->serial - 1 : b->serial) - b->completed);
}

guint
vka_vk_backend_ring_slots (VkaBackend *backend)
{
  return vka_vk_backend (backend)->ring_slots;
}
