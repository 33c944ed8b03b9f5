/* test-ops.c — every forward op on the backend under test (--backend
 * vulkan|cpu) against the plain-C reference, over awkward shapes, with the
 * same NMSE limits for every backend; on Vulkan with guard words around every
 * tensor and the validation layer on. One GTest case per (op, shape): each
 * row of the op table (ops[]) names its run function and its shapes
 * function. An op a backend lacks (a NULL entry in its table) is skipped and
 * counted. --conv3x3-only: only the rows marked conv3x3 (the runs of each
 * 3×3 kernel variant). */
#include "test-util.h"

typedef struct
{
  int n, c, h, w;
  int cout;     /* convs */
  int extra;    /* op-specific: image channels, crop */
} Shape;

typedef VkaTensor *(*RunOp) (VkaBackend *b, const Shape *s, guint32 seed, GError **error);

typedef struct OpSpec OpSpec;

/* One row of the op table (ops[] below): how to run the op on a backend and
 * on which shapes (shapes calls add_case for each). */
struct OpSpec
{
  const char *name;
  RunOp       run;
  void      (*shapes) (const OpSpec *op);
  double      max_nmse;    /* 0: must match exactly */
  gsize       entry;       /* offset of the op in VkaBackendOps */
  gboolean    conv3x3;     /* FP16_CONV3X3_MAX_NMSE on fp16 backends; run by --conv3x3-only */
};

/* The limits for 3×3 convolutions with fp16 weights and scratch, or with
 * both operands fp16 as cooperative matrices multiply them (float32 sums). Rounding to fp16 errs by at most 2^-11 of a value, ~2.8e-4 rms; the
 * GEMM kernel rounds both factors of each product, Winograd U, V and M, so
 * an output's error is a few 1e-4 of its terms' magnitude, and the NMSE
 * (error energy over the output's) of an output of many values sits near
 * 1e-7 (up to 2e-6 seen on lavapipe): 1e-5 is an rms error of 0.3% of the
 * output's. An output of a few values may be a near-cancelled sum (or be
 * mostly cut by the ReLU), whose error stays that of its terms: up to
 * 2.4e-4 seen with 2 values, so below 64 values the limit is 1e-3. A wrong
 * index, transform or precision of a buffer still fails both (NMSE ~1). */
#define FP16_CONV3X3_MAX_NMSE 1e-5
#define FP16_CONV3X3_MAX_NMSE_FEW 1e-3
#define FP16_FEW_VALUES 64

/* The largest NMSE an fp16 3×3 convolution case of FP16_FEW_VALUES or more
 * values saw (reported at the end). */
static double worst_fp16_nmse;

typedef struct
{
  const OpSpec *op;
  Shape         shape;
} OpCase;

static VkaContext *device_context;
static VkaContext *reference_context;
static guint skipped;
/* every OpCase, freed at exit: GLib frees no data of cases that -s/-x skip */
static GPtrArray *cases;

static VkaTensor *
random_tensor (VkaBackend *b, GRand *rand, int n, int c, int h, int w, float lo, float hi)
{
  gsize numel = (gsize) n * c * h * w;
  g_autofree float *data = g_new (float, numel);
  test_fill_random (rand, data, numel, lo, hi);
  return test_tensor (b, n, c, h, w, data);
}

static VkaTensor *
run_conv (VkaBackend *b, const Shape *s, guint32 seed, int k, gboolean relu, GError **error)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr (VkaTensor) in = random_tensor (b, rand, s->n, s->c, s->h, s->w, -1, 1);
  g_autoptr (VkaTensor) weight = random_tensor (b, rand, s->cout, s->c, k, k, -0.5, 0.5);
  g_autoptr (VkaTensor) bias = random_tensor (b, rand, 1, s->cout, 1, 1, -0.5, 0.5);
  VkaTensor *out = test_tensor (b, s->n, s->cout, s->h, s->w, NULL);
  if (!b->ops->conv2d (b, in, weight, bias, relu, out, error))
    g_clear_pointer (&out, vka_tensor_free);
  return out;
}

static VkaTensor *
run_conv1x1 (VkaBackend *b, const Shape *s, guint32 seed, GError **error)
{
  return run_conv (b, s, seed, 1, FALSE, error);
}

static VkaTensor *
run_conv3x3 (VkaBackend *b, const Shape *s, guint32 seed, GError **error)
{
  return run_conv (b, s, seed, 3, FALSE, error);
}

static VkaTensor *
run_conv3x3_relu (VkaBackend *b, const Shape *s, guint32 seed, GError **error)
{
  return run_conv (b, s, seed, 3, TRUE, error);
}

/* conv3x3 of the ×2 upsampled input (the backend's fused op, or on the
 * reference the two ops one after the other); extra: ReLU */
static VkaTensor *
run_conv3x3_upsampled (VkaBackend *b, const Shape *s, guint32 seed, GError **error)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr (VkaTensor) in = random_tensor (b, rand, s->n, s->c, s->h, s->w, -1, 1);
  g_autoptr (VkaTensor) weight = random_tensor (b, rand, s->cout, s->c, 3, 3, -0.5, 0.5);
  g_autoptr (VkaTensor) bias = random_tensor (b, rand, 1, s->cout, 1, 1, -0.5, 0.5);
  VkaTensor *out = test_tensor (b, s->n, s->cout, s->h * 2, s->w * 2, NULL);
  if (!vka_conv3x3_upsampled (b, in, weight, bias, s->extra != 0, out, error))
    g_clear_pointer (&out, vka_tensor_free);
  return out;
}

/* maxpool2x2 of a conv3x3 (the backend's fused op, or on the reference the
 * two ops one after the other); extra: ReLU */
static VkaTensor *
run_conv3x3_pooled (VkaBackend *b, const Shape *s, guint32 seed, GError **error)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr (VkaTensor) in = random_tensor (b, rand, s->n, s->c, s->h, s->w, -1, 1);
  g_autoptr (VkaTensor) weight = random_tensor (b, rand, s->cout, s->c, 3, 3, -0.5, 0.5);
  g_autoptr (VkaTensor) bias = random_tensor (b, rand, 1, s->cout, 1, 1, -0.5, 0.5);
  VkaTensor *out = test_tensor (b, s->n, s->cout, (s->h + 1) / 2, (s->w + 1) / 2, NULL);
  if (!vka_conv3x3_pooled (b, in, weight, bias, s->extra != 0, out, error))
    g_clear_pointer (&out, vka_tensor_free);
  return out;
}

/* The chains of 3×3 convolutions the network's full-resolution ends are
 * (conv3x3_chain); extra: the chain (CHAIN_*) plus CHAIN_BANDS × the rows
 * per band the CPU backend is told to use (0: its own choice). */
enum
{
  CHAIN_HEAD,        /* c → cout, cout → cout pooled: the encoder's first block */
  CHAIN_POOLED,      /* c → cout pooled */
  CHAIN_TAIL,        /* c → cout on the upsampled input, cout → 3: the decoder's last */
  CHAIN_TAIL3,       /* c → cout upsampled, cout → cout, cout → 3 */
  CHAIN_KINDS,
  CHAIN_BANDS = 8,
};

static VkaTensor *
run_conv3x3_chain (VkaBackend *b, const Shape *s, guint32 seed, GError **error)
{
  int kind = s->extra % CHAIN_BANDS, band_rows = s->extra / CHAIN_BANDS;
  gboolean upsampled = kind == CHAIN_TAIL || kind == CHAIN_TAIL3;
  gboolean pooled = kind == CHAIN_HEAD || kind == CHAIN_POOLED;
  int n_convs = kind == CHAIN_POOLED ? 1 : kind == CHAIN_TAIL3 ? 3 : 2;
  int cout[3] = { s->cout, kind == CHAIN_TAIL ? 3 : s->cout, 3 };
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr (VkaTensor) in = random_tensor (b, rand, s->n, s->c, s->h, s->w, -1, 1);
  VkaTensor *weights[3] = { NULL }, *biases[3] = { NULL };
  VkaChainConv convs[3];
  for (int k = 0, c = s->c; k < n_convs; c = cout[k++])
    {
      weights[k] = random_tensor (b, rand, cout[k], c, 3, 3, -0.5, 0.5);
      biases[k] = random_tensor (b, rand, 1, cout[k], 1, 1, -0.5, 0.5);
      convs[k] = (VkaChainConv) { weights[k], biases[k], k < n_convs - 1 || pooled };
    }
  int h = upsampled ? 2 * s->h : pooled ? (s->h + 1) / 2 : s->h;
  int w = upsampled ? 2 * s->w : pooled ? (s->w + 1) / 2 : s->w;
  VkaTensor *out = test_tensor (b, s->n, cout[n_convs - 1], h, w, NULL);
  g_autofree char *rows = g_strdup_printf ("%d", band_rows);
  if (band_rows > 0)
    g_setenv ("VKA_CPU_BAND_ROWS", rows, TRUE);
  if (!vka_conv3x3_chain (b, in, convs, n_convs, upsampled, pooled, out, error))
    g_clear_pointer (&out, vka_tensor_free);
  g_unsetenv ("VKA_CPU_BAND_ROWS");
  for (int k = 0; k < n_convs; k++)
    {
      vka_tensor_free (weights[k]);
      vka_tensor_free (biases[k]);
    }
  return out;
}

static VkaTensor *
run_maxpool (VkaBackend *b, const Shape *s, guint32 seed, GError **error)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr (VkaTensor) in = random_tensor (b, rand, s->n, s->c, s->h, s->w, -1, 1);
  VkaTensor *out = test_tensor (b, s->n, s->c, (s->h + 1) / 2, (s->w + 1) / 2, NULL);
  if (!b->ops->maxpool2x2 (b, in, out, error))
    g_clear_pointer (&out, vka_tensor_free);
  return out;
}

static VkaTensor *
run_upsample (VkaBackend *b, const Shape *s, guint32 seed, GError **error)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr (VkaTensor) in = random_tensor (b, rand, s->n, s->c, s->h, s->w, -1, 1);
  VkaTensor *out = test_tensor (b, s->n, s->c, s->h * 2, s->w * 2, NULL);
  if (!b->ops->upsample2x (b, in, out, error))
    g_clear_pointer (&out, vka_tensor_free);
  return out;
}

static VkaTensor *
run_upsample_bilinear (VkaBackend *b, const Shape *s, guint32 seed, GError **error)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr (VkaTensor) in = random_tensor (b, rand, s->n, s->c, s->h, s->w, -1, 1);
  VkaTensor *out = test_tensor (b, s->n, s->c, s->h * 2, s->w * 2, NULL);
  if (!b->ops->upsample2x_bilinear (b, in, out, error))
    g_clear_pointer (&out, vka_tensor_free);
  return out;
}

/* upsample2x_bilinear read by a 3×3 convolution, as a decoder would: its
 * output's reflection border (the CPU backend's padded layout) must be the
 * upsampled map's too */
static VkaTensor *
run_upsample_bilinear_conv (VkaBackend *b, const Shape *s, guint32 seed, GError **error)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr (VkaTensor) in = random_tensor (b, rand, s->n, s->c, s->h, s->w, -1, 1);
  g_autoptr (VkaTensor) weight = random_tensor (b, rand, s->cout, s->c, 3, 3, -0.5, 0.5);
  g_autoptr (VkaTensor) bias = random_tensor (b, rand, 1, s->cout, 1, 1, -0.5, 0.5);
  g_autoptr (VkaTensor) up = test_tensor (b, s->n, s->c, 2 * s->h, 2 * s->w, NULL);
  VkaTensor *out = test_tensor (b, s->n, s->cout, 2 * s->h, 2 * s->w, NULL);
  if (!b->ops->upsample2x_bilinear (b, in, up, error)
      || !b->ops->conv2d (b, up, weight, bias, FALSE, out, error))
    g_clear_pointer (&out, vka_tensor_free);
  return out;
}

static VkaTensor *
run_stats (VkaBackend *b, const Shape *s, guint32 seed, GError **error)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  /* an offset mean, as ReLU features have: catches naive Σx² − (Σx)² */
  g_autoptr (VkaTensor) in = random_tensor (b, rand, s->n, s->c, s->h, s->w, 3, 5);
  VkaTensor *out = test_tensor (b, s->n, s->c, 1, 2, NULL);
  if (!b->ops->channel_stats (b, in, out, error))
    g_clear_pointer (&out, vka_tensor_free);
  return out;
}

/* the mean and M2 of a window: the whole map (extra 0) or one inside it */
static VkaTensor *
run_moments (VkaBackend *b, const Shape *s, guint32 seed, GError **error)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr (VkaTensor) in = random_tensor (b, rand, s->n, s->c, s->h, s->w, 3, 5);
  int y0 = s->extra ? s->h / 3 : 0, x0 = s->extra ? s->w / 4 : 0;
  int h = s->extra ? MAX (1, s->h - y0 - s->h / 5) : s->h;
  int w = s->extra ? MAX (1, s->w - x0 - s->w / 6) : s->w;
  VkaTensor *out = test_tensor (b, s->n, s->c, 1, 2, NULL);
  if (!b->ops->channel_moments (b, in, y0, x0, h, w, out, error))
    g_clear_pointer (&out, vka_tensor_free);
  return out;
}

static VkaTensor *
run_adain (VkaBackend *b, const Shape *s, guint32 seed, GError **error)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr (VkaTensor) x = random_tensor (b, rand, s->n, s->c, s->h, s->w, 0, 4);
  g_autoptr (VkaTensor) xs = random_tensor (b, rand, s->n, s->c, 1, 2, 0.5, 2);
  g_autoptr (VkaTensor) ts = random_tensor (b, rand, s->n, s->c, 1, 2, 0.5, 2);
  VkaTensor *out = test_tensor (b, s->n, s->c, s->h, s->w, NULL);
  float alpha = s->extra ? 0.3f : 1.0f;
  if (!b->ops->adain (b, x, xs, ts, alpha, out, error))
    g_clear_pointer (&out, vka_tensor_free);
  return out;
}

/* AdaIN between two of the network's ops, as the decoder sees it: on an
 * upsampled map (the CPU backend's padded layout, which its AdaIN keeps)
 * and read by a 3×3 convolution, whose reflection border must be AdaIN's
 * too; extra: alpha 0.3 instead of 1 */
static VkaTensor *
run_adain_between (VkaBackend *b, const Shape *s, guint32 seed, GError **error)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr (VkaTensor) x0 = random_tensor (b, rand, s->n, s->c, s->h, s->w, 0, 4);
  g_autoptr (VkaTensor) xs = random_tensor (b, rand, s->n, s->c, 1, 2, 0.5, 2);
  g_autoptr (VkaTensor) ts = random_tensor (b, rand, s->n, s->c, 1, 2, 0.5, 2);
  g_autoptr (VkaTensor) weight = random_tensor (b, rand, s->c, s->c, 3, 3, -0.5, 0.5);
  g_autoptr (VkaTensor) bias = random_tensor (b, rand, 1, s->c, 1, 1, -0.5, 0.5);
  g_autoptr (VkaTensor) x = test_tensor (b, s->n, s->c, 2 * s->h, 2 * s->w, NULL);
  g_autoptr (VkaTensor) adapted = test_tensor (b, s->n, s->c, 2 * s->h, 2 * s->w, NULL);
  VkaTensor *out = test_tensor (b, s->n, s->c, 2 * s->h, 2 * s->w, NULL);
  if (!b->ops->upsample2x (b, x0, x, error)
      || !b->ops->adain (b, x, xs, ts, s->extra ? 0.3f : 1.0f, adapted, error)
      || !b->ops->conv2d (b, adapted, weight, bias, FALSE, out, error))
    g_clear_pointer (&out, vka_tensor_free);
  return out;
}

static VkaTensor *
run_image_to_tensor (VkaBackend *b, const Shape *s, guint32 seed, GError **error)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr (VkaTensor) image = random_tensor (b, rand, 1, 1, s->h, s->w * s->extra, 0, 1);
  VkaTensor *out = test_tensor (b, 1, 3, s->h, s->w, NULL);
  if (!b->ops->image_to_tensor (b, image, s->extra, out, error))
    g_clear_pointer (&out, vka_tensor_free);
  return out;
}

static VkaTensor *
run_tensor_to_image (VkaBackend *b, const Shape *s, guint32 seed, GError **error)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  /* values outside [0,1] test the clamp; extra rows/columns test the crop,
   * at the origin and at an offset */
  g_autoptr (VkaTensor) in = random_tensor (b, rand, 1, 3, s->h + s->extra,
                                            s->w + s->extra, -0.5, 1.5);
  VkaTensor *out = test_tensor (b, 1, 1, s->h, s->w * 3, NULL);
  int y0 = s->extra / 2, x0 = s->extra / 3;
  if (!b->ops->tensor_to_image (b, in, y0, x0, out, error))
    g_clear_pointer (&out, vka_tensor_free);
  return out;
}

static VkaTensor *
run_mask_blend (VkaBackend *b, const Shape *s, guint32 seed, GError **error)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr (VkaTensor) x = random_tensor (b, rand, s->n, s->c, s->h, s->w, -2, 2);
  g_autoptr (VkaTensor) y = random_tensor (b, rand, s->n, s->c, s->h, s->w, -2, 2);
  gsize pixels = (gsize) s->n * s->h * s->w;
  g_autofree float *m = g_new (float, pixels);
  for (gsize i = 0; i < pixels; i++)
    m[i] = g_rand_boolean (rand) ? 1.0f : 0.0f;
  g_autoptr (VkaTensor) mask = test_tensor (b, s->n, 1, s->h, s->w, m);
  VkaTensor *out = test_tensor (b, s->n, s->c, s->h, s->w, NULL);
  if (!b->ops->mask_blend (b, x, y, mask, out, error))
    g_clear_pointer (&out, vka_tensor_free);
  return out;
}

static void
test_op (gconstpointer data)
{
  const OpCase *tc = data;
  guint32 seed = g_str_hash (tc->op->name) ^ (guint32) (tc->shape.h * 7919 + tc->shape.w * 31
                                                       + tc->shape.c * 131 + tc->shape.cout);
  guint before = vka_context_validation_messages (device_context);
  g_autoptr (GError) error = NULL;

  VkaBackend *ref = vka_context_backend (reference_context);
  VkaBackend *dev = vka_context_backend (device_context);
  if (G_STRUCT_MEMBER (gpointer, dev->ops, tc->op->entry) == NULL)
    {
      skipped++;
      g_autofree char *why = g_strdup_printf ("%s: not implemented by the %s backend",
                                              tc->op->name, dev->ops->name);
      g_test_skip (why);
      return;
    }
  g_autoptr (VkaTensor) expected_t = tc->op->run (ref, &tc->shape, seed, &error);
  g_assert_no_error (error);
  g_autoptr (VkaTensor) actual_t = tc->op->run (dev, &tc->shape, seed, &error);
  g_assert_no_error (error);

  g_autofree float *expected = test_read (expected_t);
  g_autofree float *actual = test_read (actual_t);
  gsize n = vka_tensor_numel (expected_t);
  g_assert_cmpuint (vka_tensor_numel (actual_t), ==, n);
  double nmse = test_nmse (expected, actual, n);
  double max_nmse = tc->op->max_nmse;
  if (tc->op->conv3x3 && test_conv3x3_fp16 (dev))
    {
      if (n >= FP16_FEW_VALUES)
        {
          max_nmse = FP16_CONV3X3_MAX_NMSE;
          worst_fp16_nmse = MAX (worst_fp16_nmse, nmse);
        }
      else
        max_nmse = FP16_CONV3X3_MAX_NMSE_FEW;
    }
  if (nmse > max_nmse)
    g_test_message ("%s on %s n=%d c=%d h=%d w=%d cout=%d extra=%d: NMSE %.3g > %.3g",
                    tc->op->name, dev->ops->name, tc->shape.n, tc->shape.c, tc->shape.h, tc->shape.w,
                    tc->shape.cout, tc->shape.extra, nmse, max_nmse);
  g_assert_cmpfloat (nmse, <=, max_nmse);

  test_check_guards (actual_t);
  g_assert_cmpuint (vka_context_validation_messages (device_context), ==, before);
}

static void
add_case (const OpSpec *op, Shape shape)
{
  OpCase *tc = g_new0 (OpCase, 1);
  tc->op = op;
  tc->shape = shape;
  g_autofree char *path = g_strdup_printf ("/ops/%s/n%d-c%d-%dx%d-co%d-x%d", op->name,
                                           shape.n, shape.c, shape.h, shape.w,
                                           shape.cout, shape.extra);
  g_ptr_array_add (cases, tc);
  g_test_add_data_func (path, tc, test_op);
}

static const int sizes[][2] = { { 1, 1 }, { 1, 2 }, { 2, 1 }, { 2, 3 }, { 7, 5 },
                                { 33, 17 }, { 300, 300 } };
static const int channels[] = { 1, 3, 4, 5, 16, 64 };

/* Convolutions: every size and channel count in and out, then wider layers. */
static void
conv_shapes (const OpSpec *op)
{
  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    for (guint ci = 0; ci < G_N_ELEMENTS (channels); ci++)
      for (guint co = 0; co < G_N_ELEMENTS (channels); co++)
        {
          int h = sizes[s][0], w = sizes[s][1], c = channels[ci], cout = channels[co];
          /* the double-precision reference is slow: bound the work */
          if ((double) h * w * c * cout * 9 > 4e7)
            continue;
          add_case (op, (Shape) { (s + co) % 3 == 0 ? 2 : 1, c, h, w, cout, 0 });
        }
  /* wider layers: several 64- and 128-channel tiles with a partial last one,
   * input channels that are no multiple of 8, and a plane of more than
   * 32768·128 pixels (the GEMM kernel's grid folds into two dimensions) */
  static const Shape wide[] = { { 2, 67, 9, 11, 130, 0 }, { 1, 16, 33, 17, 200, 0 },
                                { 1, 130, 2, 3, 65, 0 }, { 1, 1, 2049, 2049, 1, 0 } };
  for (guint i = 0; i < G_N_ELEMENTS (wide); i++)
    add_case (op, wide[i]);
}

/* Ops on planes: every size and channel count; extra is 0, or alternates
 * between 0 and 1 over the channel counts (alternate_extra). */
static void
add_plane_cases (const OpSpec *op, gboolean alternate_extra)
{
  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    for (guint ci = 0; ci < G_N_ELEMENTS (channels); ci++)
      {
        int h = sizes[s][0], w = sizes[s][1], c = channels[ci];
        if ((double) h * w * c > 2e6)
          continue;
        int extra = alternate_extra ? (int) ci % 2 : 0;
        add_case (op, (Shape) { s % 2 ? 2 : 1, c, h, w, 0, extra });
      }
}

static void
plane_shapes (const OpSpec *op)
{
  add_plane_cases (op, FALSE);
}

/* adain: extra picks α = 0.3 instead of 1 */
static void
adain_shapes (const OpSpec *op)
{
  add_plane_cases (op, TRUE);
}

static void
stats_shapes (const OpSpec *op)
{
  add_plane_cases (op, FALSE);
  /* long reductions: one chunk's loop and the number of chunks both grow */
  add_case (op, (Shape) { 1, 2, 1024, 1023, 0, 0 });
  add_case (op, (Shape) { 1, 1, 1, 70001, 0, 0 });
}

/* channel_moments: extra picks an inner window instead of the whole map */
static void
moments_shapes (const OpSpec *op)
{
  add_plane_cases (op, TRUE);
  /* windows over several chunks, wide and narrower than a workgroup's step */
  add_case (op, (Shape) { 1, 2, 1024, 1023, 0, 1 });
  add_case (op, (Shape) { 1, 2, 9000, 7, 0, 1 });
  add_case (op, (Shape) { 2, 3, 300, 300, 0, 1 });
}

/* the decoder's upsampling folded into the next convolution: outputs of
 * 2×2 (a reflection of the smallest map), odd inputs, several tiles;
 * extra: ReLU */
static void
upsampled_shapes (const OpSpec *op)
{
  static const int up_channels[] = { 1, 5, 16, 64 };
  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    for (guint ci = 0; ci < G_N_ELEMENTS (up_channels); ci++)
      for (guint co = 0; co < G_N_ELEMENTS (up_channels); co++)
        {
          int h = sizes[s][0], w = sizes[s][1], c = up_channels[ci], cout = up_channels[co];
          if (4.0 * h * w * c * cout * 9 > 4e7)
            continue;
          add_case (op, (Shape) { (s + co) % 3 == 0 ? 2 : 1, c, h, w, cout,
                                  (int) (ci + co) % 2 });
        }
  add_case (op, (Shape) { 2, 67, 9, 11, 130, 1 });
  add_case (op, (Shape) { 1, 130, 2, 3, 65, 0 });
}

/* upsample2x_bilinear then a 3×3 convolution: every size, the narrow and
 * blocked channel counts, a partial last block */
static void
bilinear_conv_shapes (const OpSpec *op)
{
  static const int conv_channels[] = { 1, 5, 16, 17 };
  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    for (guint ci = 0; ci < G_N_ELEMENTS (conv_channels); ci++)
      {
        int h = sizes[s][0], w = sizes[s][1], c = conv_channels[ci];
        int cout = conv_channels[(ci + 1) % G_N_ELEMENTS (conv_channels)];
        if (4.0 * h * w * c * cout * 9 > 4e7)
          continue;
        add_case (op, (Shape) { s % 2 ? 2 : 1, c, h, w, cout, 0 });
      }
}

/* the encoder's pooling folded into the convolution before it: odd sizes
 * (the ceil-mode window cut at the edges), 1×1 and width 2, the narrow
 * channel counts (the composed ops) and the blocked ones; extra: ReLU */
static void
pooled_shapes (const OpSpec *op)
{
  static const int pool_channels[] = { 3, 16, 17, 32, 64 };
  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    for (guint ci = 0; ci < G_N_ELEMENTS (pool_channels); ci++)
      for (guint co = 0; co < G_N_ELEMENTS (pool_channels); co++)
        {
          int h = sizes[s][0], w = sizes[s][1], c = pool_channels[ci], cout = pool_channels[co];
          if ((double) h * w * c * cout * 9 > 4e7)
            continue;
          add_case (op, (Shape) { (s + co) % 3 == 0 ? 2 : 1, c, h, w, cout,
                                  (int) (ci + co + 1) % 2 });
        }
  add_case (op, (Shape) { 1, 16, 513, 515, 16, 1 });   /* direct, not Winograd */
}

/* conv3x3_chain: each chain on every size, in bands of one row (each band
 * all margin but one row), a few rows and the backend's own choice, with
 * the narrow and blocked channel counts of the network's ends */
static void
chain_shapes (const OpSpec *op)
{
  static const int band_rows[] = { 1, 2, 3, 5, 0 };
  static const int chain_channels[][2] = { { 3, 16 }, { 16, 16 }, { 5, 17 } };
  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    for (int kind = 0; kind < CHAIN_KINDS; kind++)
      for (guint r = 0; r < G_N_ELEMENTS (band_rows); r++)
        {
          const int *ch = chain_channels[(s + kind + r) % G_N_ELEMENTS (chain_channels)];
          int h = sizes[s][0], w = sizes[s][1];
          if (h * w > 1000 && band_rows[r] != 0 && band_rows[r] != 5)
            continue;
          add_case (op, (Shape) { s % 3 == 1 ? 2 : 1, ch[0], h, w, ch[1],
                                  kind + CHAIN_BANDS * band_rows[r] });
        }
}

/* image_to_tensor: extra is the picture's channels, 1 to 4 */
static void
image_shapes (const OpSpec *op)
{
  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    for (int ch = 1; ch <= 4; ch++)
      add_case (op, (Shape) { 1, 3, sizes[s][0], sizes[s][1], 0, ch });
}

/* tensor_to_image: extra is the rows and columns cropped, 0 to 9 */
static void
crop_shapes (const OpSpec *op)
{
  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    for (int ch = 1; ch <= 4; ch++)
      add_case (op, (Shape) { 1, 3, sizes[s][0], sizes[s][1], 0, (ch - 1) * 3 });
}

#define OP(name) G_STRUCT_OFFSET (VkaBackendOps, name)

/* The op table. Adding an op's test is a run_ function and a row. */
static const OpSpec ops[] = {
  { "conv1x1", run_conv1x1, conv_shapes, 1e-10, OP (conv2d), FALSE },
  { "conv3x3_reflect", run_conv3x3, conv_shapes, 1e-10, OP (conv2d), TRUE },
  { "conv3x3_reflect_relu", run_conv3x3_relu, conv_shapes, 1e-10, OP (conv2d), TRUE },
  { "maxpool2x2_ceil", run_maxpool, plane_shapes, 0, OP (maxpool2x2), FALSE },
  { "upsample2x", run_upsample, plane_shapes, 0, OP (upsample2x), FALSE },
  /* float sums in another order than the reference's double ones */
  { "upsample2x_bilinear", run_upsample_bilinear, plane_shapes, 1e-12,
    OP (upsample2x_bilinear), FALSE },
  { "upsample2x_bilinear_conv3x3", run_upsample_bilinear_conv, bilinear_conv_shapes, 1e-10,
    OP (upsample2x_bilinear), FALSE },
  { "channel_stats", run_stats, stats_shapes, 1e-11, OP (channel_stats), FALSE },
  { "adain", run_adain, adain_shapes, 1e-11, OP (adain), FALSE },
  { "adain_between_ops", run_adain_between, adain_shapes, 1e-10, OP (adain), FALSE },
  { "image_to_tensor", run_image_to_tensor, image_shapes, 0, OP (image_to_tensor), FALSE },
  { "tensor_to_image", run_tensor_to_image, crop_shapes, 0, OP (tensor_to_image), FALSE },
  { "mask_blend", run_mask_blend, plane_shapes, 0, OP (mask_blend), FALSE },
  { "conv3x3_upsampled", run_conv3x3_upsampled, upsampled_shapes, 1e-10,
    OP (conv3x3_upsampled), TRUE },
  { "channel_moments", run_moments, moments_shapes, 1e-10, OP (channel_moments), FALSE },
  { "conv3x3_pooled", run_conv3x3_pooled, pooled_shapes, 1e-10, OP (conv3x3_pooled), TRUE },
  { "conv3x3_chain", run_conv3x3_chain, chain_shapes, 1e-10, OP (conv3x3_chain), TRUE },
};

/* --conv3x3-only: the rows marked conv3x3 (the 3×3 kernel variants' runs) */
static gboolean conv3x3_only;

static void
add_cases (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (ops); i++)
    if (ops[i].conv3x3 || !conv3x3_only)
      ops[i].shapes (&ops[i]);
}

/* Takes --conv3x3-only out of the arguments. */
static void
parse_args (int *argc, char **argv)
{
  int kept = 1;
  for (int i = 1; i < *argc; i++)
    if (g_str_equal (argv[i], "--conv3x3-only"))
      conv3x3_only = TRUE;
    else
      argv[kept++] = argv[i];
  argv[kept] = NULL;
  *argc = kept;
}

int
main (int argc, char **argv)
{
  parse_args (&argc, argv);
  test_init (&argc, &argv);
  device_context = test_device_context ();
  reference_context = vka_context_new_reference ();
  g_test_message ("device under test: %s (%s)", vka_context_device (device_context)->name,
                  vka_context_device (device_context)->driver);
  /* a row meant for the fp16 kernels must not pass on the fp32 ones */
  const char *variant = g_getenv ("VKA_CONV3X3");
  if (test_backend == TEST_BACKEND_VULKAN && g_strcmp0 (g_getenv ("VKA_FP16"), "1") == 0
      && (g_strcmp0 (variant, "gemm") == 0 || g_strcmp0 (variant, "winograd") == 0
          || g_strcmp0 (variant, "winograd4") == 0))
    g_assert_true (test_conv3x3_fp16 (vka_context_backend (device_context)));
  /* cooperative matrices multiply float16 operands: the fp16 limits */
  if (test_backend == TEST_BACKEND_VULKAN && g_strcmp0 (variant, "coopmat") == 0)
    g_assert_true (test_conv3x3_fp16 (vka_context_backend (device_context)));
  cases = g_ptr_array_new_with_free_func (g_free);
  add_cases ();
  int status = g_test_run ();
  if (test_conv3x3_fp16 (vka_context_backend (device_context)))
    g_print ("# fp16 3x3 convolutions of %d values or more: largest NMSE %.3g (limit %.0e)\n",
             FP16_FEW_VALUES, worst_fp16_nmse, FP16_CONV3X3_MAX_NMSE);
  g_ptr_array_unref (cases);
  g_test_message ("%s backend: %u cases skipped (unsupported ops)", test_backend_name (),
                  skipped);
  g_print ("# %s backend: %u cases skipped (unsupported ops)\n", test_backend_name (), skipped);
  vka_context_free (reference_context);
  test_context_finish (device_context);
  return status;
}
