/* context.c — a context is one backend on one chosen device. */
#include "context-private.h"
#include "vulkan/vulkan-backend.h"
#include "cpu/cpu-backend.h"

#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

struct VkaContext
{
  VkaVkInstance *instance;   /* NULL for the reference and CPU backends */
  VkaBackend    *backend;
  VkaDeviceInfo *info;
};

static VkaDeviceInfo *
device_info_copy (const VkaDeviceInfo *info)
{
  VkaDeviceInfo *copy = g_memdup2 (info, sizeof *info);
  copy->name = g_strdup (info->name);
  copy->driver = g_strdup (info->driver);
  return copy;
}

static gboolean
env_flag (const char *name)
{
  const char *value = g_getenv (name);
  return value && *value && !g_str_equal (value, "0");
}

/* The devices a context can run on: the Vulkan devices in the loader's
 * order, then the oneDNN CPU backend (when built). Either part may be
 * missing; vk_error says why the Vulkan part is. */
typedef struct
{
  VkaVkInstance *instance;
  GError        *vk_error;
  GPtrArray     *infos;       /* VkaDeviceInfo*, index = position */
  int            cpu_index;   /* -1: no CPU backend */
} DeviceList;

static void
device_list_init (DeviceList *list, gboolean validation, int threads)
{
  *list = (DeviceList) { .cpu_index = -1 };
  list->instance = vka_vk_instance_new (validation, &list->vk_error);
  list->infos = g_ptr_array_new_with_free_func ((GDestroyNotify) vka_device_info_free);
  if (list->instance)
    for (guint i = 0; i < list->instance->infos->len; i++)
      g_ptr_array_add (list->infos, device_info_copy (list->instance->infos->pdata[i]));
  VkaDeviceInfo *cpu = vka_cpu_device_info (threads);
  if (cpu)
    {
      cpu->index = list->cpu_index = (int) list->infos->len;
      g_ptr_array_add (list->infos, cpu);
    }
}

static void
device_list_clear (DeviceList *list)
{
  g_clear_pointer (&list->instance, vka_vk_instance_free);
  g_clear_error (&list->vk_error);
  g_clear_pointer (&list->infos, g_ptr_array_unref);
}

/* discrete > integrated > virtual GPU > CPU backend > Vulkan CPU device */
static int
rank (const DeviceList *list, int i)
{
  if (i == list->cpu_index)
    return 3;
  switch (((VkaDeviceInfo *) list->infos->pdata[i])->type)
    {
    case VKA_DEVICE_DISCRETE: return 0;
    case VKA_DEVICE_INTEGRATED: return 1;
    case VKA_DEVICE_VIRTUAL: return 2;
    case VKA_DEVICE_CPU: return 4;
    default: return 5;
    }
}

static int
no_device (DeviceList *list, const char *choice, GError **error)
{
  if (list->vk_error)
    {
      /* the Vulkan error says what to install */
      g_propagate_error (error, g_steal_pointer (&list->vk_error));
      return -1;
    }
  GString *names = g_string_new (NULL);
  for (guint i = 0; i < list->infos->len; i++)
    {
      VkaDeviceInfo *info = list->infos->pdata[i];
      g_string_append_printf (names, "%s%u: %s (%s)", i ? "; " : "", i, info->name,
                              vka_device_type_name (info->type));
    }
  g_set_error (error, VKA_ERROR, VKA_ERROR_NO_DEVICE,
               "no device matches \"%s\"; the devices are: %s", choice, names->str);
  g_string_free (names, TRUE);
  return -1;
}

static int
device_list_choose (DeviceList *list, const char *choice, gboolean vulkan_only,
                    GError **error)
{
  int n = (int) list->infos->len;
  if (!choice || !*choice)
    {
      int best = -1;
      for (int i = 0; i < n; i++)
        if (!(vulkan_only && i == list->cpu_index)
            && (best < 0 || rank (list, i) < rank (list, best)))
          best = i;
      return best >= 0 ? best : no_device (list, "", error);
    }
  if (g_ascii_strcasecmp (choice, "cpu") == 0)
    {
      if (list->cpu_index >= 0)
        return list->cpu_index;
      g_set_error (error, VKA_ERROR, VKA_ERROR_NO_DEVICE,
                   "this vk-adain was built without the CPU backend (oneDNN; "
                   "Debian: libdnnl-dev, then meson -Dcpu_backend=enabled)");
      return -1;
    }
  char *end = NULL;
  gint64 index = g_ascii_strtoll (choice, &end, 10);
  if (end && *end == '\0' && end != choice)
    {
      if (index >= 0 && index < n)
        return (int) index;
      return no_device (list, choice, error);
    }
  g_autofree char *needle = g_utf8_casefold (choice, -1);
  for (int i = 0; i < n; i++)
    {
      g_autofree char *hay = g_utf8_casefold (((VkaDeviceInfo *) list->infos->pdata[i])->name,
                                              -1);
      if (strstr (hay, needle))
        return i;
    }
  return no_device (list, choice, error);
}

GPtrArray *
vka_list_devices (GError **error)
{
  DeviceList list;
  device_list_init (&list, FALSE, 0);
  GPtrArray *infos = NULL;
  if (list.infos->len > 0)
    infos = g_ptr_array_ref (list.infos);
  else
    g_propagate_error (error, g_steal_pointer (&list.vk_error));
  device_list_clear (&list);
  return infos;
}

/* glibc raises its mmap threshold each time a large block is freed, up to
 * 32 MiB; tiles' activations and pixels then come from the heap and stay
 * resident once freed, and a stylisation's peak RSS grew far past its
 * memory budget (1.68 GB against 1.41 GB for a 12 MP picture). A fixed
 * threshold gives large blocks back when they are freed. */
static void
pin_mmap_threshold (void)
{
#ifdef __GLIBC__
  static gsize done = 0;
  if (g_once_init_enter (&done))
    {
      mallopt (M_MMAP_THRESHOLD, 1 << 20);
      g_once_init_leave (&done, 1);
    }
#endif
}

VkaContext *
vka_context_new_full (const VkaContextConfig *config, GError **error)
{
  pin_mmap_threshold ();
  const char *choice = config->device ? config->device : g_getenv ("VK_ADAIN_DEVICE");
  gboolean validation = config->validation || env_flag ("VKA_VALIDATION");
  VkaContext *ctx = g_new0 (VkaContext, 1);
  DeviceList list;
  device_list_init (&list, validation, config->threads);
  int index = device_list_choose (&list, choice, config->vulkan_only, error);
  if (index < 0)
    goto fail;
  if (index == list.cpu_index)
    ctx->backend = vka_cpu_backend_new (config->threads, error);
  else
    {
      ctx->instance = g_steal_pointer (&list.instance);
      ctx->backend = vka_vk_backend_new (ctx->instance, index, config->guards, error);
    }
  if (!ctx->backend)
    goto fail;
  ctx->info = device_info_copy (list.infos->pdata[index]);
  device_list_clear (&list);
  return ctx;

fail:
  device_list_clear (&list);
  vka_context_free (ctx);
  return NULL;
}

VkaContext *
vka_context_new (const VkaContextOptions *options, GError **error)
{
  VkaContextConfig config = { 0 };
  if (options)
    {
      config.device = options->device;
      config.validation = options->validation;
      config.threads = options->threads;
    }
  return vka_context_new_full (&config, error);
}

static VkaContext *
reference_context (VkaBackend *backend, const char *name)
{
  VkaContext *ctx = g_new0 (VkaContext, 1);
  ctx->backend = backend;
  ctx->info = g_new0 (VkaDeviceInfo, 1);
  ctx->info->name = g_strdup (name);
  ctx->info->type = VKA_DEVICE_CPU;
  ctx->info->driver = g_strdup ("vk-adain reference ops");
  return ctx;
}

VkaContext *
vka_context_new_reference (void)
{
  return reference_context (vka_reference_backend_new (), "plain-C reference");
}

VkaContext *
vka_context_new_reference64 (void)
{
  return reference_context (vka_reference64_backend_new (), "plain-C reference (double)");
}

void
vka_context_free (VkaContext *context)
{
  if (!context)
    return;
  vka_backend_free (context->backend);
  vka_vk_instance_free (context->instance);
  vka_device_info_free (context->info);
  g_free (context);
}

const VkaDeviceInfo *
vka_context_device (VkaContext *context)
{
  return context->info;
}

guint
vka_context_validation_messages (VkaContext *context)
{
  return context->instance ? (guint) g_atomic_int_get (&context->instance->validation_messages)
                           : 0;
}

VkaBackend *
vka_context_backend (VkaContext *context)
{
  return context->backend;
}
