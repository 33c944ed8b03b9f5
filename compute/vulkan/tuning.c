/* tuning.c — which 3×3 kernel each layer shape runs fastest on this device,
 * found by timing every candidate (conv3x3.c) on the layer's first real
 * convolution and kept in the user's cache, a file per device, driver and
 * shader build:
 *
 *   [device]
 *   name=NVIDIA H200
 *   shaders=<SHA-1 of the embedded SPIR-V>
 *   [conv3x3]
 *   c256-256-p15=gemm8 (direct 0.412 ms, gemm4 0.170 ms, gemm8 0.121 ms, winograd 0.233 ms)
 *
 * A key is the channels in and out, "-up" for the form with the ×2
 * upsampling folded in, the output's pixel count (batch included) rounded
 * up to a power of two, "-f16" for the kernels' fp16 forms ($VKA_FP16), and
 * "-cm" where the cooperative-matrix kernel is a candidate.
 * The first word of a value is the kernel; the rest is what was measured,
 * for people reading the file. */
#include "conv3x3.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#define GROUP_DEVICE  "device"
#define GROUP_CONV3X3 "conv3x3"

/* A timing repeats the convolution until about this much work is queued
 * (so that the submit-and-wait overhead stays small), at most MAX_REPS. */
#define TIMED_MS 4.0
#define MAX_REPS 32

/* Measurements made with other shaders are worthless: the file names the
 * build's SPIR-V by its hash. */
static char *
shaders_fingerprint (void)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA1);
  for (guint i = 0; i < VKA_SHADER_COUNT; i++)
    g_checksum_update (sum, (const guchar *) vka_shader_blobs[i].code,
                       (gssize) vka_shader_blobs[i].size_bytes);
  return g_strdup (g_checksum_get_string (sum));
}

gboolean
vka_vk_tuning_wanted (VkaVkBackend *b)
{
  const char *forced = g_getenv ("VKA_CONV3X3");
  if (forced && *forced)
    return FALSE;
  const char *tune = g_getenv ("VKA_TUNE");
  if (tune && *tune)
    return !g_str_equal (tune, "0");
  return b->props.deviceType != VK_PHYSICAL_DEVICE_TYPE_CPU;
}

void
vka_vk_tuning_open (VkaVkBackend *b)
{
  b->tuning = vka_vk_tuning_wanted (b);
  if (!b->tuning)
    return;
  char uuid[2 * VK_UUID_SIZE + 1];
  for (guint i = 0; i < VK_UUID_SIZE; i++)
    g_snprintf (uuid + 2 * i, 3, "%02x", b->props.pipelineCacheUUID[i]);
  g_autofree char *name = g_strdup_printf ("tuning-%04x-%04x-%08x-%s.ini",
                                           b->props.vendorID, b->props.deviceID,
                                           b->props.driverVersion, uuid);
  b->tuning_path = g_build_filename (g_get_user_cache_dir (), "vk-adain", name, NULL);
  g_autofree char *shaders = shaders_fingerprint ();

  b->tuned = g_key_file_new ();
  g_autoptr (GError) error = NULL;
  if (!g_key_file_load_from_file (b->tuned, b->tuning_path, G_KEY_FILE_NONE, &error)
      && !g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    g_debug ("%s: %s; measuring again", b->tuning_path, error->message);
  g_autofree char *made_with = g_key_file_get_string (b->tuned, GROUP_DEVICE, "shaders",
                                                      NULL);
  if (g_strcmp0 (made_with, shaders) != 0)
    {
      g_key_file_unref (b->tuned);
      b->tuned = g_key_file_new ();
    }
  g_key_file_set_string (b->tuned, GROUP_DEVICE, "name", b->props.deviceName);
  g_key_file_set_string (b->tuned, GROUP_DEVICE, "shaders", shaders);
}

void
vka_vk_tuning_close (VkaVkBackend *b)
{
  g_clear_pointer (&b->tuned, g_key_file_unref);
  g_clear_pointer (&b->tuning_path, g_free);
}

static char *
shape_key (VkaVkBackend *b, const VkaPushConv *pc, gboolean upsampled)
{
  guint64 pixels = (guint64) pc->batch * pc->height * pc->width;
  return g_strdup_printf ("c%u-%u%s-p%u%s%s", pc->in_channels, pc->out_channels,
                          upsampled ? "-up" : "", g_bit_storage (MAX (pixels, 2) - 1),
                          b->conv3x3_fp16 ? "-f16" : "", b->coopmat ? "-cm" : "");
}

gboolean
vka_vk_tuned_kernel (VkaVkBackend *b, const VkaPushConv *pc, gboolean upsampled,
                     VkaVkConv3x3Kernel *kernel)
{
  if (!b->tuned)
    return FALSE;
  g_autofree char *key = shape_key (b, pc, upsampled);
  g_autofree char *value = g_key_file_get_string (b->tuned, GROUP_CONV3X3, key, NULL);
  if (!value)
    return FALSE;
  value[strcspn (value, " ")] = '\0';
  for (VkaVkConv3x3Kernel k = 0; k < VKA_VK_KERNEL_COUNT; k++)
    if (g_str_equal (value, vka_vk_kernel_name (k)))
      {
        *kernel = k;
        return TRUE;
      }
  return FALSE;   /* an unknown kernel: measured again */
}

/* Runs the convolution reps times in one submission; *ms is the time a
 * run took, from submit to finish. */
static gboolean
time_runs (VkaVkBackend *b, VkaVkConv3x3Kernel kernel, gboolean upsampled, VkaTensor *in,
           VkaVkBuffer *packed, VkaTensor *bias, VkaTensor *out, const VkaPushConv *pc,
           int reps, double *ms, GError **error)
{
  for (int i = 0; i < reps; i++)
    if (!vka_vk_conv3x3_dispatch (b, kernel, upsampled, in, packed, bias, out, pc, error))
      return FALSE;
  gint64 start = g_get_monotonic_time ();
  if (!vka_vk_flush (&b->base, error))
    return FALSE;
  *ms = (double) (g_get_monotonic_time () - start) / 1000.0 / reps;
  return TRUE;
}

/* One kernel's time for this convolution: an untimed first run (which
 * packs the weights and, on some drivers, compiles the shader), a timed
 * one, and unless that was already far slower than the best so far,
 * enough runs in one submission to measure. */
static gboolean
time_kernel (VkaVkBackend *b, VkaVkConv3x3Kernel kernel, gboolean upsampled, VkaTensor *in,
             VkaTensor *weight, VkaTensor *bias, VkaTensor *out, const VkaPushConv *pc,
             double best, double *ms, GError **error)
{
  VkaVkBuffer packed = { 0 };
  double warm, once = 0.0, again = 0.0;
  gboolean ok = vka_vk_conv3x3_pack (b, kernel, weight, pc, &packed, error)
                && time_runs (b, kernel, upsampled, in, &packed, bias, out, pc, 1, &warm,
                              error)
                && time_runs (b, kernel, upsampled, in, &packed, bias, out, pc, 1, &once,
                              error);
  *ms = once;
  if (ok && once < 3.0 * best)
    {
      int reps = (int) CLAMP (ceil (TIMED_MS / MAX (once, 1e-3)), 1, MAX_REPS);
      ok = time_runs (b, kernel, upsampled, in, &packed, bias, out, pc, reps, &again, error);
      *ms = MIN (once, again);
    }
  vka_vk_buffer_release (b, &packed);
  return ok;
}

static void
save (VkaVkBackend *b)
{
  g_autofree char *dir = g_path_get_dirname (b->tuning_path);
  g_autoptr (GError) error = NULL;
  /* best effort: a file that cannot be written only means measuring again */
  if (g_mkdir_with_parents (dir, 0700) != 0
      || !g_key_file_save_to_file (b->tuned, b->tuning_path, &error))
    g_debug ("cannot keep the 3×3 kernel timings in %s: %s", b->tuning_path,
             error ? error->message : g_strerror (errno));
}

gboolean
vka_vk_tune_conv3x3 (VkaVkBackend *b, gboolean upsampled, VkaTensor *in, VkaTensor *weight,
                     VkaTensor *bias, VkaTensor *out, const VkaPushConv *pc,
                     VkaVkConv3x3Kernel *kernel, GError **error)
{
  /* the work queued so far must not count against the first candidate */
  if (!vka_vk_flush (&b->base, error))
    return FALSE;
  g_autoptr (GString) measured = g_string_new (NULL);
  g_autoptr (GError) failure = NULL;
  double best = INFINITY;
  for (VkaVkConv3x3Kernel k = 0; k < VKA_VK_KERNEL_COUNT; k++)
    {
      if (!vka_vk_conv3x3_fits (b, k, vka_tensor_numel (in), vka_tensor_numel (out)))
        continue;
      double ms;
      g_clear_error (&failure);
      if (!time_kernel (b, k, upsampled, in, weight, bias, out, pc, best, &ms, &failure))
        {
          /* a kernel this layer is too large for is no candidate */
          g_debug ("3×3 kernel %s on %u→%u channels, %u×%u: %s", vka_vk_kernel_name (k),
                   pc->in_channels, pc->out_channels, pc->width, pc->height,
                   failure->message);
          vka_vk_flush (&b->base, NULL);
          continue;
        }
      g_string_append_printf (measured, "%s%s %.3f ms", measured->len ? ", " : "",
                              vka_vk_kernel_name (k), ms);
      if (ms < best)
        {
          best = ms;
          *kernel = k;
        }
    }
  if (isinf (best))
    {
      if (failure)
        g_propagate_error (error, g_steal_pointer (&failure));
      else
        g_set_error (error, VKA_ERROR, VKA_ERROR_TOO_LARGE,
                     "no 3×3 kernel can bind a %u×%u map of %u→%u channels",
                     pc->width, pc->height, pc->in_channels, pc->out_channels);
      return FALSE;
    }
  g_autofree char *key = shape_key (b, pc, upsampled);
  g_autofree char *value = g_strdup_printf ("%s (%s)", vka_vk_kernel_name (*kernel),
                                            measured->str);
  g_key_file_set_string (b->tuned, GROUP_CONV3X3, key, value);
  save (b);
  return TRUE;
}
