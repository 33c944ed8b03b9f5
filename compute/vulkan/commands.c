/* commands.c — a dispatch recorded into the ring's current command buffer
 * (ring.c): its pipeline, a descriptor set of its buffers, its push
 * constants, and the barrier that orders it before what follows. */
#include "vk-private.h"

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
  VkDescriptorSet set;
  if (!vka_vk_begin (b, error)
      || !vka_vk_descriptor_set (b, b->set_layouts[kernel], &set, error))
    return FALSE;

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
