/* pipelines.c — compute pipelines made on first use from the embedded
 * SPIR-V, and the pipeline cache kept on disk between runs. */
#include "vk-private.h"

#include <glib/gstdio.h>

VkDescriptorType
vka_vk_descriptor_type (VkaVkBindingKind kind)
{
  return kind == VKA_VK_STORAGE ? VK_DESCRIPTOR_TYPE_STORAGE_BUFFER
                                : VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER;
}

gboolean
vka_vk_pipeline_get (VkaVkBackend *b, VkaShaderId kernel, GError **error)
{
  if (b->pipelines[kernel])
    return TRUE;
  VkaVkFuncs *vk = b->vk;
  const VkaVkKernelSpec *spec = &vka_vk_kernel_specs[kernel];
  const VkaShaderBlob *blob = &vka_shader_blobs[kernel];
  g_assert (spec->n_bindings > 0);

  VkDescriptorSetLayoutBinding bindings[VKA_VK_MAX_BINDINGS];
  for (guint i = 0; i < spec->n_bindings; i++)
    bindings[i] = (VkDescriptorSetLayoutBinding) {
      .binding = i,
      .descriptorType = vka_vk_descriptor_type (spec->kinds[i]),
      .descriptorCount = 1,
      .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
    };
  VkDescriptorSetLayoutCreateInfo set_info = {
    .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
    .bindingCount = spec->n_bindings,
    .pBindings = bindings,
  };
  VkPushConstantRange range = {
    .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
    .size = spec->push_size,
  };
  VkPipelineLayoutCreateInfo layout_info = {
    .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
    .setLayoutCount = 1,
    .pSetLayouts = &b->set_layouts[kernel],
    .pushConstantRangeCount = 1,
    .pPushConstantRanges = &range,
  };
  VkShaderModuleCreateInfo module_info = {
    .sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
    .codeSize = blob->size_bytes,
    .pCode = blob->code,
  };
  /* constant 0 is the subgroup size: conv3x3_coopmat's local size x (a
   * workgroup of whole subgroups); shaders without it ignore it */
  VkSpecializationMapEntry entry = { .constantID = 0, .offset = 0,
                                     .size = sizeof b->subgroup_size };
  VkSpecializationInfo specialization = {
    .mapEntryCount = 1,
    .pMapEntries = &entry,
    .dataSize = sizeof b->subgroup_size,
    .pData = &b->subgroup_size,
  };
  VkShaderModule module = VK_NULL_HANDLE;
  g_autofree char *what = g_strdup_printf ("creating the %s pipeline", blob->name);
  if (!vka_vk_check (vk->CreateDescriptorSetLayout (b->device, &set_info, NULL,
                                                    &b->set_layouts[kernel]), what, error)
      || !vka_vk_check (vk->CreatePipelineLayout (b->device, &layout_info, NULL,
                                                  &b->layouts[kernel]), what, error)
      || !vka_vk_check (vk->CreateShaderModule (b->device, &module_info, NULL, &module),
                        what, error))
    return FALSE;

  VkComputePipelineCreateInfo info = {
    .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
    .stage = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
      .stage = VK_SHADER_STAGE_COMPUTE_BIT,
      .module = module,
      .pName = "main",
      .pSpecializationInfo = &specialization,
    },
    .layout = b->layouts[kernel],
  };
  gboolean ok = vka_vk_check (vk->CreateComputePipelines (b->device, b->pipeline_cache, 1,
                                                          &info, NULL, &b->pipelines[kernel]),
                              what, error);
  vk->DestroyShaderModule (b->device, module, NULL);
  return ok;
}

void
vka_vk_pipelines_destroy (VkaVkBackend *b)
{
  VkaVkFuncs *vk = b->vk;
  for (int i = 0; i < VKA_SHADER_COUNT; i++)
    {
      if (b->pipelines[i])
        vk->DestroyPipeline (b->device, b->pipelines[i], NULL);
      if (b->layouts[i])
        vk->DestroyPipelineLayout (b->device, b->layouts[i], NULL);
      if (b->set_layouts[i])
        vk->DestroyDescriptorSetLayout (b->device, b->set_layouts[i], NULL);
    }
}

/* One cache file per device and driver. The driver checks the header it
 * wrote (vendor, device, cache UUID) and ignores a stale file. */
void
vka_vk_pipeline_cache_open (VkaVkBackend *b)
{
  const char *disabled = g_getenv ("VKA_PIPELINE_CACHE");
  if (!(disabled && g_str_equal (disabled, "0")))
    {
      char uuid[2 * VK_UUID_SIZE + 1];
      for (guint i = 0; i < VK_UUID_SIZE; i++)
        g_snprintf (uuid + 2 * i, 3, "%02x", b->props.pipelineCacheUUID[i]);
      g_autofree char *name = g_strdup_printf ("pipelines-%04x-%04x-%s.bin",
                                               b->props.vendorID, b->props.deviceID, uuid);
      b->pipeline_cache_path = g_build_filename (g_get_user_cache_dir (), "vk-adain",
                                                 name, NULL);
    }
  g_autofree char *data = NULL;
  gsize size = 0;
  if (b->pipeline_cache_path)
    g_file_get_contents (b->pipeline_cache_path, &data, &size, NULL);
  VkPipelineCacheCreateInfo info = {
    .sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO,
    .initialDataSize = size,
    .pInitialData = data,
  };
  if (b->vk->CreatePipelineCache (b->device, &info, NULL, &b->pipeline_cache) != VK_SUCCESS)
    {
      info.initialDataSize = 0;
      info.pInitialData = NULL;
      if (b->vk->CreatePipelineCache (b->device, &info, NULL, &b->pipeline_cache)
          != VK_SUCCESS)
        b->pipeline_cache = VK_NULL_HANDLE;
    }
}

/* Best effort: a cache that cannot be written only costs start-up time. */
void
vka_vk_pipeline_cache_save (VkaVkBackend *b)
{
  if (!b->pipeline_cache)
    return;
  size_t size = 0;
  if (b->pipeline_cache_path
      && b->vk->GetPipelineCacheData (b->device, b->pipeline_cache, &size, NULL)
           == VK_SUCCESS
      && size > 0)
    {
      g_autofree char *data = g_malloc (size);
      g_autofree char *dir = g_path_get_dirname (b->pipeline_cache_path);
      if (b->vk->GetPipelineCacheData (b->device, b->pipeline_cache, &size, data)
            == VK_SUCCESS
          && g_mkdir_with_parents (dir, 0700) == 0)
        g_file_set_contents (b->pipeline_cache_path, data, (gssize) size, NULL);
    }
  b->vk->DestroyPipelineCache (b->device, b->pipeline_cache, NULL);
  b->pipeline_cache = VK_NULL_HANDLE;
}
