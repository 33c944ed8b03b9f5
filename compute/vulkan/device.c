/* device.c — the logical device: the physical device's properties, a
 * compute queue, the 3×3 variant (conv3x3-choice.c) and precision it runs,
 * whether it may run cooperative matrices (coopmat.c), and the device made
 * with only the features those need. */
#include "conv3x3.h"
#include "coopmat.h"
#include "device.h"

static gboolean
find_compute_queue (VkaVkBackend *b, GError **error)
{
  guint32 n = 0;
  b->vk->GetPhysicalDeviceQueueFamilyProperties (b->physical, &n, NULL);
  g_autofree VkQueueFamilyProperties *families = g_new0 (VkQueueFamilyProperties, MAX (n, 1));
  b->vk->GetPhysicalDeviceQueueFamilyProperties (b->physical, &n, families);
  for (guint32 i = 0; i < n; i++)
    if (families[i].queueFlags & VK_QUEUE_COMPUTE_BIT)
      {
        b->queue_family = i;
        return TRUE;
      }
  g_set_error (error, VKA_ERROR, VKA_ERROR_NO_DEVICE,
               "%s has no compute queue", b->props.deviceName);
  return FALSE;
}

/* What the fp16 forms need of a device: both pack their weights as float16
 * (16-bit storage buffers); Winograd reads its packHalf2x16 scratch through
 * R32G32_UINT texel views; the GEMM kernel's float16 shared tiles need
 * shaderFloat16 (from VK_KHR_shader_float16_int8: the instance asks for
 * Vulkan 1.1). */
typedef struct
{
  gboolean storage_16bit;
  gboolean uint2_texels;
  gboolean float16;         /* shaderFloat16, and its extension is there */
  gboolean storage_needed;  /* what the chosen forms use, for the device */
  gboolean float16_needed;
} Fp16Features;

gboolean
vka_vk_has_device_extension (VkaVkBackend *b, const char *name)
{
  guint32 n = 0;
  b->vk->EnumerateDeviceExtensionProperties (b->physical, NULL, &n, NULL);
  g_autofree VkExtensionProperties *exts = g_new0 (VkExtensionProperties, MAX (n, 1));
  b->vk->EnumerateDeviceExtensionProperties (b->physical, NULL, &n, exts);
  for (guint32 i = 0; i < n; i++)
    if (g_str_equal (exts[i].extensionName, name))
      return TRUE;
  return FALSE;
}

static void
query_fp16_features (VkaVkBackend *b, Fp16Features *f)
{
  gboolean has_float16_ext =
    vka_vk_has_device_extension (b, VK_KHR_SHADER_FLOAT16_INT8_EXTENSION_NAME);
  VkPhysicalDeviceShaderFloat16Int8Features float16 = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES };
  VkPhysicalDevice16BitStorageFeatures storage = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES,
    .pNext = has_float16_ext ? &float16 : NULL };
  VkPhysicalDeviceFeatures2 features = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, .pNext = &storage };
  b->vk->GetPhysicalDeviceFeatures2 (b->physical, &features);
  VkFormatProperties uint2;
  b->vk->GetPhysicalDeviceFormatProperties (b->physical, VK_FORMAT_R32G32_UINT, &uint2);
  *f = (Fp16Features) {
    .storage_16bit = storage.storageBuffer16BitAccess,
    .uint2_texels = (uint2.bufferFeatures & VK_FORMAT_FEATURE_UNIFORM_TEXEL_BUFFER_BIT) != 0,
    .float16 = has_float16_ext && float16.shaderFloat16,
  };
}

/* $VKA_FP16: -1 unset, 0 or 1. */
static gboolean
fp16_setting (int *setting, GError **error)
{
  const char *forced = g_getenv ("VKA_FP16");
  *setting = -1;
  if (!forced || !*forced)
    return TRUE;
  if (!g_str_equal (forced, "0") && !g_str_equal (forced, "1"))
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                   "VKA_FP16 is \"%s\"; it must be \"0\" or \"1\"", forced);
      return FALSE;
    }
  *setting = g_str_equal (forced, "1");
  return TRUE;
}

/* $VKA_FP16=0|1 turns the fp16 forms of the Winograd and GEMM kernels off or
 * on (on: an error where the device lacks what they need). The direct
 * kernel has none. By default they are off: on lavapipe Winograd's ran about
 * 10% slower and GEMM's no faster (bench/RESULTS.md), and no GPU has been
 * measured. */
static gboolean
choose_conv3x3_precision (VkaVkBackend *b, Fp16Features *f, GError **error)
{
  int setting;
  if (!fp16_setting (&setting, error))
    return FALSE;
  gboolean wanted = setting == 1;
  /* a device that measures its kernels may run either */
  gboolean tunes = vka_vk_tuning_wanted (b);
  gboolean gemm = b->conv3x3 == VKA_VK_CONV3X3_GEMM || tunes;
  gboolean winograd = b->conv3x3 == VKA_VK_CONV3X3_WINOGRAD
                      || b->conv3x3 == VKA_VK_CONV3X3_WINOGRAD4 || tunes;
  if (!wanted || (!gemm && !winograd))
    return TRUE;
  query_fp16_features (b, f);
  const char *missing = NULL;
  if (!f->storage_16bit)
    missing = "storageBuffer16BitAccess";
  else if (winograd && !f->uint2_texels)
    missing = "R32G32_UINT uniform texel buffers";
  else if (gemm && !f->float16)
    missing = "shaderFloat16 (VK_KHR_shader_float16_int8)";
  if (missing)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_NO_DEVICE,
                   "VKA_FP16=1, but %s lacks %s, which the fp16 %s needs",
                   b->props.deviceName, missing,
                   gemm && winograd ? "GEMM and Winograd kernels"
                   : gemm ? "GEMM kernel" : "Winograd kernel");
      return FALSE;
    }
  b->conv3x3_fp16 = TRUE;
  f->storage_needed = TRUE;
  f->float16_needed = gemm;
  return TRUE;
}

/* The cooperative-matrix kernel (float16 operands, float32 sums) runs where
 * $VKA_CONV3X3=coopmat forces it (an error where the device or this build
 * lacks it), and is a candidate of the tuning where the device offers it,
 * unless $VKA_FP16=0 keeps every operand float32. */
static gboolean
choose_coopmat (VkaVkBackend *b, GError **error)
{
  int setting;
  if (!fp16_setting (&setting, error))
    return FALSE;
  gboolean forced = b->conv3x3 == VKA_VK_CONV3X3_COOPMAT;
  if (forced && setting == 0)
    {
      g_set_error_literal (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                           "VKA_CONV3X3=coopmat multiplies float16 operands, "
                           "but VKA_FP16=0 asks for float32 ones");
      return FALSE;
    }
  vka_vk_coopmat_query (b);
  if (!forced && (setting == 0 || !vka_vk_tuning_wanted (b)))
    return TRUE;
  return vka_vk_coopmat_choose (b, forced, error);
}

gboolean
vka_vk_device_create (VkaVkBackend *b, int index, GError **error)
{
  VkaVkFuncs *vk = b->vk;
  b->physical = b->inst->physical->pdata[index];
  VkPhysicalDeviceSubgroupProperties subgroup = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES };
  VkPhysicalDeviceMaintenance3Properties m3 = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES, .pNext = &subgroup };
  VkPhysicalDeviceProperties2 props2 = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, .pNext = &m3 };
  vk->GetPhysicalDeviceProperties2 (b->physical, &props2);
  b->props = props2.properties;
  b->max_allocation = m3.maxMemoryAllocationSize;
  b->subgroup_size = MAX (subgroup.subgroupSize, 1);
  vk->GetPhysicalDeviceMemoryProperties (b->physical, &b->mem_props);
  Fp16Features fp16 = { 0 };
  if (!find_compute_queue (b, error) || !vka_vk_conv3x3_choose_variant (b, error)
      || !choose_conv3x3_precision (b, &fp16, error) || !choose_coopmat (b, error))
    return FALSE;

  float priority = 1.0f;
  VkDeviceQueueCreateInfo queue = {
    .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
    .queueFamilyIndex = b->queue_family,
    .queueCount = 1,
    .pQueuePriorities = &priority,
  };
  /* only the features the chosen kernels use, chained onto info */
  VkDeviceCreateInfo info = {
    .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
    .queueCreateInfoCount = 1,
    .pQueueCreateInfos = &queue,
  };
  const char *extensions[3];
  info.ppEnabledExtensionNames = extensions;
#define CHAIN(s) ((s).pNext = (void *) info.pNext, info.pNext = &(s))
  VkPhysicalDeviceShaderFloat16Int8Features float16 = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES,
    .shaderFloat16 = VK_TRUE,
  };
  VkPhysicalDevice16BitStorageFeatures storage = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES,
    .storageBuffer16BitAccess = VK_TRUE,
  };
  VkPhysicalDeviceVulkanMemoryModelFeatures model = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_MEMORY_MODEL_FEATURES,
    .vulkanMemoryModel = VK_TRUE,
  };
  VkPhysicalDeviceCooperativeMatrixFeaturesKHR coopmat = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_KHR,
    .cooperativeMatrix = VK_TRUE,
  };
  if (fp16.storage_needed || b->coopmat)
    CHAIN (storage);
  if (fp16.float16_needed || b->coopmat)
    {
      CHAIN (float16);
      extensions[info.enabledExtensionCount++] = VK_KHR_SHADER_FLOAT16_INT8_EXTENSION_NAME;
    }
  if (b->coopmat)
    {
      CHAIN (model);
      CHAIN (coopmat);
      extensions[info.enabledExtensionCount++] = VK_KHR_VULKAN_MEMORY_MODEL_EXTENSION_NAME;
      extensions[info.enabledExtensionCount++] = VK_KHR_COOPERATIVE_MATRIX_EXTENSION_NAME;
    }
#undef CHAIN
  if (!vka_vk_check (vk->CreateDevice (b->physical, &info, NULL, &b->device),
                     "creating the device", error))
    return FALSE;
#define LOAD_DEVICE(fn) \
  vk->fn = (PFN_vk##fn) vk->GetDeviceProcAddr (b->device, "vk" #fn);
  VKA_VK_DEVICE_FUNCS (LOAD_DEVICE)
#undef LOAD_DEVICE
  vk->GetDeviceQueue (b->device, b->queue_family, 0, &b->queue);
  return TRUE;
}
