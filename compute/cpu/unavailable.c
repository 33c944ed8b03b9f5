/* unavailable.c — the CPU backend's entry points in a build without oneDNN
 * (-Dcpu_backend=disabled, or libdnnl-dev missing with auto), so that nothing
 * above needs an #if. */
#include "cpu-backend.h"

VkaBackend *
vka_cpu_backend_new (int threads, GError **error)
{
  g_set_error (error, VKA_ERROR, VKA_ERROR_NO_DEVICE,
               "this vk-adain was built without the CPU backend (oneDNN, "
               "Debian: libdnnl-dev; meson -Dcpu_backend=enabled)");
  return NULL;
}

VkaDeviceInfo *
vka_cpu_device_info (int threads)
{
  return NULL;
}

guint64
vka_cpu_backend_peak_bytes (VkaBackend *backend)
{
  return 0;
}

guint64
vka_cpu_backend_reset_peak (VkaBackend *backend)
{
  return 0;
}

void
vka_cpu_backend_profile_reset (VkaBackend *backend)
{
}
