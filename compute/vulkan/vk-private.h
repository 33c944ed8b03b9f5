/* vk-private.h — what every file of the Vulkan backend shares: the entry
 * points loaded at run time, the instance, buffers, the backend's state,
 * and the core below the ops (instance.c, pool.c, ring.c, commands.c,
 * memory.c, pipelines.c). Each piece above that has its own header: tensor.h,
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
  X (GetFenceStatus) \
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
  guint64        used_in;   /* the recording (VkaVkBackend.serial) whose
                             * commands last touched it; 0: none */
} VkaVkBuffer;

/* Recordings a ring slot at most: VKA_RING_SLOTS picks 1 to this, 3 by default. */
#define VKA_VK_RING_MAX 8

/* One slot of the ring of command buffers (ring.c): a recording, or a
 * submission the device may still be running, with what waits for it. */
typedef struct
{
  VkCommandBuffer cmd;
  VkFence         fence;
  GArray         *descriptor_pools; /* VkDescriptorPool; another made when full */
  guint           pools_used;       /* pools [0, pools_used) have sets taken */
  guint           sets_in_pool;     /* sets taken from the last of them */
  guint64         serial;     /* the recording it holds; 0: none (free) */
  gboolean        submitted;  /* its fence will signal */
  GPtrArray      *released;   /* VkaVkBuffer* whose last use is here: pooled
                               * (or freed) once it has run */
  GArray         *dead_views; /* VkBufferView destroyed once it has run */
} VkaVkSlot;

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

/* The Vulkan backend: one logical device, one queue, a ring of command
 * buffers of which one at a time is being recorded and the others may be
 * queued on the device. */
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
  VkaVkSlot                        ring[VKA_VK_RING_MAX];
  guint                            ring_slots; /* of ring in use */
  VkCommandBuffer                  cmd;       /* the recording's (ring.c) */
  gboolean                         recording;
  guint64                          serial;    /* counts the recordings begun */
  guint64                          completed; /* every recording up to this one
                                               * has run (or never will) */
  VkaTransferStats                 transfers; /* submissions, bytes each way */
  VkPipelineCache                  pipeline_cache;
  char                            *pipeline_cache_path;
  VkDescriptorSetLayout            set_layouts[VKA_SHADER_COUNT];
  VkPipelineLayout                 layouts[VKA_SHADER_COUNT];
  VkPipeline                       pipelines[VKA_SHADER_COUNT];
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
  GPtrArray                       *pool;     /* released VkaVkBuffer*, kept for reuse:
                                              * idle, or last used by the recording */
} VkaVkBackend;

static inline VkaVkBackend *
vka_vk_backend (VkaBackend *backend)
{
  return (VkaVkBackend *) backend;
}

/* Whether commands recorded or submitted and not known to have run may use
 * buf: then the host must not touch its memory until they have. */
static inline gboolean
vka_vk_buffer_busy (const VkaVkBackend *b, const VkaVkBuffer *buf)
{
  return buf->used_in > b->completed;
}

/* Whether the commands being recorded use buf (the recording's later
 * commands may, after the barrier that ends each dispatch). */
static inline gboolean
vka_vk_buffer_in_recording (const VkaVkBackend *b, const VkaVkBuffer *buf)
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
/* Gives a buffer (which may be empty) back, and empties buf. Unused or
 * last used by work that has run, it goes to the pool (or is freed
 * without one) at once; last used by the recording, to the pool as well,
 * where only that recording's later commands may take it (the dispatches
 * are serialised by barriers), and at its submission to the slot's
 * release list; last used by a submission that may still run, to that
 * submission's release list, which its fence frees (ring.c). Its views
 * die with the same submission. */
void     vka_vk_buffer_release (VkaVkBackend *b, VkaVkBuffer *buf);
/* Frees the pooled buffers that no recorded work uses (all of them after
 * a flush: before the device goes, and when memory runs out). */
void     vka_vk_pool_drain (VkaVkBackend *b);
/* At a submission: the pooled buffers its commands used wait in its
 * release list until it has run. */
void     vka_vk_pool_submitted (VkaVkBackend *b, VkaVkSlot *slot);
VkBufferView vka_vk_buffer_view (VkaVkBackend *b, VkaVkBuffer *buf,
                                 VkaVkBindingKind kind, GError **error);

/* memory.c */
/* The largest buffer a shader can bind whole, and which limit sets it. */
VkDeviceSize vka_vk_max_buffer_bytes (VkaVkBackend *b, const char **limit);
/* A buffer of bytes for a tensor (guards: with guard words around it). */
gboolean vka_vk_buffer_alloc (VkaVkBackend *b, VkDeviceSize bytes, gboolean guards,
                              VkaVkBuffer *buf, GError **error);
/* Host reads and writes, counted in b->transfers. A read submits the
 * recording when that uses the buffer (with the staged copy, if any: one
 * submission) and waits for the submission that last used it; a write
 * submits nothing: into mapped memory that no recorded or running command
 * uses, it is a copy, else a staged copy recorded in command order. */
gboolean vka_vk_buffer_read (VkaVkBackend *b, VkaVkBuffer *buf, VkDeviceSize offset,
                             VkDeviceSize bytes, void *dst, GError **error);
gboolean vka_vk_buffer_write (VkaVkBackend *b, VkaVkBuffer *buf, VkDeviceSize offset,
                              VkDeviceSize bytes, const void *src, GError **error);
/* A read that does not wait: vka_vk_read_begin records the copy (staged)
 * and submits what is recorded; vka_vk_read_end waits for that submission
 * alone and copies the bytes out (dst NULL: drops the read). buf must not
 * be freed or written in between. */
VkaPendingRead *vka_vk_read_begin (VkaVkBackend *b, VkaVkBuffer *buf,
                                     VkDeviceSize offset, VkDeviceSize bytes,
                                     GError **error);
gboolean vka_vk_read_end (VkaPendingRead *read, void *dst, GError **error);

/* ring.c: the ring of command buffers, descriptor pools and fences */
gboolean vka_vk_ring_init (VkaVkBackend *b, GError **error);
/* After the device is idle: every slot retired, then destroyed. */
void     vka_vk_ring_destroy (VkaVkBackend *b);
/* Starts a recording in the next slot, first waiting for that slot's last
 * submission (nothing when already recording). */
gboolean vka_vk_begin (VkaVkBackend *b, GError **error);
/* Submits the recording, if any, without waiting for it. */
gboolean vka_vk_submit (VkaVkBackend *b, GError **error);
/* Waits until recording serial has run (submitting it if it is the one
 * being recorded), and retires it and every one before it. */
gboolean vka_vk_wait (VkaVkBackend *b, guint64 serial, GError **error);
/* Retires the oldest submissions whose fences have signalled; no wait. */
void     vka_vk_poll (VkaVkBackend *b);
/* The slot that holds recording serial (recorded, or submitted and not
 * yet retired). */
VkaVkSlot *vka_vk_slot_of (VkaVkBackend *b, guint64 serial);
/* Submits and waits for everything: results guaranteed. */
gboolean vka_vk_flush (VkaBackend *backend, GError **error);
/* A descriptor set of the layout from the recording's pools. */
gboolean vka_vk_descriptor_set (VkaVkBackend *b, VkDescriptorSetLayout layout,
                                VkDescriptorSet *set, GError **error);

/* commands.c */
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
