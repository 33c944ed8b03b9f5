/* backend.h — the op interface that the network calls (private to compute/).
 *
 * One table of ops per backend: Vulkan (every GPU, and lavapipe), oneDNN
 * on the CPU, and the plain-C reference (the tests' oracle). Ops may be
 * queued: results are only guaranteed after vka_backend_flush () or a
 * tensor read. Freeing a tensor that queued work still uses is allowed; the
 * backend defers it.
 */
#pragma once

#include "vka.h"

typedef struct VkaBackend VkaBackend;
typedef struct VkaBackendOps VkaBackendOps;
/* A backend's read of a tensor begun and not yet waited for (read_begin). */
typedef struct VkaPendingRead VkaPendingRead;

/* Every backend's tensor starts with this. Float32, NCHW. */
typedef struct
{
  VkaBackend *backend;
  int n, c, h, w;
} VkaTensor;

static inline gsize
vka_tensor_numel (const VkaTensor *t)
{
  return (gsize) t->n * (gsize) t->c * (gsize) t->h * (gsize) t->w;
}

/* What crossed between the host and the device: command buffers submitted,
 * and the bytes tensor writes and reads moved each way. */
typedef struct
{
  guint64 submissions;
  guint64 bytes_to_device;
  guint64 bytes_to_host;
} VkaTransferStats;

typedef struct
{
  gboolean sgd;      /* plain SGD instead of Adam */
  double   lr;       /* this step's learning rate */
  double   beta1, beta2, eps;
} VkaOptimizer;

/* One 3×3 convolution of a chain (conv3x3_chain). */
typedef struct
{
  VkaTensor *weight, *bias;
  gboolean   relu;
} VkaChainConv;

/* What conv3x3_chain may hold beyond its input and output: at most this,
 * and for small maps what vka_conv3x3_chain_scratch_bytes says. */
#define VKA_CONV_CHAIN_SCRATCH_BYTES ((guint64) 64 << 20)

struct VkaBackendOps
{
  const char *name;
  void        (*destroy)       (VkaBackend *backend);

  VkaTensor  *(*tensor_new)    (VkaBackend *backend, int n, int c, int h, int w,
                                GError **error);
  void        (*tensor_free)   (VkaTensor *tensor);
  gboolean    (*tensor_write)  (VkaTensor *tensor, const float *src, GError **error);
  gboolean    (*tensor_read)   (VkaTensor *tensor, float *dst, GError **error);
  /* Optional: tensor_read in two steps, so that the host can go on while
   * the device works: read_begin submits the work queued so far (with the
   * copy the read needs) without waiting for it; read_end waits for that
   * work alone, copies the values to dst (NULL: drops them) and frees
   * read. The tensor must live, unwritten, until then. Without them,
   * vka_tensor_read_end reads the tensor. */
  VkaPendingRead *(*read_begin) (VkaTensor *tensor, GError **error);
  gboolean    (*read_end)      (VkaPendingRead *read, float *dst, GError **error);

  /* out = bias + conv(in, weight[Cout][Cin][k][k]); k = 1, or 3 with
   * reflection padding 1; then ReLU when relu. out has in's size. */
  gboolean    (*conv2d)        (VkaBackend *backend, VkaTensor *in,
                                VkaTensor *weight, VkaTensor *bias,
                                gboolean relu, VkaTensor *out, GError **error);
  /* out (n, Cout, 2h, 2w) = conv2d (upsample2x (in)) for a 3×3 weight,
   * without making the upsampled map: the decoder's upsampling folded into
   * the next convolution. Optional (NULL: vka_conv3x3_upsampled composes). */
  gboolean    (*conv3x3_upsampled) (VkaBackend *backend, VkaTensor *in,
                                    VkaTensor *weight, VkaTensor *bias,
                                    gboolean relu, VkaTensor *out, GError **error);
  /* out (n, Cout, ⌈h/2⌉, ⌈w/2⌉) = maxpool2x2 (conv2d (in)) for a 3×3 weight:
   * the encoder's pooling taken into the convolution before it, where the
   * backend can do without the full-size map. Optional (NULL: the two ops). */
  gboolean    (*conv3x3_pooled) (VkaBackend *backend, VkaTensor *in, VkaTensor *weight,
                                 VkaTensor *bias, gboolean relu, VkaTensor *out,
                                 GError **error);
  /* out = convs[n-1] (… convs[0] (in)), the first on upsample2x (in) when
   * upsampled, the last followed by maxpool2x2 when pooled (not both): the
   * network's full-resolution ends as one op, for a backend that runs them
   * without whole intermediate maps (at most VKA_CONV_CHAIN_SCRATCH_BYTES
   * more). Optional (NULL: the network runs the layers). */
  gboolean    (*conv3x3_chain) (VkaBackend *backend, VkaTensor *in,
                                const VkaChainConv *convs, int n_convs, gboolean upsampled,
                                gboolean pooled, VkaTensor *out, GError **error);
  /* 2×2 stride 2, ceil mode: out is ⌈h/2⌉ × ⌈w/2⌉. */
  gboolean    (*maxpool2x2)    (VkaBackend *backend, VkaTensor *in,
                                VkaTensor *out, GError **error);
  /* nearest ×2 */
  gboolean    (*upsample2x)    (VkaBackend *backend, VkaTensor *in,
                                VkaTensor *out, GError **error);
  /* bilinear ×2, PyTorch's align_corners=False (taps clamped at the edges) */
  gboolean    (*upsample2x_bilinear) (VkaBackend *backend, VkaTensor *in,
                                      VkaTensor *out, GError **error);
  /* stats (n, c, 1, 2): per plane mean and sqrt(unbiased var + 1e-5);
   * a plane of one pixel has variance 0. */
  gboolean    (*channel_stats) (VkaBackend *backend, VkaTensor *in,
                                VkaTensor *stats, GError **error);
  /* Optional: moments (n, c, 1, 2) per plane of in: the mean and M2 (the sum
   * of squared deviations from it) over the window [y0, y0+h) × [x0, x0+w),
   * for statistics merged over tiles without reading the features back. */
  gboolean    (*channel_moments) (VkaBackend *backend, VkaTensor *in, int y0, int x0,
                                  int h, int w, VkaTensor *moments, GError **error);
  /* out = α·(σt·(x−μx)/σx + μt) + (1−α)·x with stats tensors (n, c, 1, 2). */
  gboolean    (*adain)         (VkaBackend *backend, VkaTensor *x,
                                VkaTensor *x_stats, VkaTensor *target_stats,
                                float alpha, VkaTensor *out, GError **error);
  /* image: (1, 1, h, w·channels) interleaved; out: (1, 3, h, w).
   * 1 or 2 channels: gray replicated; 3 or 4: RGB, alpha ignored. */
  gboolean    (*image_to_tensor) (VkaBackend *backend, VkaTensor *image,
                                  int channels, VkaTensor *out, GError **error);
  /* in: (1, 3, H, W); image: (1, 1, h, w·3), clamped to [0,1]: the h × w
   * window of in whose top-left is (y0, x0). */
  gboolean    (*tensor_to_image) (VkaBackend *backend, VkaTensor *in, int y0, int x0,
                                  VkaTensor *image, GError **error);
  /* out = m·a + (1−m)·b; mask (n, 1, h, w) is shared by the channels. */
  gboolean    (*mask_blend)    (VkaBackend *backend, VkaTensor *a, VkaTensor *b,
                                VkaTensor *mask, VkaTensor *out, GError **error);
  /* The largest tensor this backend can hold, in bytes. */
  guint64     (*max_tensor_bytes) (VkaBackend *backend);
  /* Optional: the bytes a tensor of this shape holds once in use (its
   * layout's padding included); NULL means n·c·h·w floats. */
  guint64     (*tensor_bytes)  (VkaBackend *backend, int n, int c, int h, int w);
  /* Optional: a bound on the bytes a k×k convolution of an h × w map holds
   * while it runs beyond its input and output (copies in other layouts,
   * scratch); NULL: none. */
  guint64     (*conv_extra_bytes) (VkaBackend *backend, int n, int cin, int cout, int h,
                                   int w, int k);
  /* Optional: the largest working set a tile should have on this backend,
   * whatever the memory limit allows (NULL: the limit alone). */
  guint64     (*max_tile_working_bytes) (VkaBackend *backend);
  /* Optional: the bytes of a k×k convolution's h × w output where they are
   * not tensor_bytes' (a layout of its own); NULL: tensor_bytes. */
  guint64     (*conv_output_bytes) (VkaBackend *backend, int n, int cin, int cout, int h,
                                    int w, int k);
  /* Optional: the most bytes the backend held at once since the last
   * reset_peak, which drops what it keeps for reuse and returns the bytes
   * still held. */
  guint64     (*peak_bytes)    (VkaBackend *backend);
  guint64     (*reset_peak)    (VkaBackend *backend);

  gboolean    (*flush)         (VkaBackend *backend, GError **error);
  /* Optional: the transfers since the backend was made (counts only grow). */
  void        (*transfer_stats) (VkaBackend *backend, VkaTransferStats *stats);
  /* Optional: from now on choose kernels by fixed rules, never by timing,
   * so that the same inputs give the same bits in every run (training). */
  void        (*set_reproducible) (VkaBackend *backend);

  /* Training ops (NULL on backends that only stylise). Each gives the
   * gradient with respect to an input from the gradient of the output; see
   * compute/reference/ops-impl.h for the maths. */
  /* din (n, Cin, h, w) from dout (n, Cout, h, w) and weight (Cout, Cin, k, k),
   * k = 1 or 3 (reflection padding) */
  gboolean    (*conv2d_backward_data) (VkaBackend *backend, VkaTensor *dout,
                                        VkaTensor *weight, VkaTensor *din, GError **error);
  /* dweight (Cout, Cin, 3, 3) and dbias (1, Cout, 1, 1), summed over the batch */
  gboolean    (*conv3x3_backward_weight) (VkaBackend *backend, VkaTensor *in,
                                          VkaTensor *dout, VkaTensor *dweight,
                                          VkaTensor *dbias, GError **error);
  /* Optional: one 3×3 layer's backward in one call — dy times (y > 0)
   * when y (the ReLU's output) is given, then the weight and bias gradients
   * when dweight, and the input gradient when din. x gives the input's
   * shape (and values, for the weight gradient). */
  gboolean    (*conv3x3_backward) (VkaBackend *backend, VkaTensor *x, VkaTensor *y,
                                   VkaTensor *dy, VkaTensor *weight, VkaTensor *dweight,
                                   VkaTensor *dbias, VkaTensor *din, GError **error);
  /* dx = dy where y > 0 */
  gboolean    (*relu_backward) (VkaBackend *backend, VkaTensor *y, VkaTensor *dy,
                                VkaTensor *dx, GError **error);
  /* din (in's shape): dout to the first maximum of each window */
  gboolean    (*maxpool2x2_backward) (VkaBackend *backend, VkaTensor *in, VkaTensor *dout,
                                      VkaTensor *din, GError **error);
  /* din (n, c, h, w) = sums of dout (n, c, 2h, 2w) over 2×2 blocks */
  gboolean    (*upsample2x_backward) (VkaBackend *backend, VkaTensor *dout,
                                      VkaTensor *din, GError **error);
  /* din (n, c, h, w): upsample2x_bilinear's transpose applied to dout (n, c, 2h, 2w) */
  gboolean    (*upsample2x_bilinear_backward) (VkaBackend *backend, VkaTensor *dout,
                                               VkaTensor *din, GError **error);
  /* din from dstats (n, c, 1, 2) = (∂L/∂mean, ∂L/∂std) and in's stats */
  gboolean    (*channel_stats_backward) (VkaBackend *backend, VkaTensor *in,
                                         VkaTensor *stats, VkaTensor *dstats,
                                         VkaTensor *din, GError **error);
  /* da = scale·2(a − b)/numel */
  gboolean    (*mse_backward)  (VkaBackend *backend, VkaTensor *a, VkaTensor *b,
                                float scale, VkaTensor *da, GError **error);
  /* out = a + b */
  gboolean    (*add)           (VkaBackend *backend, VkaTensor *a, VkaTensor *b,
                                VkaTensor *out, GError **error);
  /* One Adam (or, with sgd, plain SGD) step of param by grad; m and v are
   * Adam's moments; step counts from 1 (see vka_ref_optimizer_step). */
  gboolean    (*optimizer_step) (VkaBackend *backend, VkaTensor *param, VkaTensor *grad,
                                 VkaTensor *m, VkaTensor *v, const VkaOptimizer *opt,
                                 int step, GError **error);
};

struct VkaBackend
{
  const VkaBackendOps *ops;
};

guint64 vka_tensor_bytes (VkaBackend *b, int n, int c, int h, int w);

static inline VkaTensor *
vka_tensor_new (VkaBackend *b, int n, int c, int h, int w, GError **error)
{
  return b->ops->tensor_new (b, n, c, h, w, error);
}

static inline void
vka_tensor_free (VkaTensor *t)
{
  if (t)
    t->backend->ops->tensor_free (t);
}

/* A tensor's values on their way back (vka_tensor_read_begin). */
typedef struct
{
  VkaTensor      *tensor;
  VkaPendingRead *pending;   /* NULL: read in vka_tensor_read_end */
} VkaTensorRead;

/* The backend's read_begin where it has one. */
gboolean vka_tensor_read_begin (VkaTensor *tensor, VkaTensorRead *read, GError **error);
/* Waits for the read, copies the values to dst (NULL: drops them) and
 * empties read; an empty read does nothing. */
gboolean vka_tensor_read_end (VkaTensorRead *read, float *dst, GError **error);

static inline gboolean
vka_backend_flush (VkaBackend *b, GError **error)
{
  return b->ops->flush (b, error);
}

static inline void
vka_backend_free (VkaBackend *b)
{
  if (b)
    b->ops->destroy (b);
}

/* The host's physical memory (8 GiB when the system does not say). */
guint64  vka_host_memory_bytes (void);
/* Memory the kernel could give now without swapping (MemAvailable), or an
 * eighth of the physical memory where that is unknown. */
guint64  vka_host_available_bytes (void);

/* maxpool2x2 (conv2d (in)) for a 3×3 weight: the backend's fused op, or the
 * two ops. */
gboolean vka_conv3x3_pooled (VkaBackend *b, VkaTensor *in, VkaTensor *weight,
                             VkaTensor *bias, gboolean relu, VkaTensor *out, GError **error);
gboolean vka_conv3x3_pooled_composed (VkaBackend *b, VkaTensor *in, VkaTensor *weight,
                                      VkaTensor *bias, gboolean relu, VkaTensor *out,
                                      GError **error);
/* conv2d (upsample2x (in)): the backend's fused op, or the two ops. */
gboolean vka_conv3x3_upsampled (VkaBackend *b, VkaTensor *in, VkaTensor *weight,
                                VkaTensor *bias, gboolean relu, VkaTensor *out,
                                GError **error);
gboolean vka_conv3x3_upsampled_composed (VkaBackend *b, VkaTensor *in, VkaTensor *weight,
                                         VkaTensor *bias, gboolean relu, VkaTensor *out,
                                         GError **error);

/* A chain of 3×3 convolutions (conv3x3_chain): the backend's op, or the
 * single ops one after the other. */
gboolean vka_conv3x3_chain (VkaBackend *b, VkaTensor *in, const VkaChainConv *convs,
                            int n_convs, gboolean upsampled, gboolean pooled, VkaTensor *out,
                            GError **error);
/* The bound on conv3x3_chain's scratch for convolutions of at most
 * channels channels at conv_h × conv_w (the chain's input, or twice it when
 * upsampled): the band's input, output and an op's own maps, six blocks of
 * 16 channels per pixel and block of the widest layer, for at most the
 * whole map, within VKA_CONV_CHAIN_SCRATCH_BYTES. */
guint64  vka_conv3x3_chain_scratch_bytes (int n, int channels, int conv_h, int conv_w);
/* The bytes of one row of that scratch. */
guint64  vka_conv3x3_chain_row_bytes (int n, int channels, int conv_w);
/* conv3x3_chain's value from the single ops. */
gboolean vka_conv3x3_chain_composed (VkaBackend *b, VkaTensor *in, const VkaChainConv *convs,
                                     int n_convs, gboolean upsampled, gboolean pooled,
                                     VkaTensor *out, GError **error);

/* Shape checks shared by every backend; they set error and return FALSE. */
gboolean vka_check_tensor_dims (int n, int c, int h, int w, GError **error);
gboolean vka_check_conv (VkaTensor *in, VkaTensor *weight, VkaTensor *bias,
                         VkaTensor *out, int *kernel_out, GError **error);
gboolean vka_check_same_shape (const char *op, VkaTensor *a, VkaTensor *b,
                               GError **error);
gboolean vka_check_shape (const char *op, const char *what, VkaTensor *t,
                          int n, int c, int h, int w, GError **error);
gboolean vka_check_conv3x3_upsampled (VkaTensor *in, VkaTensor *weight, VkaTensor *bias,
                                      VkaTensor *out, GError **error);
gboolean vka_check_conv3x3_chain (VkaTensor *in, const VkaChainConv *convs, int n_convs,
                                  gboolean upsampled, gboolean pooled, VkaTensor *out,
                                  GError **error);
gboolean vka_check_maxpool2x2 (VkaTensor *in, VkaTensor *out, GError **error);
gboolean vka_check_upsample2x (VkaTensor *in, VkaTensor *out, GError **error);
gboolean vka_check_channel_stats (VkaTensor *in, VkaTensor *stats, GError **error);
gboolean vka_check_channel_moments (VkaTensor *in, int y0, int x0, int h, int w,
                                    VkaTensor *moments, GError **error);
gboolean vka_check_adain (VkaTensor *x, VkaTensor *x_stats, VkaTensor *target_stats,
                          VkaTensor *out, GError **error);
gboolean vka_check_image_to_tensor (VkaTensor *image, int channels, VkaTensor *out,
                                    GError **error);
gboolean vka_check_tensor_to_image (VkaTensor *in, int y0, int x0, VkaTensor *image,
                                    GError **error);
gboolean vka_check_mask_blend (VkaTensor *a, VkaTensor *b, VkaTensor *mask,
                               VkaTensor *out, GError **error);
gboolean vka_check_conv2d_backward_data (VkaTensor *dout, VkaTensor *weight,
                                         VkaTensor *din, GError **error);
gboolean vka_check_conv3x3_backward_weight (VkaTensor *in, VkaTensor *dout,
                                            VkaTensor *dweight, VkaTensor *dbias,
                                            GError **error);
gboolean vka_check_conv3x3_backward (VkaTensor *x, VkaTensor *y, VkaTensor *dy,
                                     VkaTensor *weight, VkaTensor *dweight, VkaTensor *dbias,
                                     VkaTensor *din, GError **error);
gboolean vka_check_optimizer_step (VkaTensor *param, VkaTensor *grad, VkaTensor *m,
                                   VkaTensor *v, GError **error);

/* The plain-C reference backend (compute/reference/). */
VkaBackend *vka_reference_backend_new (void);
/* The same on double (tensors still read and write float). */
VkaBackend *vka_reference64_backend_new (void);
/* The oneDNN CPU backend (compute/cpu/); threads 0 = all cores. Fails with
 * VKA_ERROR_NO_DEVICE in a build without oneDNN. */
VkaBackend *vka_cpu_backend_new (int threads, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VkaTensor, vka_tensor_free)
