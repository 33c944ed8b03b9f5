/* vulkan-backend.h — what the rest of compute/ (the device list), the tests
 * and the bench may ask of the Vulkan backend besides its op table. */
#pragma once

#include "vk-private.h"

/* instance.c: the loader, an instance, and the devices it sees (a
 * VkaDeviceInfo for each, in inst->infos). */
VkaVkInstance *vka_vk_instance_new (gboolean validation, GError **error);
void           vka_vk_instance_free (VkaVkInstance *inst);

/* backend.c: the backend on inst->physical[index]; guards: guard words
 * around every tensor (tests). */
VkaBackend *vka_vk_backend_new (VkaVkInstance *inst, int index, gboolean guards,
                                GError **error);
guint64     vka_vk_backend_peak_bytes (VkaBackend *backend);
/* Whether 3×3 convolutions may run with float16 operands: the fp16 forms,
 * or cooperative matrices (tests loosen their limits). */
gboolean    vka_vk_backend_conv3x3_fp16 (VkaBackend *backend);
/* The cooperative-matrix shapes the device offers, as text; the one the
 * 3×3 kernel runs is marked "(runs)". */
char       *vka_vk_backend_coopmat_shapes (VkaBackend *backend);
/* Finishes queued work, frees the pooled buffers and restarts the peak from
 * what is allocated now, which it returns (weights, live tensors). */
guint64     vka_vk_backend_reset_peak (VkaBackend *backend);

/* ring.c, for tests: submits what is recorded without waiting and returns
 * the number of the last recording (0: none yet); waits until recording
 * serial has run; how many submissions may still be running; the ring's
 * slots. */
guint64     vka_vk_backend_submit (VkaBackend *backend, GError **error);
gboolean    vka_vk_backend_wait (VkaBackend *backend, guint64 serial, GError **error);
guint       vka_vk_backend_pending (VkaBackend *backend);
guint       vka_vk_backend_ring_slots (VkaBackend *backend);

/* conv3x3-choice.c: the kernel a 3×3 convolution of this shape runs now
 * (tuned, or the variant's default), for tests and the bench. */
const char *vka_vk_backend_conv3x3_kernel (VkaBackend *backend, int batch, int in_channels,
                                           int out_channels, int height, int width,
                                           gboolean upsampled);

/* tensor.c: the guard zones of a tensor made with guards: FALSE (with
 * error) if any guard word changed. */
gboolean    vka_vk_tensor_check_guards (VkaTensor *tensor, GError **error);
