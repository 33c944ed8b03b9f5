/* device-info.c — the device descriptions that the backends make and the
 * device list (context.c) hands out. */
#include "vka.h"

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
