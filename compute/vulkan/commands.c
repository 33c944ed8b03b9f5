/* commands.c — recording dispatches into one command buffer per pass, and
 * submitting it. Buffers freed while work is queued die after the flush. */
#include "vk-private.h"

#define DESCRIPTOR_SETS_PER_POOL 1024

gboolean
vka_vk_begin (VkaVkBackend *b, GError **error)
{
  if (b->recording)
    return TRUE;
  VkCommandBufferBeginInfo begin = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
    .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
  };
  if (!vka_vk_check (b->vk->BeginCommandBuffer (b->cmd, &begin),
                     "beginning a command buffer", error))
    return FALSE;
  b->recording = TRUE;
  b->serial++;
  return TRUE;
}

static void
release_deferred (VkaVkBackend *b)
{
  for (guint i = 0; i < b->deferred->len; i++)
    {
      VkaVkBuffer *buf = b->deferred->pdata[i];
      vka_vk_buffer_release (b, buf);
      g_free (buf);
    }
  g_ptr_array_set_size (b->deferred, 0);
}

gboolean
vka_vk_flush (VkaBackend *backend, GError **error)
{
  VkaVkBackend *b = (VkaVkBackend *) backend;
  VkaVkFuncs *vk = b->vk;
  if (!b->recording)
    {
      release_deferred (b);
      vka_vk_pool_settle (b);
      return TRUE;
    }
  /* make the pass's writes visible to the host */
  VkMemoryBarrier to_host = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
    .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
    .dstAccessMask = VK_ACCESS_HOST_READ_BIT,
  };
  vk->CmdPipelineBarrier (b->cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT
                                  | VK_PIPELINE_STAGE_TRANSFER_BIT,
                          VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &to_host, 0, NULL, 0, NULL);
  b->recording = FALSE;
  gboolean ok = vka_vk_check (vk->EndCommandBuffer (b->cmd), "ending a command buffer",
                              error);
  if (ok)
    {
      VkSubmitInfo submit = {
        .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
        .commandBufferCount = 1,
        .pCommandBuffers = &b->cmd,
      };
      b->transfers.submissions++;
      ok = vka_vk_check (vk->QueueSubmit (b->queue, 1, &submit, b->fence),
                         "submitting work", error)
        && vka_vk_check (vk->WaitForFences (b->device, 1, &b->fence, VK_TRUE, UINT64_MAX),
                         "waiting for work", error);
      if (ok)
        vk->ResetFences (b->device, 1, &b->fence);
    }
  vk->ResetCommandBuffer (b->cmd, 0);
  vk->ResetDescriptorPool (b->device, b->descriptor_pool, 0);
  b->descriptor_sets_used = 0;
  release_deferred (b);
  vka_vk_pool_settle (b);
  return ok;
}

gboolean
vka_vk_dispatch (VkaVkBackend *b, VkaShaderId kernel, VkaVkBuffer *const *buffers,
                 const void *push, guint32 gx, guint32 gy, guint32 gz, GError **error)
{
  VkaVkFuncs *vk = b->vk;
  const VkaVkKernelSpec *spec = &vka_vk_kernel_specs[kernel];
  const guint32 *max_groups = b->props.limits.maxComputeWorkGroupCount;
  if (gx > max_groups[0] || gy > max_groups[1] || gz > max_groups[2])
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_TOO_LARGE,
                   "%s: a grid of %u×%u×%u workgroups exceeds %s's limit of %u×%u×%u",
                   vka_shader_blobs[kernel].name, gx, gy, gz, b->props.deviceName,
                   max_groups[0], max_groups[1], max_groups[2]);
      return FALSE;
    }
  if (gx == 0 || gy == 0 || gz == 0)
    return TRUE;
  if (!vka_vk_pipeline_get (b, kernel, error))
    return FALSE;
  if (b->descriptor_sets_used == DESCRIPTOR_SETS_PER_POOL
      && !vka_vk_flush (&b->base, error))
    return FALSE;
  if (!vka_vk_begin (b, error))
    return FALSE;

  VkDescriptorSetAllocateInfo alloc = {
    .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
    .descriptorPool = b->descriptor_pool,
    .descriptorSetCount = 1,
    .pSetLayouts = &b->set_layouts[kernel],
  };
  VkDescriptorSet set;
  if (!vka_vk_check (vk->AllocateDescriptorSets (b->device, &alloc, &set),
                     "allocating a descriptor set", error))
    return FALSE;
  b->descriptor_sets_used++;

  VkDescriptorBufferInfo infos[VKA_VK_MAX_BINDINGS];
  VkBufferView views[VKA_VK_MAX_BINDINGS];
  VkWriteDescriptorSet writes[VKA_VK_MAX_BINDINGS];
  for (guint i = 0; i < spec->n_bindings; i++)
    {
      buffers[i]->used_in = b->serial;
      writes[i] = (VkWriteDescriptorSet) {
        .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
        .dstSet = set,
        .dstBinding = i,
        .descriptorCount = 1,
        .descriptorType = vka_vk_descriptor_type (spec->kinds[i]),
      };
      if (spec->kinds[i] == VKA_VK_STORAGE)
        {
          infos[i] = (VkDescriptorBufferInfo) {
            .buffer = buffers[i]->buffer,
            .offset = buffers[i]->offset,
            .range = (buffers[i]->bytes + 3) & ~(VkDeviceSize) 3,
          };
          writes[i].pBufferInfo = &infos[i];
        }
      else
        {
          views[i] = vka_vk_buffer_view (b, buffers[i], spec->kinds[i], error);
          if (!views[i])
            return FALSE;
          writes[i].pTexelBufferView = &views[i];
        }
    }
  vk->UpdateDescriptorSets (b->device, spec->n_bindings, writes, 0, NULL);

  vk->CmdBindPipeline (b->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, b->pipelines[kernel]);
  vk->CmdBindDescriptorSets (b->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, b->layouts[kernel],
                             0, 1, &set, 0, NULL);
  vk->CmdPushConstants (b->cmd, b->layouts[kernel], VK_SHADER_STAGE_COMPUTE_BIT, 0,
                        spec->push_size, push);
  vk->CmdDispatch (b->cmd, gx, gy, gz);

  /* the next dispatch may read what this one wrote */
  VkMemoryBarrier barrier = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
    .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
    .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT
                   | VK_ACCESS_TRANSFER_READ_BIT,
  };
  vk->CmdPipelineBarrier (b->cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                          VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT
                          | VK_PIPELINE_STAGE_TRANSFER_BIT,
                          0, 1, &barrier, 0, NULL, 0, NULL);
  return TRUE;
}

gboolean
vka_vk_commands_init (VkaVkBackend *b, GError **error)
{
  VkaVkFuncs *vk = b->vk;
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
  VkDescriptorPoolSize sizes[2] = {
    { VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, DESCRIPTOR_SETS_PER_POOL * VKA_VK_MAX_BINDINGS },
    { VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER, DESCRIPTOR_SETS_PER_POOL * VKA_VK_MAX_BINDINGS },
  };
  VkDescriptorPoolCreateInfo dpool = {
    .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
    .maxSets = DESCRIPTOR_SETS_PER_POOL,
    .poolSizeCount = 2,
    .pPoolSizes = sizes,
  };
  return vka_vk_check (vk->AllocateCommandBuffers (b->device, &alloc, &b->cmd),
                       "allocating a command buffer", error)
      && vka_vk_check (vk->CreateFence (b->device, &fence, NULL, &b->fence),
                       "creating a fence", error)
      && vka_vk_check (vk->CreateDescriptorPool (b->device, &dpool, NULL,
                                                 &b->descriptor_pool),
                       "creating a descriptor pool", error);
}

void
vka_vk_commands_destroy (VkaVkBackend *b)
{
  VkaVkFuncs *vk = b->vk;
  if (b->descriptor_pool)
    vk->DestroyDescriptorPool (b->device, b->descriptor_pool, NULL);
  if (b->fence)
    vk->DestroyFence (b->device, b->fence, NULL);
  if (b->command_pool)
    vk->DestroyCommandPool (b->device, b->command_pool, NULL);
}
