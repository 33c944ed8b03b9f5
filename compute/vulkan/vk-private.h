/* vk-private.h — the Vulkan backend's internal types (private to compute/). */
#pragma once

#define VK_NO_PROTOTYPES
#include <vulkan/vulkan.h>

#include "backend.h"
#include "vka-shaders.h"
#include "push-constants.h"

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

/* instance.c */
VkaVkInstance *vka_vk_instance_new (gboolean validation, GError **error);
void           vka_vk_instance_free (VkaVkInstance *inst);
/* Index into inst->physical for a device choice string; see VkaContextOptions. */
int            vka_vk_instance_choose (VkaVkInstance *inst, const char *choice,
                                       GError **error);
gboolean       vka_vk_check (VkResult result, const char *what, GError **error);

/* How a shader sees a buffer: a storage buffer, or a uniform texel buffer of
 * floats or of vec4s (texelFetch is 2× faster than storage loads on lavapipe),
 * or of uvec2s (the fp16 Winograd scratch: vec4s of float16 as packHalf2x16
 * pairs). */
typedef enum
{
  VKA_VK_STORAGE,
  VKA_VK_TEXELS_R32F,
  VKA_VK_TEXELS_RGBA32F,
  VKA_VK_TEXELS_RG32UI,
  VKA_VK_BINDING_KINDS
} VkaVkBindingKind;

#define VKA_VK_MAX_BINDINGS 8

/* Kernel table (pipelines.c): what each shader binds and pushes. */
typedef struct
{
  guint            n_bindings;
  guint            push_size;
  VkaVkBindingKind kinds[VKA_VK_MAX_BINDINGS];   /* default: storage */
} VkaVkKernelSpec;

extern const VkaVkKernelSpec vka_vk_kernel_specs[VKA_SHADER_COUNT];

/* A device buffer; tensors own one. */
typedef struct
{
  VkBuffer       buffer;
  VkDeviceMemory memory;
  void          *mapped;   /* non-NULL when host-visible */
  VkDeviceSize   offset;   /* where the payload starts (after a guard zone) */
  VkDeviceSize   bytes;    /* payload size */
  VkDeviceSize   total;    /* allocated size (a size class: see memory.c) */
  guint          use;      /* what it was made for (memory.c's BufferUse) */
  VkBufferView   views[VKA_VK_BINDING_KINDS]; /* by kind, made on first use */
  gboolean       in_flight; /* pooled: released while recorded commands may
                             * still use it, so until the next flush only
                             * those commands' successors may touch it */
} VkaVkBuffer;

/* How 3×3 convolutions run: conv3x3_reflect (texel buffers, registers only),
 * conv3x3_gemm (shared-memory tiles; for GPUs), Winograd F(2,3)
 * (conv3x3_wino_*) or F(4,3) (conv3x3_wino4_*: best on CPU drivers for wide
 * layers, the direct kernel taking the narrow ones). */
typedef enum
{
  VKA_VK_CONV3X3_DIRECT,
  VKA_VK_CONV3X3_GEMM,
  VKA_VK_CONV3X3_WINOGRAD,
  VKA_VK_CONV3X3_WINOGRAD4,   /* F(4,3); F(2,3) where the fp16 forms are on */
} VkaVkConv3x3Variant;

/* The 3×3 kernels a layer can run (backend.c has each one's packing and
 * grid; tuning.c measures them). */
typedef enum
{
  VKA_VK_KERNEL_DIRECT,
  VKA_VK_KERNEL_GEMM4,     /* 64 output channels a workgroup */
  VKA_VK_KERNEL_GEMM8,     /* 128 */
  VKA_VK_KERNEL_WINOGRAD,
  VKA_VK_KERNEL_WINOGRAD4, /* F(4,3): float32 only, no candidate with fp16 */
  VKA_VK_KERNEL_COUNT
} VkaVkConv3x3Kernel;

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
  VkaVkBuffer                      wino_scratch[2];    /* transformed input, products */
  gboolean                         tuning;   /* measure each new layer shape's kernels */
  GKeyFile                        *tuned;    /* shape key -> kernel, as measured */
  char                            *tuning_path;  /* where tuned is kept, or NULL */
  guint64                          fail_alloc_over;  /* tests: $VKA_TEST_ALLOC_LIMIT */
  guint64                          bytes_allocated;  /* pooled buffers included */
  guint64                          peak_bytes;
  GPtrArray                       *pool;     /* released VkaVkBuffer*, kept for reuse */
  GArray                          *dead_views;  /* VkBufferView destroyed after the flush */
} VkaVkBackend;

typedef struct
{
  VkaTensor   base;
  VkaVkBuffer buf;
  VkaVkBuffer packed;      /* conv weights repacked for packed_for, or empty */
  VkaVkConv3x3Kernel packed_for;
  VkaVkBuffer packed_backward;  /* ... and for its backward-data convolution */
} VkaVkTensor;

#define VKA_VK_GUARD_BYTES 256
#define VKA_VK_GUARD_WORD  0xDEADBEEFu

/* memory.c */
VkBufferView vka_vk_buffer_view (VkaVkBackend *b, VkaVkBuffer *buf,
                                 VkaVkBindingKind kind, GError **error);
VkDeviceSize vka_vk_max_buffer_bytes (VkaVkBackend *b, const char **limit);
gboolean vka_vk_buffer_alloc (VkaVkBackend *b, VkDeviceSize bytes, gboolean guards,
                              VkaVkBuffer *buf, GError **error);
gboolean vka_vk_pool_enabled (void);
/* Gives a buffer back to the pool, where a later allocation of about its
 * size and the same use takes it again: while recording, a later command
 * of the same pass (the dispatches are serialised by barriers). Without
 * the pool, only for buffers no queued work uses. */
void     vka_vk_buffer_release (VkaVkBackend *b, VkaVkBuffer *buf);
/* Frees the pooled buffers that no queued work uses (all of them after a
 * flush: before the device goes, and when memory runs out). */
void     vka_vk_pool_drain (VkaVkBackend *b);
/* After a flush: nothing pooled is in flight any more; dead views go. */
void     vka_vk_pool_settle (VkaVkBackend *b);
gboolean vka_vk_buffer_read (VkaVkBackend *b, VkaVkBuffer *buf, VkDeviceSize offset,
                             VkDeviceSize bytes, void *dst, GError **error);
gboolean vka_vk_buffer_write (VkaVkBackend *b, VkaVkBuffer *buf, VkDeviceSize offset,
                              VkDeviceSize bytes, const void *src, GError **error);

/* commands.c */
VkDescriptorType vka_vk_descriptor_type (VkaVkBindingKind kind);
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
gboolean vka_vk_pipeline_get (VkaVkBackend *b, VkaShaderId kernel, GError **error);
void     vka_vk_pipelines_destroy (VkaVkBackend *b);
void     vka_vk_pipeline_cache_open (VkaVkBackend *b);
void     vka_vk_pipeline_cache_save (VkaVkBackend *b);

/* backend.c */
VkaBackend *vka_vk_backend_new (VkaVkInstance *inst, int index, gboolean guards,
                                GError **error);
/* Guard zones of a tensor made with guards: FALSE (with error) if any guard
 * word changed. */
gboolean    vka_vk_tensor_check_guards (VkaTensor *tensor, GError **error);
guint64     vka_vk_backend_peak_bytes (VkaBackend *backend);
/* Whether 3×3 convolutions run the fp16 forms (tests loosen their limits). */
gboolean    vka_vk_backend_conv3x3_fp16 (VkaBackend *backend);
/* Finishes queued work, frees the pooled buffers and restarts the peak from
 * what is allocated now, which it returns (weights, live tensors). */
guint64     vka_vk_backend_reset_peak (VkaBackend *backend);
void        vka_vk_release_later (VkaVkBackend *b, VkaVkBuffer *buf);

/* The 3×3 convolution kernels, one at a time (for tuning.c): the weights
 * packed for a kernel into an empty buffer; whether the kernel can bind in
 * and out; one convolution (upsampled: in is half out's size, read as if
 * upsampled ×2 first). */
gboolean    vka_vk_conv3x3_pack (VkaVkBackend *b, VkaVkConv3x3Kernel kernel,
                                 VkaTensor *weight, const VkaPushConv *pc,
                                 VkaVkBuffer *packed, GError **error);
gboolean    vka_vk_conv3x3_fits (VkaVkBackend *b, VkaVkConv3x3Kernel kernel, VkaTensor *in,
                                 VkaTensor *out);
gboolean    vka_vk_conv3x3_dispatch (VkaVkBackend *b, VkaVkConv3x3Kernel kernel,
                                     gboolean upsampled, VkaTensor *in, VkaVkBuffer *packed,
                                     VkaTensor *bias, VkaTensor *out, const VkaPushConv *pc,
                                     GError **error);

/* tuning.c: the 3×3 kernel for each layer shape measured on the device,
 * kept in a file per device and driver in the user's cache. Tuning is on
 * for GPUs (off for CPU drivers, where the defaults were measured by hand);
 * $VKA_TUNE=0|1 turns it off or on, and a forced $VKA_CONV3X3 turns it off. */
gboolean    vka_vk_tuning_wanted (VkaVkBackend *b);
void        vka_vk_tuning_open (VkaVkBackend *b);
void        vka_vk_tuning_close (VkaVkBackend *b);
/* The kernel measured for a convolution of pc's shape, if any. */
gboolean    vka_vk_tuned_kernel (VkaVkBackend *b, const VkaPushConv *pc, gboolean upsampled,
                                 VkaVkConv3x3Kernel *kernel);
/* Times every kernel that fits on this very convolution (finishing the
 * queued work first), keeps the fastest in the tuning file and returns it. */
gboolean    vka_vk_tune_conv3x3 (VkaVkBackend *b, gboolean upsampled, VkaTensor *in,
                                 VkaTensor *weight, VkaTensor *bias, VkaTensor *out,
                                 const VkaPushConv *pc, VkaVkConv3x3Kernel *kernel,
                                 GError **error);
const char *vka_vk_kernel_name (VkaVkConv3x3Kernel kernel);
/* For tests and the bench: the kernel a 3×3 convolution of this shape runs
 * now (tuned, or the variant's default). */
const char *vka_vk_backend_conv3x3_kernel (VkaBackend *backend, int batch, int in_channels,
                                           int out_channels, int height, int width,
                                           gboolean upsampled);

/* winograd.c: a 3×3 convolution (reflection padding, bias, optional ReLU)
 * as Winograd F(2,3), or F(4,3) where wino4 (float32 only), with weights
 * packed by conv3x3_wino_pack (conv3x3_wino4_pack). upsampled: in is half
 * conv's size and read as if upsampled ×2 (nearest) first. */
gboolean    vka_vk_conv3x3_winograd (VkaVkBackend *b, VkaVkBuffer *in, VkaVkBuffer *packed,
                                     VkaVkBuffer *bias, VkaVkBuffer *out,
                                     const VkaPushConv *conv, gboolean upsampled,
                                     gboolean wino4, GError **error);
