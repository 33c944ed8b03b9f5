/* backend.c — the Vulkan backend as the op interface sees it: its op
 * table, making it on a device (device.c) and taking it down, and the
 * memory figures the tiling, the tests and the bench read. */
#include "conv3x3.h"
#include "coopmat.h"
#include "device.h"
#include "ops.h"
#include "tensor.h"
#include "vulkan-backend.h"

static guint64
vk_max_tensor_bytes (VkaBackend *backend)
{
  /* a tile's largest activation may take an eighth of the device's memory */
  VkaVkBackend *b = vka_vk_backend (backend);
  guint64 heap = 0;
  for (guint32 i = 0; i < b->mem_props.memoryHeapCount; i++)
    if (b->mem_props.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT)
      heap = MAX (heap, b->mem_props.memoryHeaps[i].size);
  guint64 hard = vka_vk_max_buffer_bytes (b, NULL);
  return heap > 0 ? MIN (hard, heap / 8) : hard;
}

/* Buffers come in size classes of up to 1/16 more (pool.c). */
static guint64
vk_tensor_bytes (VkaBackend *backend, int n, int c, int h, int w)
{
  guint64 bytes = (guint64) n * c * h * w * sizeof (float);
  return MAX (bytes + bytes / 16, 4096);
}

/* Winograd's two scratch buffers, each at most 16 MiB and the larger tensor
 * (winograd.c). */
static guint64
vk_conv_extra_bytes (VkaBackend *backend, int n, int cin, int cout, int h, int w, int k)
{
  guint64 larger = vk_tensor_bytes (backend, n, MAX (cin, cout), h, w);
  return k == 3 ? 2 * MIN (larger, (guint64) 17 << 20) : 0;
}

static void
vk_transfer_stats (VkaBackend *backend, VkaTransferStats *stats)
{
  *stats = vka_vk_backend (backend)->transfers;
}

static void
vk_destroy (VkaBackend *backend)
{
  VkaVkBackend *b = vka_vk_backend (backend);
  if (b->device)
    {
      vka_vk_flush (backend, NULL);
      b->vk->DeviceWaitIdle (b->device);
      vka_vk_ring_destroy (b);   /* every slot retired: nothing is busy */
      for (guint i = 0; i < G_N_ELEMENTS (b->wino_scratch); i++)
        vka_vk_buffer_release (b, &b->wino_scratch[i]);
      vka_vk_pool_drain (b);
      vka_vk_pipelines_destroy (b);
      vka_vk_pipeline_cache_save (b);
      b->vk->DestroyDevice (b->device, NULL);
    }
  g_clear_pointer (&b->pool, g_ptr_array_unref);
  g_free (b->pipeline_cache_path);
  vka_vk_tuning_close (b);
  if (b->coopmat_shapes)
    g_array_unref (b->coopmat_shapes);
  g_free (b);
}

/* The op table: tensors (tensor.c), forward ops (ops.c), training ops
 * (train-ops.c). */
static const VkaBackendOps vulkan_ops = {
  .name = "vulkan",
  .destroy = vk_destroy,
  .tensor_new = vka_vk_tensor_new,
  .tensor_free = vka_vk_tensor_free,
  .tensor_write = vka_vk_tensor_write,
  .tensor_read = vka_vk_tensor_read,
  .read_begin = vka_vk_tensor_read_begin,
  .read_end = vka_vk_tensor_read_end,
  .conv2d = vka_vk_conv2d,
  .maxpool2x2 = vka_vk_maxpool2x2,
  .upsample2x = vka_vk_upsample2x,
  .upsample2x_bilinear = vka_vk_upsample2x_bilinear,
  .conv3x3_upsampled = vka_vk_conv3x3_upsampled,
  .channel_stats = vka_vk_channel_stats,
  .channel_moments = vka_vk_channel_moments,
  .adain = vka_vk_adain,
  .image_to_tensor = vka_vk_image_to_tensor,
  .tensor_to_image = vka_vk_tensor_to_image,
  .mask_blend = vka_vk_mask_blend,
  .max_tensor_bytes = vk_max_tensor_bytes,
  .tensor_bytes = vk_tensor_bytes,
  .conv_extra_bytes = vk_conv_extra_bytes,
  .peak_bytes = vka_vk_backend_peak_bytes,
  .reset_peak = vka_vk_backend_reset_peak,
  .conv2d_backward_data = vka_vk_conv2d_backward_data,
  .conv3x3_backward_weight = vka_vk_conv3x3_backward_weight,
  .relu_backward = vka_vk_relu_backward,
  .maxpool2x2_backward = vka_vk_maxpool2x2_backward,
  .upsample2x_backward = vka_vk_upsample2x_backward,
  .upsample2x_bilinear_backward = vka_vk_upsample2x_bilinear_backward,
  .channel_stats_backward = vka_vk_channel_stats_backward,
  .mse_backward = vka_vk_mse_backward,
  .add = vka_vk_add,
  .optimizer_step = vka_vk_optimizer_step,
  .flush = vka_vk_flush,
  .transfer_stats = vk_transfer_stats,
};

VkaBackend *
vka_vk_backend_new (VkaVkInstance *inst, int index, gboolean guards, GError **error)
{
  VkaVkBackend *b = g_new0 (VkaVkBackend, 1);
  b->base.ops = &vulkan_ops;
  b->inst = inst;
  b->vk = &inst->vk;
  b->guards = guards;
  const char *limit = g_getenv ("VKA_TEST_ALLOC_LIMIT");
  b->fail_alloc_over = limit ? g_ascii_strtoull (limit, NULL, 10) : 0;
  b->staged_only = g_strcmp0 (g_getenv ("VKA_TEST_STAGED"), "1") == 0;
  if (!vka_vk_device_create (b, index, error) || !vka_vk_ring_init (b, error))
    {
      vk_destroy (&b->base);
      return NULL;
    }
  vka_vk_pipeline_cache_open (b);
  vka_vk_tuning_open (b);
  return &b->base;
}

guint64
vka_vk_backend_peak_bytes (VkaBackend *backend)
{
  return vka_vk_backend (backend)->peak_bytes;
}

gboolean
vka_vk_backend_conv3x3_fp16 (VkaBackend *backend)
{
  VkaVkBackend *b = vka_vk_backend (backend);
  return b->conv3x3_fp16 || b->coopmat;
}

char *
vka_vk_backend_coopmat_shapes (VkaBackend *backend)
{
  return vka_vk_coopmat_describe (vka_vk_backend (backend));
}

guint64
vka_vk_backend_reset_peak (VkaBackend *backend)
{
  VkaVkBackend *b = vka_vk_backend (backend);
  vka_vk_flush (backend, NULL);
  vka_vk_pool_drain (b);
  b->peak_bytes = b->bytes_allocated;
  return b->bytes_allocated;
}
