/* test-device.c — device listing and choice (the Vulkan devices, then the
 * oneDNN CPU backend), the automatic order, and the documented errors when
 * there is no Vulkan loader, no driver, or no matching device. Cases that
 * change the environment run in a subprocess. */
#include "test-util.h"
#include "vulkan/vulkan-backend.h"
#include "cpu/cpu-backend.h"

#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

static void
test_list (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) devices = vka_list_devices (&error);
  g_assert_no_error (error);
  g_assert_cmpuint (devices->len, >, 0);
  for (guint i = 0; i < devices->len; i++)
    {
      VkaDeviceInfo *info = devices->pdata[i];
      g_assert_cmpint (info->index, ==, (int) i);
      g_assert_cmpstr (info->name, !=, "");
      g_assert_nonnull (info->driver);
      g_test_message ("%d: %s, %s, %s, %" G_GUINT64_FORMAT " MiB", info->index, info->name,
                      vka_device_type_name (info->type), info->driver,
                      info->memory_bytes >> 20);
    }
  /* the CPU backend comes last, after the Vulkan devices */
  VkaDeviceInfo *last = devices->pdata[devices->len - 1];
  if (VKA_HAVE_CPU_BACKEND)
    {
      g_assert_true (g_str_has_prefix (last->name, "CPU (oneDNN "));
      g_assert_cmpint (last->type, ==, VKA_DEVICE_CPU);
    }
}

static gboolean
is_gpu (VkaDeviceType type)
{
  return type == VKA_DEVICE_DISCRETE || type == VKA_DEVICE_INTEGRATED
         || type == VKA_DEVICE_VIRTUAL;
}

/* discrete > integrated > virtual GPU > CPU backend > Vulkan CPU device */
static void
test_automatic_order (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) devices = vka_list_devices (&error);
  g_assert_no_error (error);
  VkaDeviceInfo *best_gpu = NULL;
  for (guint i = 0; i < devices->len; i++)
    {
      VkaDeviceInfo *info = devices->pdata[i];
      if (is_gpu (info->type) && (!best_gpu || info->type < best_gpu->type))
        best_gpu = info;
    }
  VkaContextConfig config = { .device = "" };
  g_autoptr (VkaContext) ctx = vka_context_new_full (&config, &error);
  g_assert_no_error (error);
  const char *chosen = vka_context_device (ctx)->name;
  const char *backend = vka_context_backend (ctx)->ops->name;
  g_test_message ("automatic choice: %s (%s backend)", chosen, backend);
  if (best_gpu)
    g_assert_cmpstr (chosen, ==, best_gpu->name);
  else if (VKA_HAVE_CPU_BACKEND)
    g_assert_cmpstr (backend, ==, "cpu");
  else
    g_assert_cmpstr (backend, ==, "vulkan");
}

/* "cpu" forces the CPU backend, a thread count shows in its name, and
 * "llvmpipe" (a name substring) still picks lavapipe. */
static void
test_choose_cpu (void)
{
  if (!VKA_HAVE_CPU_BACKEND)
    {
      g_autoptr (GError) error = NULL;
      VkaContextConfig config = { .device = "cpu" };
      g_assert_null (vka_context_new_full (&config, &error));
      g_assert_error (error, VKA_ERROR, VKA_ERROR_NO_DEVICE);
      g_test_skip ("built without the CPU backend");
      return;
    }
  g_autoptr (GError) error = NULL;
  VkaContextConfig config = { .device = "CPU", .threads = 1 };
  g_autoptr (VkaContext) ctx = vka_context_new_full (&config, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vka_context_backend (ctx)->ops->name, ==, "cpu");
  g_assert_nonnull (strstr (vka_context_device (ctx)->name, ", 1 thread, "));
  g_assert_cmpint (vka_context_device (ctx)->type, ==, VKA_DEVICE_CPU);

  g_autoptr (GPtrArray) devices = vka_list_devices (&error);
  g_assert_no_error (error);
  for (guint i = 0; i + 1 < devices->len; i++)
    {
      VkaDeviceInfo *info = devices->pdata[i];
      if (!strstr (info->name, "llvmpipe"))
        continue;
      VkaContextConfig lvp = { .device = "llvmpipe" };
      g_autoptr (VkaContext) c = vka_context_new_full (&lvp, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (vka_context_backend (c)->ops->name, ==, "vulkan");
      g_assert_cmpstr (vka_context_device (c)->name, ==, info->name);
    }
}

static void
test_choose_by_index_and_name (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) devices = vka_list_devices (&error);
  g_assert_no_error (error);
  VkaDeviceInfo *last = devices->pdata[devices->len - 1];
  g_autofree char *index = g_strdup_printf ("%d", last->index);
  VkaContextConfig by_index = { .device = index, .validation = TRUE };
  g_autoptr (VkaContext) a = vka_context_new_full (&by_index, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vka_context_device (a)->name, ==, last->name);

  /* a case-insensitive substring of the name */
  g_autofree char *upper = g_ascii_strup (last->name, 5);
  VkaContextConfig by_name = { .device = upper, .validation = TRUE };
  g_autoptr (VkaContext) b = vka_context_new_full (&by_name, &error);
  g_assert_no_error (error);
  g_assert_true (g_ascii_strncasecmp (vka_context_device (b)->name, upper, 5) == 0);
  g_assert_cmpuint (vka_context_validation_messages (a), ==, 0);
  g_assert_cmpuint (vka_context_validation_messages (b), ==, 0);
}

static void
test_bad_choice (void)
{
  g_autoptr (GError) error = NULL;
  VkaContextConfig config = { .device = "no-such-gpu-anywhere" };
  g_autoptr (VkaContext) ctx = vka_context_new_full (&config, &error);
  g_assert_null (ctx);
  g_assert_error (error, VKA_ERROR, VKA_ERROR_NO_DEVICE);
  g_assert_true (g_str_has_prefix (error->message,
                                   "no device matches \"no-such-gpu-anywhere\"; "
                                   "the devices are: 0: "));
  g_clear_error (&error);

  config.device = "99";
  ctx = vka_context_new_full (&config, &error);
  g_assert_null (ctx);
  g_assert_error (error, VKA_ERROR, VKA_ERROR_NO_DEVICE);
}

/* Without Vulkan the automatic choice falls back to the CPU backend (when
 * built); asking for lavapipe by name gives the error that says what to
 * install. */
static void
expect_context_error (int code, const char *needle)
{
  g_autoptr (GError) error = NULL;
  if (VKA_HAVE_CPU_BACKEND)
    {
      g_autoptr (VkaContext) cpu = vka_context_new (NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (vka_context_backend (cpu)->ops->name, ==, "cpu");
    }
  VkaContextOptions options = { .device = VKA_HAVE_CPU_BACKEND ? "llvmpipe" : NULL };
  g_autoptr (VkaContext) ctx = vka_context_new (&options, &error);
  g_assert_null (ctx);
  g_assert_error (error, VKA_ERROR, code);
  g_printerr ("%s\n", error->message);
  g_assert_nonnull (strstr (error->message, needle));
}

static void
test_no_loader (void)
{
  if (g_test_subprocess ())
    {
      g_setenv ("VKA_VULKAN_LIBRARY", "libvulkan-that-is-not-installed.so.1", TRUE);
      g_unsetenv ("VKA_VALIDATION");
      expect_context_error (VKA_ERROR_NO_LOADER, "install libvulkan1");
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*cannot load the Vulkan loader*");
}

static void
test_no_driver (void)
{
  if (g_test_subprocess ())
    {
      g_setenv ("VK_DRIVER_FILES", "/nonexistent/vk-adain-test-icd.json", TRUE);
      g_setenv ("VK_ICD_FILENAMES", "/nonexistent/vk-adain-test-icd.json", TRUE);
      g_unsetenv ("VKA_VALIDATION");
      expect_context_error (VKA_ERROR_NO_DEVICE, "mesa-vulkan-drivers");
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* $VKA_FP16: the fp16 forms are off unless asked for; asked for, they are on
 * where the device has what the kernel needs, else the context fails with an
 * error that says so; any other value is an error. */
/* Puts an environment variable back as it was (saved: its value, or NULL). */
static void
restore_env (const char *name, const char *saved)
{
  if (saved)
    g_setenv (name, saved, TRUE);
  else
    g_unsetenv (name);
}

static void
test_fp16_choice (void)
{
  g_autofree char *saved_variant = g_strdup (g_getenv ("VKA_CONV3X3"));
  g_autofree char *saved_fp16 = g_strdup (g_getenv ("VKA_FP16"));
  const char *variants[] = { "winograd", "gemm" };
  const char *values[] = { NULL, "0", "1" };
  VkaContextConfig config = { .validation = TRUE, .vulkan_only = TRUE };
  for (guint i = 0; i < G_N_ELEMENTS (variants); i++)
    for (guint v = 0; v < G_N_ELEMENTS (values); v++)
      {
        g_setenv ("VKA_CONV3X3", variants[i], TRUE);
        if (values[v])
          g_setenv ("VKA_FP16", values[v], TRUE);
        else
          g_unsetenv ("VKA_FP16");
        g_autoptr (GError) error = NULL;
        VkaContext *ctx = vka_context_new_full (&config, &error);
        gboolean asked = g_strcmp0 (values[v], "1") == 0;
        if (!ctx)
          {
            g_assert_true (asked);
            g_assert_error (error, VKA_ERROR, VKA_ERROR_NO_DEVICE);
            g_assert_nonnull (strstr (error->message, "VKA_FP16=1, but"));
            g_test_message ("%s: %s", variants[i], error->message);
            continue;
          }
        g_assert_no_error (error);
        g_assert_cmpint (vka_vk_backend_conv3x3_fp16 (vka_context_backend (ctx)), ==, asked);
        test_context_finish (ctx);
      }
  g_setenv ("VKA_FP16", "yes", TRUE);
  g_autoptr (GError) error = NULL;
  g_assert_null (vka_context_new_full (&config, &error));
  g_assert_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "VKA_FP16"));

  restore_env ("VKA_CONV3X3", saved_variant);
  restore_env ("VKA_FP16", saved_fp16);
}

/* $VKA_CONV3X3=coopmat: a device that offers VK_KHR_cooperative_matrix (and
 * a build with the shaders) runs it, with the fp16 limits, and says which
 * shape; elsewhere the context fails with an error that says what is
 * missing (CI's coopmat suite sets $VKA_TEST_REQUIRE_COOPMAT=1: it must
 * run). With $VKA_FP16=0 it is refused; a forced other kernel and the CPU
 * drivers' defaults (no tuning) leave it out. */
static void
test_coopmat_choice (void)
{
  g_autofree char *saved_variant = g_strdup (g_getenv ("VKA_CONV3X3"));
  g_autofree char *saved_fp16 = g_strdup (g_getenv ("VKA_FP16"));
  VkaContextConfig config = { .validation = TRUE, .vulkan_only = TRUE };
  g_setenv ("VKA_CONV3X3", "coopmat", TRUE);
  g_unsetenv ("VKA_FP16");
  g_autoptr (GError) error = NULL;
  VkaContext *ctx = vka_context_new_full (&config, &error);
  if (ctx)
    {
      VkaBackend *b = vka_context_backend (ctx);
      g_autofree char *shapes = vka_vk_backend_coopmat_shapes (b);
      g_test_message ("cooperative matrices: %s", shapes);
      g_assert_nonnull (strstr (shapes, "f16*f16+f32->f32 (runs)"));
      g_assert_true (vka_vk_backend_conv3x3_fp16 (b));
      g_assert_cmpstr (vka_vk_backend_conv3x3_kernel (b, 1, 64, 64, 32, 32, FALSE), ==,
                       "coopmat");
      test_context_finish (ctx);
    }
  else
    {
      g_test_message ("%s", error->message);
      g_assert_true (test_coopmat_missing (error));
      g_assert_nonnull (strstr (error->message, "VKA_CONV3X3=coopmat, but"));
      g_clear_error (&error);
    }

  g_setenv ("VKA_FP16", "0", TRUE);
  g_assert_null (vka_context_new_full (&config, &error));
  g_assert_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_unsetenv ("VKA_FP16");
  const char *others[] = { "gemm", NULL };
  for (guint i = 0; i < G_N_ELEMENTS (others); i++)
    {
      if (others[i])
        g_setenv ("VKA_CONV3X3", others[i], TRUE);
      else
        g_unsetenv ("VKA_CONV3X3");
      g_setenv ("VKA_TUNE", "0", TRUE);
      ctx = vka_context_new_full (&config, &error);
      g_unsetenv ("VKA_TUNE");
      g_assert_no_error (error);
      VkaBackend *b = vka_context_backend (ctx);
      g_assert_false (vka_vk_backend_conv3x3_fp16 (b));
      g_assert_cmpstr (vka_vk_backend_conv3x3_kernel (b, 1, 64, 64, 32, 32, FALSE), !=,
                       "coopmat");
      test_context_finish (ctx);
    }

  restore_env ("VKA_CONV3X3", saved_variant);
  restore_env ("VKA_FP16", saved_fp16);
}

/* The messenger must really count: make the layer complain on purpose. */
static void
test_validation_counts (void)
{
  VkaContext *ctx = test_vulkan_context ();
  VkaVkBackend *b = (VkaVkBackend *) vka_context_backend (ctx);
  VkBufferCreateInfo info = {
    .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
    .size = 0,   /* VUID-VkBufferCreateInfo-size-00912 */
    .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
  };
  VkBuffer buffer = VK_NULL_HANDLE;
  g_assert_cmpuint (vka_context_validation_messages (ctx), ==, 0);
  b->vk->CreateBuffer (b->device, &info, NULL, &buffer);
  if (buffer)
    b->vk->DestroyBuffer (b->device, buffer, NULL);
  g_assert_cmpuint (vka_context_validation_messages (ctx), >, 0);
  vka_context_free (ctx);
}

static void
test_too_large (void)
{
  VkaContext *ctx = test_vulkan_context ();
  VkaVkBackend *b = (VkaVkBackend *) vka_context_backend (ctx);
  guint64 range = b->props.limits.maxStorageBufferRange;
  int side = (int) (sqrt ((double) range / 4 / 64) + 2);
  g_autoptr (GError) error = NULL;
  VkaTensor *t = vka_tensor_new (vka_context_backend (ctx), 1, 64, side, side, &error);
  g_assert_null (t);
  g_assert_error (error, VKA_ERROR, VKA_ERROR_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, "use a smaller tile"));
  test_context_finish (ctx);
}

static void
test_pipeline_cache_written (void)
{
  g_autofree char *dir = g_dir_make_tmp ("vka-cache-XXXXXX", NULL);
  g_setenv ("XDG_CACHE_HOME", dir, TRUE);
  /* GLib caches the user dirs: only a subprocess sees the new value */
  if (g_test_subprocess ())
    return;
  g_test_trap_subprocess ("/device/pipeline-cache/child", 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
  g_autofree char *sub = g_build_filename (dir, "vk-adain", NULL);
  g_autoptr (GDir) d = g_dir_open (sub, 0, NULL);
  g_assert_nonnull (d);
  const char *name = g_dir_read_name (d);
  g_assert_nonnull (name);
  g_assert_true (g_str_has_prefix (name, "pipelines-"));
  g_autofree char *path = g_build_filename (sub, name, NULL);
  GStatBuf st;
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_size, >, 0);
  g_remove (path);
  g_rmdir (sub);
  g_rmdir (dir);
}

static void
pipeline_cache_child (void)
{
  if (!g_test_subprocess ())
    return;
  VkaContext *ctx = test_vulkan_context ();
  VkaBackend *b = vka_context_backend (ctx);
  g_autoptr (GError) error = NULL;
  float data[4] = { 1, 2, 3, 4 };
  VkaTensor *in = test_tensor (b, 1, 1, 2, 2, data);
  VkaTensor *out = test_tensor (b, 1, 1, 4, 4, NULL);
  b->ops->upsample2x (b, in, out, &error);
  g_assert_no_error (error);
  vka_backend_flush (b, &error);
  g_assert_no_error (error);
  vka_tensor_free (in);
  vka_tensor_free (out);
  test_context_finish (ctx);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/device/list", test_list);
  g_test_add_func ("/device/choose", test_choose_by_index_and_name);
  g_test_add_func ("/device/automatic-order", test_automatic_order);
  g_test_add_func ("/device/choose-cpu", test_choose_cpu);
  g_test_add_func ("/device/bad-choice", test_bad_choice);
  g_test_add_func ("/device/no-loader", test_no_loader);
  g_test_add_func ("/device/no-driver", test_no_driver);
  g_test_add_func ("/device/validation-counts", test_validation_counts);
  g_test_add_func ("/device/fp16-choice", test_fp16_choice);
  g_test_add_func ("/device/coopmat-choice", test_coopmat_choice);
  g_test_add_func ("/device/too-large", test_too_large);
  g_test_add_func ("/device/pipeline-cache", test_pipeline_cache_written);
  g_test_add_func ("/device/pipeline-cache/child", pipeline_cache_child);
  return g_test_run ();
}
