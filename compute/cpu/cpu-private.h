/* cpu-private.h — the oneDNN CPU backend's internal types (private to
 * compute/cpu/).
 *
 * A tensor's value is NCHW float32 as everywhere; its storage takes one of
 * two layouts and changes between them on demand:
 *   PLAIN   dim(n, c, h, w), dense NCHW: what tensor_read/write, statistics,
 *           AdaIN and the image ops see;
 *   PADDED  oneDNN's nChw16c over dim(n, ⌈c/16⌉·16, h+2, w+2): channel blocks
 *           of 16 floats per pixel and a one-pixel border that holds the
 *           reflection of the interior, so that a 3×3 convolution with
 *           reflection padding is oneDNN's convolution with no padding.
 *           Channels past c are zero (oneDNN's rule for padded blocks).
 * Convolutions, pooling and upsampling read and write PADDED, so the network
 * stays in one layout from the first convolution to the last. */
#pragma once

#include "arena.h"
#include "backend.h"
#include "cpu-backend.h"
#include "dnnl-compat.h"

#define VKA_CPU_BLOCK 16

typedef enum
{
  VKA_CPU_PLAIN,
  VKA_CPU_PADDED,
} VkaCpuLayout;

typedef struct VkaCpuTensor_
{
  VkaTensor     base;
  VkaCpuLayout  layout;
  float        *data;      /* NULL until first used: the value is all zeros */
  gsize         bytes;
  GPtrArray    *packed;    /* VkaCpuPacked*: this tensor as conv weights, per layout */
  struct VkaCpuTensor_ *phases;   /* a 3×3 weight's or bias's form for the upsampled
                                   * convolution (conv-upsampled.c), made on first use */
} VkaCpuTensor;

typedef struct
{
  VkaMd  md;
  float *data;
} VkaCpuPacked;

typedef struct
{
  VkaBackend     base;
  dnnl_engine_t  engine;
  dnnl_stream_t  stream;
  int            threads;
  GHashTable    *plans;            /* shape key → VkaCpuConvPlan* */
  guint64        bytes_allocated;
  guint64        peak_bytes;
  gboolean       reproducible;     /* kernels by fixed rules, not by timing */
  GHashTable    *profile;          /* $VKA_CPU_PROFILE: op → VkaCpuProfile* */
  guint64        fail_alloc_over;  /* tests: refuse tensors larger than this */
  VkaCpuArena   *arena;            /* blocks of 4 MiB and more (NULL: VKA_CPU_ARENA=0) */
  GQueue         spare;            /* VkaCpuSpare*: smaller freed storage kept for reuse */
  GHashTable    *oversized;        /* storage reused for a smaller request → its bytes */
  guint64        spare_bytes;
  VkaTransferStats copies;         /* tensor writes and reads (no submissions) */
} VkaCpuBackend;

/* Freed storage kept for the next tensor of its size: a fresh large
 * allocation is a fresh mmap, and touching its pages costs as much as a
 * layer's pooling or upsampling (a training step took twice as long with
 * 24 spares as with 256). Held plus spare storage never exceeds the most
 * ever held at once. */
typedef struct
{
  float *data;
  gsize  bytes;
} VkaCpuSpare;

#define VKA_CPU_MAX_SPARES 256

static inline VkaCpuTensor *
vka_cpu_tensor (VkaTensor *t)
{
  return (VkaCpuTensor *) t;
}

static inline int
vka_cpu_blocks (int c)
{
  return (c + VKA_CPU_BLOCK - 1) / VKA_CPU_BLOCK;
}

/* A convolution primitive for one shape, with the memory it binds. The
 * backward ones reuse the fields: src is diff_src for the data gradient,
 * weights diff_weights and bias diff_bias for the weight gradient, and dst
 * diff_dst for both. */
typedef struct
{
  dnnl_primitive_t prim;
  VkaMd            src, weights, bias, dst, scratch;
  gboolean         dst_dense;   /* dst is a dense scratch map, copied into the interior */
  gboolean         winograd;
  gboolean         src_plain;   /* src is a padded NCHW copy (few input channels) */
  char            *impl;
} VkaCpuConvPlan;

/* Time spent per op (and shape, for convolutions), printed when the
 * backend is destroyed. */
typedef struct
{
  double ms, flops;
  guint  calls;
} VkaCpuProfile;

/* The kernel taken for a 3×3 convolution over n·h·w = pixels positions
 * (kind: 'f' forward, 'd' data gradient, 'w' weight gradient) unless
 * $VKA_CPU_TUNE asks for timing: the choice that measuring made at batch 8,
 * 256² on both widths of the network (bench/RESULTS.md), Winograd for data
 * gradients, and elsewhere where both sides have 16 channels or more and not
 * just 16 each; but a forward pass over more than 2^18 positions (a tile's
 * first blocks) runs direct: oneDNN's Winograd then keeps the whole
 * transformed map as scratch, and ran 16→32 and 32→32 channels at 628² at
 * half direct's speed. */
static inline gboolean
vka_cpu_rule_winograd (char kind, int cin, int cout, gint64 pixels)
{
  if (kind == 'f' && pixels > (1 << 18))
    return FALSE;
  return kind == 'd' || (MIN (cin, cout) >= 16 && cin + cout >= 48);
}

/* $VKA_CPU_TUNE=1: pick each shape's kernels by timing their first runs
 * instead of by vka_cpu_rule_winograd. */
static inline gboolean
vka_cpu_tuning (void)
{
  const char *env = g_getenv ("VKA_CPU_TUNE");
  return env && g_str_equal (env, "1");
}

/* The input index that output index o of a bilinear ×2 upsampling
 * (align_corners=False) reads with weight 0.25 along an axis of n inputs:
 * o/2's neighbour on o's side, clamped (o/2 itself has 0.75). */
static inline int
vka_cpu_bilinear_neighbour (int o, int n)
{
  int j = o % 2 ? o / 2 + 1 : o / 2 - 1;
  return CLAMP (j, 0, n - 1);
}

/* On functions whose loops run over the 16 lanes of a channel block: the
 * build targets plain x86-64, so these also get AVX2 and AVX-512 forms,
 * picked at load time for the CPU at hand. */
#if defined(__x86_64__) && defined(__GNUC__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define VKA_CPU_LANE_LOOPS __attribute__ ((target_clones ("avx512f", "avx2", "default")))
#endif
#endif
#ifndef VKA_CPU_LANE_LOOPS
#define VKA_CPU_LANE_LOOPS
#endif

/* backend.c */
/* A start time for vka_cpu_profile_add; 0 when not profiling. */
gint64   vka_cpu_profile_start (VkaCpuBackend *b);
void     vka_cpu_profile_add (VkaCpuBackend *b, gint64 start, double flops,
                              const char *format, ...) G_GNUC_PRINTF (4, 5);
/* Host memory through the spare list; floats, not bytes. */
float   *vka_cpu_storage_alloc (VkaCpuBackend *b, gsize floats, GError **error);
void     vka_cpu_storage_free (VkaCpuBackend *b, float *data, gsize floats);
gboolean vka_cpu_tensor_set_layout (VkaCpuTensor *t, VkaCpuLayout layout, gboolean keep,
                                    GError **error);
void     vka_cpu_fill_border (VkaCpuTensor *t);
/* One row of a 2×2 ceil-mode max-pooling of one channel block: from input
 * rows r0 and r1 (their first pixel; r1 = r0 at an odd height's bottom) of
 * in_w pixels into out_w pixels at d. */
void     vka_cpu_maxpool_row (const float *r0, const float *r1, int in_w, int out_w,
                              float *d);
gboolean vka_cpu_forward_winograd (VkaCpuBackend *b, int cin, int cout, gint64 pixels);
void     vka_cpu_fill_border_as (VkaCpuTensor *t, gboolean replicate);
gboolean vka_cpu_conv3x3_upsampled (VkaBackend *backend, VkaTensor *in, VkaTensor *weight,
                                    VkaTensor *bias, gboolean relu, VkaTensor *out,
                                    GError **error);
/* Forgets what was derived from t's value (its packings as weights). */
void     vka_cpu_tensor_changed (VkaCpuTensor *t);
gboolean vka_cpu_dnnl_check (dnnl_status_t s, const char *what, GError **error);

/* conv-backward.c */
gboolean vka_cpu_conv3x3_backward (VkaBackend *backend, VkaTensor *x, VkaTensor *y,
                                   VkaTensor *dy, VkaTensor *weight, VkaTensor *dweight,
                                   VkaTensor *dbias, VkaTensor *din, GError **error);
gboolean vka_cpu_conv2d_backward_data (VkaBackend *backend, VkaTensor *dout,
                                       VkaTensor *weight, VkaTensor *din, GError **error);
gboolean vka_cpu_conv3x3_backward_weight (VkaBackend *backend, VkaTensor *in,
                                          VkaTensor *dout, VkaTensor *dweight,
                                          VkaTensor *dbias, GError **error);

/* train-ops.c */
gboolean vka_cpu_channel_stats (VkaBackend *backend, VkaTensor *in, VkaTensor *stats,
                                GError **error);
gboolean vka_cpu_channel_moments (VkaBackend *backend, VkaTensor *in, int y0, int x0, int h,
                                  int w, VkaTensor *moments, GError **error);
gboolean vka_cpu_channel_stats_backward (VkaBackend *backend, VkaTensor *in,
                                         VkaTensor *stats, VkaTensor *dstats,
                                         VkaTensor *din, GError **error);
gboolean vka_cpu_relu_backward (VkaBackend *backend, VkaTensor *y, VkaTensor *dy,
                                VkaTensor *dx, GError **error);
gboolean vka_cpu_mse_backward (VkaBackend *backend, VkaTensor *a, VkaTensor *b,
                               float scale, VkaTensor *da, GError **error);
gboolean vka_cpu_add (VkaBackend *backend, VkaTensor *a, VkaTensor *b, VkaTensor *out,
                      GError **error);
gboolean vka_cpu_maxpool2x2_backward (VkaBackend *backend, VkaTensor *in,
                                      VkaTensor *dout, VkaTensor *din, GError **error);
gboolean vka_cpu_upsample2x_backward (VkaBackend *backend, VkaTensor *dout,
                                      VkaTensor *din, GError **error);
gboolean vka_cpu_upsample2x_bilinear_backward (VkaBackend *backend, VkaTensor *dout,
                                               VkaTensor *din, GError **error);
gboolean vka_cpu_optimizer_step (VkaBackend *backend, VkaTensor *param, VkaTensor *grad,
                                 VkaTensor *m, VkaTensor *v, const VkaOptimizer *opt,
                                 int step, GError **error);

/* conv-narrow.c: 3×3 convolutions with at most VKA_CPU_NARROW_MAX input
 * channels (and whole blocks of outputs, at most VKA_CPU_NARROW_MAX_BLOCKS),
 * or at most VKA_CPU_NARROW_MAX outputs (and whole blocks of inputs), on the
 * padded maps, border left to the caller. Few outputs are written in out's
 * layout: PLAIN (the network's RGB output, a quarter of a padded block's
 * bytes per pixel) or PADDED. $VKA_CPU_CONV set to anything but "narrow"
 * sends them to oneDNN instead (tests). */
#define VKA_CPU_NARROW_MAX        4
#define VKA_CPU_NARROW_MAX_BLOCKS 16
gboolean vka_cpu_narrow_conv_fits (int cin, int cout);
gboolean vka_cpu_conv3x3_narrow (VkaCpuBackend *b, VkaCpuTensor *in, VkaCpuTensor *weight,
                                 VkaCpuTensor *bias, gboolean relu, VkaCpuTensor *out,
                                 GError **error);

/* conv-chain.c: conv3x3_chain in bands of rows ($VKA_CPU_BAND_ROWS sets
 * their height at the convolutions' resolution, for tests; $VKA_CPU_BANDS=0
 * runs whole maps) */
gboolean vka_cpu_conv3x3_chain (VkaBackend *backend, VkaTensor *in, const VkaChainConv *convs,
                                int n_convs, gboolean upsampled, gboolean pooled,
                                VkaTensor *out, GError **error);

/* conv.c */
gboolean vka_cpu_conv2d (VkaBackend *backend, VkaTensor *in, VkaTensor *weight,
                         VkaTensor *bias, gboolean relu, VkaTensor *out, GError **error);
gboolean vka_cpu_conv3x3_pooled (VkaBackend *backend, VkaTensor *in, VkaTensor *weight,
                                 VkaTensor *bias, gboolean relu, VkaTensor *out,
                                 GError **error);
void     vka_cpu_plan_free (gpointer plan);
/* p with pd's primitive and the memory it binds (weights: which query gives
 * the weights' layout), pd destroyed; NULL (p freed) when pd is NULL or
 * fails. */
/* Runs plan's primitive on these buffers, with scratch of its own. */
gboolean vka_cpu_run_conv (VkaCpuBackend *b, VkaCpuConvPlan *plan, float *src, float *weights,
                           float *bias, float *dst, GError **error);
VkaCpuConvPlan *vka_cpu_plan_finish (VkaCpuConvPlan *p, dnnl_primitive_desc_t pd,
                                     dnnl_query_t weights);
/* Runs plan once on the caller's tensors (data). */
typedef gboolean (*VkaCpuPlanRun) (VkaCpuConvPlan *plan, gpointer data, GError **error);
/* Of a direct and a Winograd plan for one convolution (either may be NULL,
 * not both), the one to keep, timed with run where both exist (times:
 * direct's, Winograd's in ms, -1 where not timed); the other is freed. NULL
 * with error when a run fails (both freed). */
VkaCpuConvPlan *vka_cpu_plan_faster (VkaCpuConvPlan *direct, VkaCpuConvPlan *wino,
                                     VkaCpuPlanRun run, gpointer data, double times[2],
                                     GError **error);
gboolean vka_cpu_execute (VkaCpuBackend *b, dnnl_primitive_t prim, int n,
                          const dnnl_exec_arg_t *args, GError **error);
gboolean vka_cpu_reorder (VkaCpuBackend *b, VkaMd src, void *src_data, VkaMd dst,
                          void *dst_data, GError **error);
/* weight (plain OIHW) in the layout md asks for, packed once and kept until
 * the tensor changes. */
float   *vka_cpu_packed_weights (VkaCpuBackend *b, VkaCpuTensor *w, VkaMd md,
                                 GError **error);
void     vka_cpu_packed_free (gpointer packed);
