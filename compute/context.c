/* context.c — a context is one backend on one chosen device. */
#include "context-private.h"
#include "vulkan/vk-private.h"

struct VkaContext
{
  VkaVkInstance *instance;   /* NULL for the reference backend */
  VkaBackend    *backend;
  VkaDeviceInfo *info;
};

G_DEFINE_QUARK (vka-error-quark, vka_error)

const char *
vka_device_type_name (VkaDeviceType type)
{
  switch (type)
    {
    case VKA_DEVICE_DISCRETE: return "discrete GPU";
    case VKA_DEVICE_INTEGRATED: return "integrated GPU";
    case VKA_DEVICE_VIRTUAL: return "virtual GPU";
    case VKA_DEVICE_CPU: return "CPU";
    default: return "other";
    }
}

void
vka_device_info_free (VkaDeviceInfo *info)
{
  if (!info)
    return;
  g_free (info->name);
  g_free (info->driver);
  g_free (info);
}

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

GPtrArray *
vka_list_devices (GError **error)
{
  VkaVkInstance *inst = vka_vk_instance_new (FALSE, error);
  if (!inst)
    return NULL;
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) vka_device_info_free);
  for (guint i = 0; i < inst->infos->len; i++)
    g_ptr_array_add (list, device_info_copy (inst->infos->pdata[i]));
  vka_vk_instance_free (inst);
  return list;
}

VkaContext *
vka_context_new_full (const VkaContextConfig *config, GError **error)
{
  const char *choice = config->device ? config->device : g_getenv ("VK_ADAIN_DEVICE");
  gboolean validation = config->validation || env_flag ("VKA_VALIDATION");
  VkaContext *ctx = g_new0 (VkaContext, 1);
  ctx->instance = vka_vk_instance_new (validation, error);
  if (!ctx->instance)
    goto fail;
  int index = vka_vk_instance_choose (ctx->instance, choice, error);
  if (index < 0)
    goto fail;
  ctx->backend = vka_vk_backend_new (ctx->instance, index, config->guards, error);
  if (!ctx->backend)
    goto fail;
  ctx->info = device_info_copy (ctx->instance->infos->pdata[index]);
  return ctx;

fail:
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
    }
  return vka_context_new_full (&config, error);
}

VkaContext *
vka_context_new_reference (void)
{
  VkaContext *ctx = g_new0 (VkaContext, 1);
  ctx->backend = vka_reference_backend_new ();
  ctx->info = g_new0 (VkaDeviceInfo, 1);
  ctx->info->name = g_strdup ("plain-C reference");
  ctx->info->type = VKA_DEVICE_CPU;
  ctx->info->driver = g_strdup ("vk-adain reference ops");
  return ctx;
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
