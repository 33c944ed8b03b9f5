/* instance.c — the Vulkan loader, the instance, and the devices it sees
 * (which one a context runs on is context.c's choice). */
#include "vulkan-backend.h"

#include <string.h>

#define NO_DEVICE_HINT \
  "install a Vulkan driver: mesa-vulkan-drivers for the CPU driver (lavapipe), " \
  "or your GPU's Vulkan driver"

gboolean
vka_vk_check (VkResult result, const char *what, GError **error)
{
  if (result == VK_SUCCESS)
    return TRUE;
  int code = VKA_ERROR_DEVICE;
  const char *reason = "failed";
  switch (result)
    {
    case VK_ERROR_OUT_OF_HOST_MEMORY:
      code = VKA_ERROR_OUT_OF_MEMORY, reason = "ran out of host memory";
      break;
    case VK_ERROR_OUT_OF_DEVICE_MEMORY:
      code = VKA_ERROR_OUT_OF_MEMORY, reason = "ran out of device memory";
      break;
    case VK_ERROR_DEVICE_LOST:
      reason = "lost the device";
      break;
    case VK_ERROR_INITIALIZATION_FAILED:
      reason = "failed to initialise";
      break;
    default:
      break;
    }
  g_set_error (error, VKA_ERROR, code, "Vulkan: %s %s (VkResult %d)", what, reason,
               (int) result);
  return FALSE;
}

static gboolean
load_loader (VkaVkFuncs *vk, GError **error)
{
  const char *name = g_getenv ("VKA_VULKAN_LIBRARY");
  if (!name || !*name)
    name = "libvulkan.so.1";
  vk->library = g_module_open (name, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);
  if (!vk->library
      || !g_module_symbol (vk->library, "vkGetInstanceProcAddr",
                           (gpointer *) &vk->GetInstanceProcAddr))
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_NO_LOADER,
                   "cannot load the Vulkan loader %s (%s); install libvulkan1 and "
                   NO_DEVICE_HINT, name, g_module_error ());
      g_clear_pointer (&vk->library, g_module_close);
      return FALSE;
    }
#define LOAD_GLOBAL(fn) \
  vk->fn = (PFN_vk##fn) vk->GetInstanceProcAddr (VK_NULL_HANDLE, "vk" #fn);
  VKA_VK_GLOBAL_FUNCS (LOAD_GLOBAL)
#undef LOAD_GLOBAL
  if (!vk->CreateInstance)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_NO_LOADER,
                   "the Vulkan loader %s does not provide vkCreateInstance", name);
      g_clear_pointer (&vk->library, g_module_close);
      return FALSE;
    }
  return TRUE;
}

static gboolean
has_layer (VkaVkFuncs *vk, const char *layer)
{
  guint32 n = 0;
  vk->EnumerateInstanceLayerProperties (&n, NULL);
  g_autofree VkLayerProperties *props = g_new0 (VkLayerProperties, MAX (n, 1));
  vk->EnumerateInstanceLayerProperties (&n, props);
  for (guint32 i = 0; i < n; i++)
    if (strcmp (props[i].layerName, layer) == 0)
      return TRUE;
  return FALSE;
}

static VKAPI_ATTR VkBool32 VKAPI_CALL
on_debug_message (VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                  VkDebugUtilsMessageTypeFlagsEXT types,
                  const VkDebugUtilsMessengerCallbackDataEXT *data, void *user_data)
{
  VkaVkInstance *inst = user_data;
  if (severity & (VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT
                  | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT))
    {
      g_atomic_int_inc (&inst->validation_messages);
      g_printerr ("vk-adain: Vulkan validation: %s\n", data->pMessage);
    }
  return VK_FALSE;
}

static VkaDeviceType
device_type_of (VkPhysicalDeviceType type)
{
  switch (type)
    {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return VKA_DEVICE_DISCRETE;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return VKA_DEVICE_INTEGRATED;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return VKA_DEVICE_VIRTUAL;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return VKA_DEVICE_CPU;
    default: return VKA_DEVICE_OTHER;
    }
}

static VkaDeviceInfo *
describe_device (VkaVkFuncs *vk, VkPhysicalDevice pd, int index)
{
  VkPhysicalDeviceDriverProperties driver = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES };
  VkPhysicalDeviceProperties2 props2 = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, .pNext = &driver };
  vk->GetPhysicalDeviceProperties2 (pd, &props2);
  VkPhysicalDeviceMemoryProperties mem;
  vk->GetPhysicalDeviceMemoryProperties (pd, &mem);

  VkaDeviceInfo *info = g_new0 (VkaDeviceInfo, 1);
  info->index = index;
  info->name = g_strdup (props2.properties.deviceName);
  info->type = device_type_of (props2.properties.deviceType);
  info->driver = driver.driverName[0]
                   ? g_strdup_printf ("%s %s", driver.driverName, driver.driverInfo)
                   : g_strdup_printf ("driver version 0x%x", props2.properties.driverVersion);
  for (guint32 i = 0; i < mem.memoryHeapCount; i++)
    if (mem.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT)
      info->memory_bytes = MAX (info->memory_bytes, mem.memoryHeaps[i].size);
  return info;
}

VkaVkInstance *
vka_vk_instance_new (gboolean validation, GError **error)
{
  VkaVkInstance *inst = g_new0 (VkaVkInstance, 1);
  VkaVkFuncs *vk = &inst->vk;
  g_autofree VkPhysicalDevice *devices = NULL;
  inst->physical = g_ptr_array_new ();
  inst->infos = g_ptr_array_new_with_free_func ((GDestroyNotify) vka_device_info_free);
  if (!load_loader (vk, error))
    goto fail;

  const char *layers[1] = { "VK_LAYER_KHRONOS_validation" };
  const char *extensions[1] = { VK_EXT_DEBUG_UTILS_EXTENSION_NAME };
  if (validation && !has_layer (vk, layers[0]))
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_NO_DEVICE,
                   "validation was asked for, but %s is not installed "
                   "(Debian: vulkan-validationlayers)", layers[0]);
      goto fail;
    }

  VkApplicationInfo app = {
    .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
    .pApplicationName = "vk-adain",
    .pEngineName = "libvkadain",
    .apiVersion = VK_API_VERSION_1_1,
  };
  VkDebugUtilsMessengerCreateInfoEXT messenger_info = {
    .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
    .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT
                     | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
    .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT
                 | VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT
                 | VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT,
    .pfnUserCallback = on_debug_message,
    .pUserData = inst,
  };
  VkInstanceCreateInfo info = {
    .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
    .pNext = validation ? &messenger_info : NULL,
    .pApplicationInfo = &app,
    .enabledLayerCount = validation ? 1 : 0,
    .ppEnabledLayerNames = layers,
    .enabledExtensionCount = validation ? 1 : 0,
    .ppEnabledExtensionNames = extensions,
  };
  VkResult r = vk->CreateInstance (&info, NULL, &inst->instance);
  if (r == VK_ERROR_INCOMPATIBLE_DRIVER)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_NO_DEVICE,
                   "no Vulkan driver is installed; " NO_DEVICE_HINT);
      goto fail;
    }
  if (!vka_vk_check (r, "creating the instance", error))
    goto fail;

#define LOAD_INSTANCE(fn) \
  vk->fn = (PFN_vk##fn) vk->GetInstanceProcAddr (inst->instance, "vk" #fn);
  VKA_VK_INSTANCE_FUNCS (LOAD_INSTANCE)
  LOAD_INSTANCE (CreateDebugUtilsMessengerEXT)
  LOAD_INSTANCE (DestroyDebugUtilsMessengerEXT)
#undef LOAD_INSTANCE

  if (validation && vk->CreateDebugUtilsMessengerEXT
      && !vka_vk_check (vk->CreateDebugUtilsMessengerEXT (inst->instance, &messenger_info,
                                                          NULL, &inst->messenger),
                        "creating the debug messenger", error))
    goto fail;

  guint32 n = 0;
  r = vk->EnumeratePhysicalDevices (inst->instance, &n, NULL);
  if (r != VK_SUCCESS && r != VK_INCOMPLETE && r != VK_ERROR_INITIALIZATION_FAILED)
    {
      vka_vk_check (r, "listing devices", error);
      goto fail;
    }
  devices = g_new0 (VkPhysicalDevice, MAX (n, 1));
  if (n > 0 && vk->EnumeratePhysicalDevices (inst->instance, &n, devices) < 0)
    n = 0;
  for (guint32 i = 0; i < n; i++)
    {
      g_ptr_array_add (inst->physical, devices[i]);
      g_ptr_array_add (inst->infos, describe_device (vk, devices[i], (int) i));
    }
  if (inst->physical->len == 0)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_NO_DEVICE,
                   "no Vulkan device found; " NO_DEVICE_HINT);
      goto fail;
    }
  return inst;

fail:
  vka_vk_instance_free (inst);
  return NULL;
}

void
vka_vk_instance_free (VkaVkInstance *inst)
{
  if (!inst)
    return;
  VkaVkFuncs *vk = &inst->vk;
  if (inst->messenger)
    vk->DestroyDebugUtilsMessengerEXT (inst->instance, inst->messenger, NULL);
  if (inst->instance)
    vk->DestroyInstance (inst->instance, NULL);
  g_clear_pointer (&vk->library, g_module_close);
  g_ptr_array_unref (inst->physical);
  g_ptr_array_unref (inst->infos);
  g_free (inst);
}
