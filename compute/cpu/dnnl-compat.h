/* dnnl-compat.h — the one place that knows the oneDNN 2.x and 3.x C APIs
 * apart (Debian 12 ships 2.6, Debian 13 ships 3.7).
 *
 * 2.x describes memory with a plain struct (dnnl_memory_desc_t) and builds
 * primitives from op descriptors; 3.x makes memory descriptors opaque handles
 * and builds primitive descriptors in one call. VkaMd is a pointer in both:
 * a heap copy of the struct on 2.x, the handle itself on 3.x. */
#pragma once

#include <glib.h>
#include <oneapi/dnnl/dnnl.h>

typedef struct VkaMdOpaque *VkaMd;

/* f32 memory of dims with a format tag (dnnl_format_tag_any allowed). */
VkaMd         vka_md_new (int ndims, const dnnl_dim_t *dims, dnnl_format_tag_t tag);
/* The dims-sized window at offsets of parent (same format, parent's strides). */
VkaMd         vka_md_sub (VkaMd parent, const dnnl_dim_t *dims, const dnnl_dim_t *offsets);
/* A copy of what a primitive descriptor says about one of its memories. */
VkaMd         vka_md_query (const_dnnl_primitive_desc_t pd, dnnl_query_t what);
VkaMd         vka_md_copy (VkaMd md);
void          vka_md_free (VkaMd md);
gboolean      vka_md_equal (VkaMd a, VkaMd b);
gsize         vka_md_bytes (VkaMd md);

/* 3×3 (pad 0; we pad by reflection ourselves) or 1×1 convolution, stride 1,
 * forward inference, optional fused ReLU; bias may be NULL. The caller gives
 * the scratchpad (dnnl_query_scratchpad_md, DNNL_ARG_SCRATCHPAD). */
dnnl_status_t vka_dnnl_conv_pd (dnnl_primitive_desc_t *pd, dnnl_engine_t engine,
                                dnnl_alg_kind_t alg, VkaMd src, VkaMd weights,
                                VkaMd bias, VkaMd dst, gboolean relu);
/* The gradients of the same convolution (3×3 pad 0, or 1×1; stride 1):
 * with respect to its input (diff_src from diff_dst), and to its weights and
 * bias (diff_bias may be NULL). Both take a user scratchpad, as above. */
dnnl_status_t vka_dnnl_conv_bwd_data_pd (dnnl_primitive_desc_t *pd, dnnl_engine_t engine,
                                         dnnl_alg_kind_t alg, VkaMd diff_src,
                                         VkaMd weights, VkaMd diff_dst);
dnnl_status_t vka_dnnl_conv_bwd_weights_pd (dnnl_primitive_desc_t *pd, dnnl_engine_t engine,
                                            dnnl_alg_kind_t alg, VkaMd src,
                                            VkaMd diff_weights, VkaMd diff_bias,
                                            VkaMd diff_dst);
dnnl_status_t vka_dnnl_reorder_pd (dnnl_primitive_desc_t *pd, dnnl_engine_t engine,
                                   VkaMd src, VkaMd dst);
dnnl_status_t vka_dnnl_memory_new (dnnl_memory_t *memory, VkaMd md,
                                   dnnl_engine_t engine, void *handle);
/* The implementation a primitive descriptor chose, e.g. "jit_wino_4x3:avx512_core". */
const char   *vka_dnnl_impl_name (const_dnnl_primitive_desc_t pd);
