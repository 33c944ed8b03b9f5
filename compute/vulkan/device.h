/* device.h — making the logical device (device.c), for backend.c. */
#pragma once

#include "vk-private.h"

/* Fills b's physical-device fields for inst->physical[index], chooses its
 * 3×3 variant and precision, and makes the device (b->device, with only
 * the features those need) and its queue, with the device's entry points
 * loaded into b->vk. b->inst and b->vk must be set. */
gboolean vka_vk_device_create (VkaVkBackend *b, int index, GError **error);

/* Whether the physical device b->physical lists the extension. */
gboolean vka_vk_has_device_extension (VkaVkBackend *b, const char *name);
