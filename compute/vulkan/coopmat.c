/* coopmat.c — the cooperative-matrix 3×3 kernel (conv3x3_coopmat: float16
 * operands, float32 sums): the shapes a device offers, read when the device
 * is made; whether it runs the kernel, in which of the shapes this build
 * has shaders for; the weight packing and the grid. Which layers run it is
 * conv3x3-choice.c's business (forced, or measured fastest). */
#include "coopmat.h"
#include "device.h"
#include "tensor.h"

struct VkaVkCoopmatVariant
{
  guint32     m, n, k;
  VkaShaderId plain, upsampled;
};

/* The shapes shaders/meson.build compiles, largest first (the preferred
 * one where a device offers several). */
static const VkaVkCoopmatVariant variants[] = {
#if VKA_HAVE_COOPMAT
  { 16, 16, 16, VKA_SHADER_CONV3X3_COOPMAT_16X16X16, VKA_SHADER_CONV3X3_COOPMAT_16X16X16_UP },
  { 8, 8, 8, VKA_SHADER_CONV3X3_COOPMAT_8X8X8, VKA_SHADER_CONV3X3_COOPMAT_8X8X8_UP },
#  define PACK_SHADER VKA_SHADER_CONV3X3_COOPMAT_PACK
#else
#  define PACK_SHADER VKA_SHADER_COUNT   /* never used: b->coopmat stays NULL */
#endif
  { 0 }
};

/* The tile a workgroup makes, as conv3x3_coopmat.comp computes it. */
static guint32
block_m (const VkaVkCoopmatVariant *v)
{
  return VKA_COOPMAT_SM * VKA_COOPMAT_TM * v->m;
}

static guint32
block_n (const VkaVkCoopmatVariant *v)
{
  return VKA_COOPMAT_SN * VKA_COOPMAT_TN * v->n;
}

/* conv3x3_coopmat's shared arrays: tile_b, tap_offset, tile_c. */
static gsize
shared_bytes (const VkaVkCoopmatVariant *v)
{
  gsize rows = 9 * VKA_COOPMAT_KC;
  return rows * (block_n (v) + 8) * 2 + 9 * block_n (v) * sizeof (gint32)
         + (gsize) VKA_COOPMAT_SM * VKA_COOPMAT_SN * v->m * v->n * sizeof (float);
}

void
vka_vk_coopmat_query (VkaVkBackend *b)
{
  if (!vka_vk_has_device_extension (b, VK_KHR_COOPERATIVE_MATRIX_EXTENSION_NAME))
    return;
  PFN_vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR get_properties =
    (PFN_vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR) b->vk->GetInstanceProcAddr (
      b->inst->instance, "vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR");
  guint32 n = 0;
  if (!get_properties || get_properties (b->physical, &n, NULL) != VK_SUCCESS)
    return;
  g_autofree VkCooperativeMatrixPropertiesKHR *props =
    g_new0 (VkCooperativeMatrixPropertiesKHR, MAX (n, 1));
  for (guint32 i = 0; i < n; i++)
    props[i].sType = VK_STRUCTURE_TYPE_COOPERATIVE_MATRIX_PROPERTIES_KHR;
  if (get_properties (b->physical, &n, props) < 0)
    return;
  b->coopmat_shapes = g_array_new (FALSE, FALSE, sizeof (VkaVkCoopmatShape));
  for (guint32 i = 0; i < n; i++)
    {
      VkaVkCoopmatShape s = {
        props[i].MSize, props[i].NSize, props[i].KSize,
        props[i].AType, props[i].BType, props[i].CType, props[i].ResultType,
        props[i].scope, props[i].saturatingAccumulation,
      };
      g_array_append_val (b->coopmat_shapes, s);
    }
}

static gboolean
offers (VkaVkBackend *b, const VkaVkCoopmatVariant *v)
{
  for (guint i = 0; b->coopmat_shapes && i < b->coopmat_shapes->len; i++)
    {
      VkaVkCoopmatShape *s = &g_array_index (b->coopmat_shapes, VkaVkCoopmatShape, i);
      if (s->m == v->m && s->n == v->n && s->k == v->k
          && s->a_type == VK_COMPONENT_TYPE_FLOAT16_KHR
          && s->b_type == VK_COMPONENT_TYPE_FLOAT16_KHR
          && s->c_type == VK_COMPONENT_TYPE_FLOAT32_KHR
          && s->result_type == VK_COMPONENT_TYPE_FLOAT32_KHR
          && s->scope == VK_SCOPE_SUBGROUP_KHR && !s->saturating)
        return TRUE;
    }
  return FALSE;
}

/* What the kernel needs besides a shape: NULL, or the first thing missing. */
static const char *
missing_feature (VkaVkBackend *b, const VkaVkCoopmatVariant *v)
{
  gboolean float16_ext = vka_vk_has_device_extension (b,
                                                      VK_KHR_SHADER_FLOAT16_INT8_EXTENSION_NAME);
  gboolean model_ext = vka_vk_has_device_extension (b,
                                                    VK_KHR_VULKAN_MEMORY_MODEL_EXTENSION_NAME);
  VkPhysicalDeviceCooperativeMatrixFeaturesKHR coopmat = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_KHR };
  VkPhysicalDeviceVulkanMemoryModelFeatures model = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_MEMORY_MODEL_FEATURES,
    .pNext = &coopmat };
  VkPhysicalDeviceShaderFloat16Int8Features float16 = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES, .pNext = &model };
  VkPhysicalDevice16BitStorageFeatures storage = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES, .pNext = &float16 };
  VkPhysicalDeviceFeatures2 features = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, .pNext = &storage };
  b->vk->GetPhysicalDeviceFeatures2 (b->physical, &features);

  VkPhysicalDeviceCooperativeMatrixPropertiesKHR stages = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_PROPERTIES_KHR };
  VkPhysicalDeviceSubgroupProperties subgroup = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES, .pNext = &stages };
  VkPhysicalDeviceProperties2 props = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, .pNext = &subgroup };
  b->vk->GetPhysicalDeviceProperties2 (b->physical, &props);
  const VkPhysicalDeviceLimits *limits = &b->props.limits;
  guint32 threads = b->subgroup_size * VKA_COOPMAT_SM * VKA_COOPMAT_SN;

  if (!coopmat.cooperativeMatrix)
    return "the cooperativeMatrix feature";
  if (!(stages.cooperativeMatrixSupportedStages & VK_SHADER_STAGE_COMPUTE_BIT))
    return "cooperative matrices in compute shaders";
  if (!float16_ext || !float16.shaderFloat16)
    return "shaderFloat16 (VK_KHR_shader_float16_int8)";
  if (!storage.storageBuffer16BitAccess)
    return "storageBuffer16BitAccess";
  if (!model_ext || !model.vulkanMemoryModel)
    return "vulkanMemoryModel (VK_KHR_vulkan_memory_model)";
  if (!(subgroup.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT)
      || !(subgroup.supportedOperations & VK_SUBGROUP_FEATURE_BASIC_BIT))
    return "basic subgroup operations in compute shaders";
  if (shared_bytes (v) > limits->maxComputeSharedMemorySize)
    return "enough shared memory per workgroup";
  if (threads > limits->maxComputeWorkGroupInvocations
      || b->subgroup_size > limits->maxComputeWorkGroupSize[0]
      || VKA_COOPMAT_SM * VKA_COOPMAT_SN > limits->maxComputeWorkGroupSize[1])
    return "large enough workgroups";
  return NULL;
}

gboolean
vka_vk_coopmat_choose (VkaVkBackend *b, gboolean forced, GError **error)
{
  const char *missing = NULL;
  const VkaVkCoopmatVariant *v = variants;
  while (v->m && !offers (b, v))
    v++;
  if (!variants[0].m)
    missing = "this build's cooperative-matrix shaders (its glslang lacked "
              "GL_KHR_cooperative_matrix)";
  else if (!b->coopmat_shapes)
    missing = "VK_KHR_cooperative_matrix";
  else if (!v->m)
    missing = "a float16·float16→float32 subgroup shape this build has a kernel for";
  else
    missing = missing_feature (b, v);
  if (!missing)
    {
      b->coopmat = v;
      g_debug ("%s: 3×3 convolutions on %u×%u×%u cooperative matrices may run",
               b->props.deviceName, v->m, v->n, v->k);
      return TRUE;
    }
  if (forced)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_NO_DEVICE,
                   "VKA_CONV3X3=coopmat, but %s lacks %s", b->props.deviceName, missing);
      return FALSE;
    }
  g_debug ("%s: no cooperative-matrix 3×3 kernel: it lacks %s", b->props.deviceName,
           missing);
  return TRUE;
}

static const char *
type_name (guint32 type)
{
  static const char *const names[] = { "f16", "f32", "f64", "s8", "s16", "s32", "s64",
                                       "u8", "u16", "u32", "u64" };
  return type < G_N_ELEMENTS (names) ? names[type] : "?";
}

char *
vka_vk_coopmat_describe (VkaVkBackend *b)
{
  if (!b->coopmat_shapes || b->coopmat_shapes->len == 0)
    return g_strdup ("none");
  GString *text = g_string_new (NULL);
  for (guint i = 0; i < b->coopmat_shapes->len; i++)
    {
      VkaVkCoopmatShape *s = &g_array_index (b->coopmat_shapes, VkaVkCoopmatShape, i);
      gboolean runs = b->coopmat && b->coopmat->m == s->m && b->coopmat->n == s->n
                      && b->coopmat->k == s->k && s->a_type == VK_COMPONENT_TYPE_FLOAT16_KHR
                      && s->c_type == VK_COMPONENT_TYPE_FLOAT32_KHR
                      && s->result_type == VK_COMPONENT_TYPE_FLOAT32_KHR;
      g_string_append_printf (text, "%s%ux%ux%u %s*%s+%s->%s%s%s%s", i ? ", " : "",
                              s->m, s->n, s->k, type_name (s->a_type),
                              type_name (s->b_type), type_name (s->c_type),
                              type_name (s->result_type), s->saturating ? " saturating" : "",
                              s->scope != VK_SCOPE_SUBGROUP_KHR ? " (not subgroup)" : "",
                              runs ? " (runs)" : "");
    }
  return g_string_free (text, FALSE);
}

gboolean
vka_vk_coopmat_pack (VkaVkBackend *b, VkaTensor *weight, const VkaPushConv *pc,
                     VkaVkBuffer *packed, GError **error)
{
  guint64 row = (guint64) CEIL_DIV (pc->in_channels, VKA_COOPMAT_KC) * 9 * VKA_COOPMAT_KC;
  guint64 n = (guint64) CEIL_DIV (pc->out_channels, VKA_COOPMAT_CO_ALIGN)
              * VKA_COOPMAT_CO_ALIGN * row;
  if (!vka_vk_buffer_alloc (b, n * 2, b->guards, packed, error))
    return FALSE;
  VkaVkBuffer *bufs[] = { vka_vk_buf (weight), packed };
  return vka_vk_dispatch (b, PACK_SHADER, bufs, pc, CEIL_DIV (n, 256), 1, 1, error);
}

gboolean
vka_vk_coopmat_dispatch (VkaVkBackend *b, gboolean upsampled, VkaTensor *in,
                         VkaVkBuffer *packed, VkaTensor *bias, VkaTensor *out,
                         const VkaPushConv *pc, GError **error)
{
  const VkaVkCoopmatVariant *v = b->coopmat;
  g_assert (v && block_m (v) <= VKA_COOPMAT_CO_ALIGN
            && VKA_COOPMAT_CO_ALIGN % block_m (v) == 0);
  VkaVkBuffer *bufs[] = { vka_vk_buf (in), packed, vka_vk_buf (bias), vka_vk_buf (out) };
  /* pixel blocks fold into x and y to stay under 65535 groups a dimension */
  guint32 blocks = CEIL_DIV ((guint64) out->w * out->h, block_n (v));
  guint32 gx = MIN (blocks, 32768u);
  return vka_vk_dispatch (b, upsampled ? v->upsampled : v->plain, bufs, pc, gx,
                          CEIL_DIV (blocks, gx),
                          (guint32) (out->n * CEIL_DIV (out->c, block_m (v))), error);
}
