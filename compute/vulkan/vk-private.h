/* vk-private.h — what every file of the Vulkan backend shares: the entry
 * points loaded at run time, the instance, buffers, the backend's state,
 * and the core below the ops (instance.c, pool.c, commands.c, memory.c,
 * pipelines.c). Each piece above that has its own header: tensor.h,
 * conv3x3.h, ops.h, device.h; vulkan-backend.h is what the rest of
 * compute/ (and the tests) may call. */
#pragma once

#define VK_NO_PROTOTYPES
#include <vulkan/vulkan.h>

#include "backend.h"
#include "vka-shaders.h"
#include "push-constants.h"

#define CEIL_DIV(a, b) (((a) + (b) - 1) / (b))

/* Every Vulkan entry point we call, loaded at run time (so a machine without
 * a Vulkan loader gets an error message instead of failing to start). */
#define VKA_VK_GLOBAL_FUNCS(X) \
  X (CreateInstance) \
  X (EnumerateInstanceLayerProperties) \
  X (EnumerateInstanceExtensionProperties)

#define VKA_VK_INSTANCE_FUNCS(X) \
  X (DestroyInstance) \
  X (EnumeratePhysicalDevices) \
  X (GetPhysicalDeviceProperties) \
  X (GetPhysicalDeviceProperties2) \
  X (GetPhysicalDeviceFeatures2) \
  X (GetPhysicalDeviceFormatProperties) \
  X (EnumerateDeviceExtensionProperties) \
  X (GetPhysicalDeviceMemoryProperties) \
  X (GetPhysicalDeviceQueueFamilyProperties) \
  X (CreateDevice) \
  X (GetDeviceProcAddr)

#define VKA_VK_DEVICE_FUNCS(X) \
  X (DestroyDevice) \
  X (GetDeviceQueue) \
  X (CreateBuffer) \
  X (DestroyBuffer) \
  X (GetBufferMemoryRequirements) \
  X (AllocateMemory) \
  X (FreeMemory) \
  X (BindBufferMemory) \
  X (MapMemory) \
  X (UnmapMemory) \
  X (CreateShaderModule) \
  X (DestroyShaderModule) \
  X (CreatePipelineCache) \
  X (DestroyPipelineCache) \
  X (GetPipelineCacheData) \
  X (CreateComputePipelines) \
  X (DestroyPipeline) \
  X (CreatePipelineLayout) \
  X (DestroyPipelineLayout) \
  X (CreateDescriptorSetLayout) \
  X (DestroyDescriptorSetLayout) \
  X (CreateDescriptorPool) \
  X (DestroyDescriptorPool) \
  X (ResetDescriptorPool) \
  X (AllocateDescriptorSets) \
  X (UpdateDescriptorSets) \
  X (CreateCommandPool) \
  X (DestroyCommandPool) \
  X (AllocateCommandBuffers) \
  X (ResetCommandBuffer) \
  X (BeginCommandBuffer) \
  X (EndCommandBuffer) \
  X (CmdBindPipeline) \
  X (CmdBindDescriptorSets) \
  X (CmdPushConstants) \
  X (CmdDispatch) \
  X (CmdPipelineBarrier) \
  X (CmdCopyBuffer) \
  X (CmdFillBuffer) \
  X (QueueSubmit) \
  X (CreateFence) \
  X (CreateBufferView) \
  X (DestroyBufferView) \
  X (DestroyFence) \
  X (WaitForFences) \
  X (ResetFences) \
  X (DeviceWaitIdle)

#define VKA_VK_DECLARE(name) PFN_vk##name name;

typedef struct
{
  GModule                 *library;
  PFN_vkGetInstanceProcAddr GetInstanceProcAddr;
  VKA_VK_GLOBAL_FUNCS (VKA_VK_DECLARE)
  VKA_VK_INSTANCE_FUNCS (VKA_VK_DECLARE)
  PFN_vkCreateDebugUtilsMessengerEXT CreateDebugUtilsMessengerEXT;   /* may be NULL */
  PFN_vkDestroyDebugUtilsMessengerEXT DestroyDebugUtilsMessengerEXT; /* may be NULL */
  VKA_VK_DEVICE_FUNCS (VKA_VK_DECLARE)
} VkaVkFuncs;

/* An instance with the physical devices it sees. */
typedef struct
{
  VkaVkFuncs               vk;
  VkInstance               instance;
  VkDebugUtilsMessengerEXT messenger;
  gint                     validation_messages;
  GPtrArray               *physical;   /* VkPhysicalDevice (as pointers) */
  GPtrArray               *infos;      /* VkaDeviceInfo*, same order */
} VkaVkInstance;

/* instance.c (vka_vk_instance_new and _free: vulkan-backend.h) */
gboolean       vka_vk_check (VkResult result, const char *what, GError **error);

/* What each shader binds and pushes (VkaVkBindingKind, VkaVkKernelSpec,
 * vka_vk_kernel_specs) is in vka-shaders.h, generated with the shaders from
 * shader_table in shaders/meson.build. */

/* What a buffer is for, which decides its memory type (pool.c). */
typedef enum
{
  VKA_VK_USE_TENSOR,         /* device-local; mapped only where that costs nothing */
  VKA_VK_USE_TENSOR_MAPPED,  /* always host-visible (guard words need it) */
  VKA_VK_USE_UPLOAD,         /* host writes, device reads once */
  VKA_VK_USE_READBACK,       /* device writes, host reads */
} VkaVkBufferUse;

/* A device buffer; tensors own one. */
typedef struct
{
  VkBuffer       buffer;
  VkDeviceMemory memory;
  void          *mapped;   /* non-NULL when host-visible */
  VkDeviceSize   offset;   /* where the payload starts (after a guard zone) */
  VkDeviceSize   bytes;    /* payload size */
  VkDeviceSize   total;    /* allocated size (a size class: see pool.c) */
  VkaVkBufferUse use;      /* what it was made for */
  VkBufferView   views[VKA_VK_BINDING_KINDS]; /* by kind, made on first use */
  gboolean       in_flight; /* pooled: released while recorded commands may
                             * still use it, so until the next flush only
                             * those commands' successors may touch it */
  guint64        used_in;   /* the recording (VkaVkBackend.serial) whose
                             * commands last touched it; 0: none */
} VkaVkBuffer;

/* How 3×3 convolutions run: conv3x3_reflect (texel buffers, registers only),
 * conv3x3_gemm (shared-memory tiles; for GPUs), Winograd F(2,3)
 * (conv3x3_wino_*) or F(4,3) (conv3x3_wino4_*: best on CPU drivers for wide
 * layers, the direct kernel taking the narrow ones), or cooperative
 * matrices (conv3x3_coopmat: only forced; else a candidate of the tuning). */
typedef enum
{
  VKA_VK_CONV3X3_DIRECT,
  VKA_VK_CONV3X3_GEMM,
  VKA_VK_CONV3X3_WINOGRAD,
  VKA_VK_CONV3X3_WINOGRAD4,   /* F(4,3); F(2,3) where the fp16 forms are on */
  VKA_VK_CONV3X3_COOPMAT,
} VkaVkConv3x3Variant;

/* The 3×3 kernels a layer can run (conv3x3.c has each one's packing and
 * grid; tuning.c measures them; conv3x3-choice.c picks one per layer). */
typedef enum
{
  VKA_VK_KERNEL_DIRECT,
  VKA_VK_KERNEL_GEMM4,     /* 64 output channels a workgroup */
  VKA_VK_KERNEL_GEMM8,     /* 128 */
  VKA_VK_KERNEL_WINOGRAD,
  VKA_VK_KERNEL_WINOGRAD4, /* F(4,3): float32 only, no candidate with fp16 */
  VKA_VK_KERNEL_COOPMAT,   /* cooperative matrices: where b->coopmat is set */
  VKA_VK_KERNEL_COUNT
} VkaVkConv3x3Kernel;

/* A cooperative-matrix shape a device offers
 * (vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR): A (M×K) · B (K×N) +
 * C (M×N) = result, component types as VkComponentTypeKHR, scope as
 * VkScopeKHR. */
typedef struct
{
  guint32  m, n, k;
  guint32  a_type, b_type, c_type, result_type;
  guint32  scope;
  gboolean saturating;
} VkaVkCoopmatShape;

/* A shape conv3x3_coopmat is built for (coopmat.c). */
typedef struct VkaVkCoopmatVariant VkaVkCoopmatVariant;

/* The Vulkan backend: one logical device, one queue, one command buffer
 * being recorded at a time. */
typedef struct
{
  VkaBackend                       base;
  VkaVkInstance                   *inst;    /* borrowed */
  VkaVkFuncs                      *vk;      /* &inst->vk */
  VkPhysicalDevice                 physical;
  VkPhysicalDeviceProperties       props;
  VkDeviceSize                     max_allocation;  /* maxMemoryAllocationSize */
  VkPhysicalDeviceMemoryProperties mem_props;
  VkDevice                         device;
  VkQueue                          queue;
  guint32                          queue_family;
  VkCommandPool                    command_pool;
  VkCommandBuffer                  cmd;
  gboolean                         recording;
  guint64                          serial;    /* counts the recordings begun */
  VkaTransferStats                 transfers; /* submissions, bytes each way */
  VkFence                          fence;
  VkDescriptorPool                 descriptor_pool;
  guint                            descriptor_sets_used;
  VkPipelineCache                  pipeline_cache;
  char                            *pipeline_cache_path;
  VkDescriptorSetLayout            set_layouts[VKA_SHADER_COUNT];
  VkPipelineLayout                 layouts[VKA_SHADER_COUNT];
  VkPipeline                       pipelines[VKA_SHADER_COUNT];
  GPtrArray                       *deferred;  /* VkaVkBuffer* freed after the next flush */
  gboolean                         guards;
  VkaVkConv3x3Variant              conv3x3;
  gboolean                         conv3x3_fp16;  /* Winograd and GEMM on float16
                                                   * weights and scratch ($VKA_FP16) */
  int                              wino_min_channels;  /* narrower layers run direct */
  int                              wino_band_rows;     /* tests: $VKA_WINO_BAND_ROWS */
  guint32                          subgroup_size;  /* specialisation constant 0 of every
                                                    * pipeline (conv3x3_coopmat's local
                                                    * size x) */
  GArray                          *coopmat_shapes;  /* VkaVkCoopmatShape offered, or NULL */
  const VkaVkCoopmatVariant       *coopmat;  /* the cooperative-matrix kernel this device
                                              * runs, or NULL: no such candidate */
  VkaVkBuffer                      wino_scratch[2];    /* transformed input, products */
  gboolean                         tuning;   /* measure each new layer shape's kernels */
  GKeyFile                        *tuned;    /* shape key -> kernel, as measured */
  char                            *tuning_path;  /* where tuned is kept, or NULL */
  guint64                          fail_alloc_over;  /* tests: $VKA_TEST_ALLOC_LIMIT */
  gboolean                         staged_only;  /* tests: $VKA_TEST_STAGED=1, host
                                                  * access staged as on discrete GPUs */
  guint64                          bytes_allocated;  /* pooled buffers included */
  guint64                          peak_bytes;
  GPtrArray                       *pool;     /* released VkaVkBuffer*, kept for reuse */
  GArray                          *dead_views;  /* VkBufferView destroyed after the flush */
} VkaVkBackend;

static inline VkaVkBackend *
vka_vk_backend (VkaBackend *backend)
{
  return (VkaVkBackend *) backend;
}

/* Whether commands recorded but not yet submitted may use buf: then the
 * host must not touch its memory before the flush. */
static inline gboolean
vka_vk_buffer_busy (const VkaVkBackend *b, const VkaVkBuffer *buf)
{
  return b->recording && buf->used_in == b->serial;
}

#define VKA_VK_GUARD_BYTES 256
#define VKA_VK_GUARD_WORD  0xDEADBEEFu

/* pool.c */
gboolean vka_vk_pool_enabled (void);
/* A buffer of at least size bytes for use: a pooled one, else a new one
 * (no retry when memory runs out: memory.c's allocations retry). */
gboolean vka_vk_pool_alloc (VkaVkBackend *b, VkDeviceSize size, VkaVkBufferUse use,
                            VkaVkBuffer *buf, GError **error);
/* Gives a buffer back to the pool, where a later allocation of about its
 * size and the same use takes it again: while recording, a later command
 * of the same pass (the dispatches are serialised by barriers). Without
 * the pool, only for buffers no queued work uses. */
void     vka_vk_buffer_release (VkaVkBackend *b, VkaVkBuffer *buf);
/* vka_vk_buffer_release for a buffer that may be empty, or without the
 * pool, after the next flush when recorded commands may still use it;
 * buf is emptied. */
void     vka_vk_release_later (VkaVkBackend *b, VkaVkBuffer *buf);
/* Frees the pooled buffers that no queued work uses (all of them after a
 * flush: before the device goes, and when memory runs out). */
void     vka_vk_pool_drain (VkaVkBackend *b);
/* After a flush: nothing pooled is in flight any more; dead views go. */
void     vka_vk_pool_settle (VkaVkBackend *b);
VkBufferView vka_vk_buffer_view (VkaVkBackend *b, VkaVkBuffer *buf,
                                 VkaVkBindingKind kind, GError **error);

/* memory.c */
/* The largest buffer a shader can bind whole, and which limit sets it. */
VkDeviceSize vka_vk_max_buffer_bytes (VkaVkBackend *b, const char **limit);
/* A buffer of bytes for a tensor (guards: with guard words around it). */
gboolean vka_vk_buffer_alloc (VkaVkBackend *b, VkDeviceSize bytes, gboolean guards,
                              VkaVkBuffer *buf, GError **error);
/* Host reads and writes, counted in b->transfers. A read submits what is
 * recorded (once); a write submits nothing: into mapped memory no recorded
 * command uses, it is a copy, else a staged copy recorded in command order. */
gboolean vka_vk_buffer_read (VkaVkBackend *b, VkaVkBuffer *buf, VkDeviceSize offset,
                             VkDeviceSize bytes, void *dst, GError **error);
gboolean vka_vk_buffer_write (VkaVkBackend *b, VkaVkBuffer *buf, VkDeviceSize offset,
                              VkDeviceSize bytes, const void *src, GError **error);

/* commands.c */
gboolean vka_vk_commands_init (VkaVkBackend *b, GError **error);
void     vka_vk_commands_destroy (VkaVkBackend *b);
gboolean vka_vk_begin (VkaVkBackend *b, GError **error);
gboolean vka_vk_flush (VkaBackend *backend, GError **error);
/* Binds the kernel's pipeline, buffers (in binding order) and push
 * constants, dispatches the grid (in workgroups) and adds a barrier. */
gboolean vka_vk_dispatch (VkaVkBackend *b, VkaShaderId kernel,
                          VkaVkBuffer *const *buffers, const void *push,
                          guint32 gx, guint32 gy, guint32 gz, GError **error);

/* pipelines.c */
VkDescriptorType vka_vk_descriptor_type (VkaVkBindingKind kind);
gboolean vka_vk_pipeline_get (VkaVkBackend *b, VkaShaderId kernel, GError **error);
void     vka_vk_pipelines_destroy (VkaVkBackend *b);
void     vka_vk_pipeline_cache_open (VkaVkBackend *b);
void     vka_vk_pipeline_cache_save (VkaVkBackend *b);
