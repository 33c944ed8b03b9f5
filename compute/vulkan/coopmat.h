/* coopmat.h — the cooperative-matrix 3×3 kernel (coopmat.c): what a device
 * offers, whether it runs the kernel, its packing and dispatch. */
#pragma once

#include "vk-private.h"

/* Vulkan headers older than 1.3.255 (Debian 12 has 1.3.239) lack
 * VK_KHR_cooperative_matrix: its types and values as the registry defines
 * them, so that the query is built everywhere (enums as 32-bit words). */
#ifndef VK_KHR_cooperative_matrix
#define VK_KHR_COOPERATIVE_MATRIX_EXTENSION_NAME "VK_KHR_cooperative_matrix"
#define VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_KHR \
  ((VkStructureType) 1000506000)
#define VK_STRUCTURE_TYPE_COOPERATIVE_MATRIX_PROPERTIES_KHR ((VkStructureType) 1000506001)
#define VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_PROPERTIES_KHR \
  ((VkStructureType) 1000506002)
#define VK_COMPONENT_TYPE_FLOAT16_KHR 0
#define VK_COMPONENT_TYPE_FLOAT32_KHR 1
#define VK_SCOPE_SUBGROUP_KHR 3
typedef struct
{
  VkStructureType sType;
  void           *pNext;
  uint32_t        MSize, NSize, KSize;
  uint32_t        AType, BType, CType, ResultType;
  VkBool32        saturatingAccumulation;
  uint32_t        scope;
} VkCooperativeMatrixPropertiesKHR;
typedef struct
{
  VkStructureType sType;
  void           *pNext;
  VkBool32        cooperativeMatrix;
  VkBool32        cooperativeMatrixRobustBufferAccess;
} VkPhysicalDeviceCooperativeMatrixFeaturesKHR;
typedef struct
{
  VkStructureType    sType;
  void              *pNext;
  VkShaderStageFlags cooperativeMatrixSupportedStages;
} VkPhysicalDeviceCooperativeMatrixPropertiesKHR;
typedef VkResult (VKAPI_PTR *PFN_vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR) (
  VkPhysicalDevice physicalDevice, uint32_t *pPropertyCount,
  VkCooperativeMatrixPropertiesKHR *pProperties);
#endif

/* Reads the shapes the device offers into b->coopmat_shapes (left NULL
 * without the extension). */
void     vka_vk_coopmat_query (VkaVkBackend *b);
/* Sets b->coopmat to the variant this build has for an offered
 * float16·float16→float32 subgroup shape, where the device has every
 * feature the kernel needs. forced ($VKA_CONV3X3=coopmat): anything missing
 * is an error; otherwise the kernel is simply no candidate. */
gboolean vka_vk_coopmat_choose (VkaVkBackend *b, gboolean forced, GError **error);
/* The shapes offered, as ASCII text for logs ("MxNxK A*B+C->result", the
 * one the kernel runs marked "(runs)"), or "none". */
char    *vka_vk_coopmat_describe (VkaVkBackend *b);

/* The weights (Cout, Cin, 3, 3) packed for conv3x3_coopmat into an empty
 * buffer. */
gboolean vka_vk_coopmat_pack (VkaVkBackend *b, VkaTensor *weight, const VkaPushConv *pc,
                              VkaVkBuffer *packed, GError **error);
/* One convolution by conv3x3_coopmat (b->coopmat set), the grid over out
 * (upsampled: in is half out's size, read as if upsampled ×2 first). */
gboolean vka_vk_coopmat_dispatch (VkaVkBackend *b, gboolean upsampled, VkaTensor *in,
                                  VkaVkBuffer *packed, VkaTensor *bias, VkaTensor *out,
                                  const VkaPushConv *pc, GError **error);
