/* dnnl-compat.c — oneDNN 2.x / 3.x differences; see dnnl-compat.h. */
#include "dnnl-compat.h"

/* Attributes that leave the scratchpad to the caller. */
static dnnl_primitive_attr_t
user_scratchpad (void)
{
  dnnl_primitive_attr_t attr = NULL;
  if (dnnl_primitive_attr_create (&attr) != dnnl_success)
    return NULL;
  if (dnnl_primitive_attr_set_scratchpad_mode (attr, dnnl_scratchpad_mode_user)
      != dnnl_success)
    g_clear_pointer (&attr, dnnl_primitive_attr_destroy);
  return attr;
}

#if DNNL_VERSION_MAJOR >= 3

/* 3.x: memory descriptors are handles (dnnl_memory_desc_t is a pointer). */
#define MD(md) ((dnnl_memory_desc_t) (md))

VkaMd
vka_md_new (int ndims, const dnnl_dim_t *dims, dnnl_format_tag_t tag)
{
  dnnl_memory_desc_t md = NULL;
  if (dnnl_memory_desc_create_with_tag (&md, ndims, dims, dnnl_f32, tag) != dnnl_success)
    return NULL;
  return (VkaMd) md;
}

VkaMd
vka_md_sub (VkaMd parent, const dnnl_dim_t *dims, const dnnl_dim_t *offsets)
{
  dnnl_memory_desc_t md = NULL;
  if (dnnl_memory_desc_create_submemory (&md, MD (parent), dims, offsets) != dnnl_success)
    return NULL;
  return (VkaMd) md;
}

VkaMd
vka_md_query (const_dnnl_primitive_desc_t pd, dnnl_query_t what)
{
  const_dnnl_memory_desc_t q = dnnl_primitive_desc_query_md (pd, what, 0);
  dnnl_memory_desc_t md = NULL;
  if (!q || dnnl_memory_desc_clone (&md, q) != dnnl_success)
    return NULL;
  return (VkaMd) md;
}

VkaMd
vka_md_copy (VkaMd md)
{
  dnnl_memory_desc_t copy = NULL;
  if (dnnl_memory_desc_clone (&copy, MD (md)) != dnnl_success)
    return NULL;
  return (VkaMd) copy;
}

void
vka_md_free (VkaMd md)
{
  if (md)
    dnnl_memory_desc_destroy (MD (md));
}

gboolean
vka_md_equal (VkaMd a, VkaMd b)
{
  return dnnl_memory_desc_equal (MD (a), MD (b)) != 0;
}

gsize
vka_md_bytes (VkaMd md)
{
  return dnnl_memory_desc_get_size (MD (md));
}

dnnl_status_t
vka_dnnl_conv_pd (dnnl_primitive_desc_t *pd, dnnl_engine_t engine, dnnl_alg_kind_t alg,
                  VkaMd src, VkaMd weights, VkaMd bias, VkaMd dst, gboolean relu)
{
  const dnnl_dims_t strides = { 1, 1 }, dilates = { 0, 0 }, pad = { 0, 0 };
  dnnl_primitive_attr_t attr = NULL;
  dnnl_post_ops_t post = NULL;
  dnnl_status_t s = dnnl_primitive_attr_create (&attr);
  /* scratch memory from our spare list, not a fresh mmap per run */
  if (s == dnnl_success)
    s = dnnl_primitive_attr_set_scratchpad_mode (attr, dnnl_scratchpad_mode_user);
  if (s == dnnl_success && relu)
    {
      s = dnnl_post_ops_create (&post);
      if (s == dnnl_success)
        s = dnnl_post_ops_append_eltwise (post, dnnl_eltwise_relu, 0.0f, 0.0f);
      if (s == dnnl_success)
        s = dnnl_primitive_attr_set_post_ops (attr, post);
    }
  if (s == dnnl_success)
    s = dnnl_convolution_forward_primitive_desc_create (pd, engine, dnnl_forward_inference,
                                                        alg, MD (src), MD (weights),
                                                        bias ? MD (bias) : NULL, MD (dst),
                                                        strides, dilates, pad, pad, attr);
  if (post)
    dnnl_post_ops_destroy (post);
  if (attr)
    dnnl_primitive_attr_destroy (attr);
  return s;
}

/* The forward description a backward primitive is built from. */
static dnnl_status_t
training_hint (dnnl_primitive_desc_t *hint, dnnl_engine_t engine, dnnl_alg_kind_t alg,
               VkaMd src, VkaMd weights, VkaMd bias, VkaMd dst)
{
  const dnnl_dims_t strides = { 1, 1 }, dilates = { 0, 0 }, pad = { 0, 0 };
  return dnnl_convolution_forward_primitive_desc_create (hint, engine, dnnl_forward_training,
                                                         alg, MD (src), MD (weights),
                                                         bias ? MD (bias) : NULL, MD (dst),
                                                         strides, dilates, pad, pad, NULL);
}

dnnl_status_t
vka_dnnl_conv_bwd_data_pd (dnnl_primitive_desc_t *pd, dnnl_engine_t engine,
                           dnnl_alg_kind_t alg, VkaMd diff_src, VkaMd weights, VkaMd diff_dst)
{
  const dnnl_dims_t strides = { 1, 1 }, dilates = { 0, 0 }, pad = { 0, 0 };
  dnnl_primitive_desc_t hint = NULL;
  dnnl_primitive_attr_t attr = user_scratchpad ();
  dnnl_status_t s = attr ? training_hint (&hint, engine, alg, diff_src, weights, NULL,
                                          diff_dst) : dnnl_out_of_memory;
  if (s == dnnl_success)
    s = dnnl_convolution_backward_data_primitive_desc_create (pd, engine, alg, MD (diff_src),
                                                              MD (weights), MD (diff_dst),
                                                              strides, dilates, pad, pad,
                                                              hint, attr);
  if (hint)
    dnnl_primitive_desc_destroy (hint);
  if (attr)
    dnnl_primitive_attr_destroy (attr);
  return s;
}

dnnl_status_t
vka_dnnl_conv_bwd_weights_pd (dnnl_primitive_desc_t *pd, dnnl_engine_t engine,
                              dnnl_alg_kind_t alg, VkaMd src, VkaMd diff_weights,
                              VkaMd diff_bias, VkaMd diff_dst)
{
  const dnnl_dims_t strides = { 1, 1 }, dilates = { 0, 0 }, pad = { 0, 0 };
  dnnl_primitive_desc_t hint = NULL;
  dnnl_primitive_attr_t attr = user_scratchpad ();
  dnnl_status_t s = attr ? training_hint (&hint, engine, alg, src, diff_weights, diff_bias,
                                          diff_dst) : dnnl_out_of_memory;
  if (s == dnnl_success)
    s = dnnl_convolution_backward_weights_primitive_desc_create (
      pd, engine, alg, MD (src), MD (diff_weights), diff_bias ? MD (diff_bias) : NULL,
      MD (diff_dst), strides, dilates, pad, pad, hint, attr);
  if (hint)
    dnnl_primitive_desc_destroy (hint);
  if (attr)
    dnnl_primitive_attr_destroy (attr);
  return s;
}

dnnl_status_t
vka_dnnl_reorder_pd (dnnl_primitive_desc_t *pd, dnnl_engine_t engine, VkaMd src, VkaMd dst)
{
  return dnnl_reorder_primitive_desc_create (pd, MD (src), engine, MD (dst), engine, NULL);
}

dnnl_status_t
vka_dnnl_memory_new (dnnl_memory_t *memory, VkaMd md, dnnl_engine_t engine, void *handle)
{
  return dnnl_memory_create (memory, MD (md), engine, handle);
}

#else /* oneDNN 2.x */

/* 2.x: a descriptor is a struct; VkaMd points at a heap copy. */
#define MD(md) ((dnnl_memory_desc_t *) (md))

VkaMd
vka_md_new (int ndims, const dnnl_dim_t *dims, dnnl_format_tag_t tag)
{
  dnnl_memory_desc_t *md = g_new0 (dnnl_memory_desc_t, 1);
  if (dnnl_memory_desc_init_by_tag (md, ndims, dims, dnnl_f32, tag) != dnnl_success)
    g_clear_pointer (&md, g_free);
  return (VkaMd) md;
}

VkaMd
vka_md_sub (VkaMd parent, const dnnl_dim_t *dims, const dnnl_dim_t *offsets)
{
  dnnl_memory_desc_t *md = g_new0 (dnnl_memory_desc_t, 1);
  if (dnnl_memory_desc_init_submemory (md, MD (parent), dims, offsets) != dnnl_success)
    g_clear_pointer (&md, g_free);
  return (VkaMd) md;
}

VkaMd
vka_md_query (const_dnnl_primitive_desc_t pd, dnnl_query_t what)
{
  const dnnl_memory_desc_t *q = dnnl_primitive_desc_query_md (pd, what, 0);
  return q ? (VkaMd) g_memdup2 (q, sizeof *q) : NULL;
}

VkaMd
vka_md_copy (VkaMd md)
{
  return (VkaMd) g_memdup2 (md, sizeof (dnnl_memory_desc_t));
}

void
vka_md_free (VkaMd md)
{
  g_free (md);
}

gboolean
vka_md_equal (VkaMd a, VkaMd b)
{
  return dnnl_memory_desc_equal (MD (a), MD (b)) != 0;
}

gsize
vka_md_bytes (VkaMd md)
{
  return dnnl_memory_desc_get_size (MD (md));
}

dnnl_status_t
vka_dnnl_conv_pd (dnnl_primitive_desc_t *pd, dnnl_engine_t engine, dnnl_alg_kind_t alg,
                  VkaMd src, VkaMd weights, VkaMd bias, VkaMd dst, gboolean relu)
{
  const dnnl_dims_t strides = { 1, 1 }, pad = { 0, 0 };
  dnnl_convolution_desc_t desc;
  dnnl_primitive_attr_t attr = NULL;
  dnnl_post_ops_t post = NULL;
  dnnl_status_t s = dnnl_convolution_forward_desc_init (&desc, dnnl_forward_inference, alg,
                                                        MD (src), MD (weights),
                                                        bias ? MD (bias) : NULL, MD (dst),
                                                        strides, pad, pad);
  if (s == dnnl_success)
    s = dnnl_primitive_attr_create (&attr);
  /* scratch memory from our spare list, not a fresh mmap per run */
  if (s == dnnl_success)
    s = dnnl_primitive_attr_set_scratchpad_mode (attr, dnnl_scratchpad_mode_user);
  if (s == dnnl_success && relu)
    {
      s = dnnl_post_ops_create (&post);
      if (s == dnnl_success)
        s = dnnl_post_ops_append_eltwise (post, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f);
      if (s == dnnl_success)
        s = dnnl_primitive_attr_set_post_ops (attr, post);
    }
  if (s == dnnl_success)
    s = dnnl_primitive_desc_create (pd, &desc, attr, engine, NULL);
  if (post)
    dnnl_post_ops_destroy (post);
  if (attr)
    dnnl_primitive_attr_destroy (attr);
  return s;
}

/* The forward description a backward primitive is built from. */
static dnnl_status_t
training_hint (dnnl_primitive_desc_t *hint, dnnl_engine_t engine, dnnl_alg_kind_t alg,
               VkaMd src, VkaMd weights, VkaMd bias, VkaMd dst)
{
  const dnnl_dims_t strides = { 1, 1 }, pad = { 0, 0 };
  dnnl_convolution_desc_t desc;
  dnnl_status_t s = dnnl_convolution_forward_desc_init (&desc, dnnl_forward_training, alg,
                                                        MD (src), MD (weights),
                                                        bias ? MD (bias) : NULL, MD (dst),
                                                        strides, pad, pad);
  return s == dnnl_success ? dnnl_primitive_desc_create (hint, &desc, NULL, engine, NULL) : s;
}

dnnl_status_t
vka_dnnl_conv_bwd_data_pd (dnnl_primitive_desc_t *pd, dnnl_engine_t engine,
                           dnnl_alg_kind_t alg, VkaMd diff_src, VkaMd weights, VkaMd diff_dst)
{
  const dnnl_dims_t strides = { 1, 1 }, pad = { 0, 0 };
  dnnl_convolution_desc_t desc;
  dnnl_primitive_desc_t hint = NULL;
  dnnl_primitive_attr_t attr = user_scratchpad ();
  dnnl_status_t s = attr ? training_hint (&hint, engine, alg, diff_src, weights, NULL,
                                          diff_dst) : dnnl_out_of_memory;
  if (s == dnnl_success)
    s = dnnl_convolution_backward_data_desc_init (&desc, alg, MD (diff_src), MD (weights),
                                                  MD (diff_dst), strides, pad, pad);
  if (s == dnnl_success)
    s = dnnl_primitive_desc_create (pd, &desc, attr, engine, hint);
  if (hint)
    dnnl_primitive_desc_destroy (hint);
  if (attr)
    dnnl_primitive_attr_destroy (attr);
  return s;
}

dnnl_status_t
vka_dnnl_conv_bwd_weights_pd (dnnl_primitive_desc_t *pd, dnnl_engine_t engine,
                              dnnl_alg_kind_t alg, VkaMd src, VkaMd diff_weights,
                              VkaMd diff_bias, VkaMd diff_dst)
{
  const dnnl_dims_t strides = { 1, 1 }, pad = { 0, 0 };
  dnnl_convolution_desc_t desc;
  dnnl_primitive_desc_t hint = NULL;
  dnnl_primitive_attr_t attr = user_scratchpad ();
  dnnl_status_t s = attr ? training_hint (&hint, engine, alg, src, diff_weights, diff_bias,
                                          diff_dst) : dnnl_out_of_memory;
  if (s == dnnl_success)
    s = dnnl_convolution_backward_weights_desc_init (&desc, alg, MD (src), MD (diff_weights),
                                                     diff_bias ? MD (diff_bias) : NULL,
                                                     MD (diff_dst), strides, pad, pad);
  if (s == dnnl_success)
    s = dnnl_primitive_desc_create (pd, &desc, attr, engine, hint);
  if (hint)
    dnnl_primitive_desc_destroy (hint);
  if (attr)
    dnnl_primitive_attr_destroy (attr);
  return s;
}

dnnl_status_t
vka_dnnl_reorder_pd (dnnl_primitive_desc_t *pd, dnnl_engine_t engine, VkaMd src, VkaMd dst)
{
  return dnnl_reorder_primitive_desc_create (pd, MD (src), engine, MD (dst), engine, NULL);
}

dnnl_status_t
vka_dnnl_memory_new (dnnl_memory_t *memory, VkaMd md, dnnl_engine_t engine, void *handle)
{
  return dnnl_memory_create (memory, MD (md), engine, handle);
}

#endif

const char *
vka_dnnl_impl_name (const_dnnl_primitive_desc_t pd)
{
  const char *name = NULL;
  if (dnnl_primitive_desc_query (pd, dnnl_query_impl_info_str, 0, &name) != dnnl_success)
    return "?";
  return name ? name : "?";
}
