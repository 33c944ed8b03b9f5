/* test-backward.c — every training (backward) op on the backend under test
 * (--backend vulkan|cpu) against the plain-C reference, over awkward shapes;
 * on Vulkan with guard words and the validation layer on. (The reference ops themselves are checked by
 * finite differences in test-grad.c.) */
#include "test-util.h"
#include "reference/reference.h"

#include <string.h>

typedef struct
{
  int n, c, h, w;
  int cout;
} Shape;

static VkaContext *context;

static float *
random_data (GRand *rand, gsize n, float lo, float hi)
{
  float *a = g_new (float, n);
  test_fill_random (rand, a, n, lo, hi);
  return a;
}

static void
compare (const char *op, const Shape *s, VkaTensor *actual_t, const float *expected,
         double limit)
{
  g_autofree float *actual = test_read (actual_t);
  double nmse = test_nmse (expected, actual, vka_tensor_numel (actual_t));
  if (nmse > limit)
    g_test_message ("%s %dx%dx%dx%d cout %d: NMSE %.3g", op, s->n, s->c, s->h, s->w,
                    s->cout, nmse);
  g_assert_cmpfloat (nmse, <=, limit);
  test_check_guards (actual_t);
}

/* Weights that change after a backward pass (a write, as an optimiser step
 * does) must not be served from the packing of their old values. */
static void
test_conv3x3_backward_data_rewrite (void)
{
  Shape s = { 1, 5, 6, 7, 9 };
  VkaBackend *b = vka_context_backend (context);
  g_autoptr (GRand) rand = g_rand_new_with_seed (17);
  g_autoptr (GError) error = NULL;
  gsize nout = (gsize) s.cout * s.h * s.w, nw = (gsize) s.cout * s.c * 9;
  g_autofree float *dout = random_data (rand, nout, -1, 1);
  g_autofree float *w1 = random_data (rand, nw, -1, 1);
  g_autofree float *w2 = random_data (rand, nw, -1, 1);
  g_autofree float *expected = g_new (float, (gsize) s.c * s.h * s.w);
  g_autoptr (VkaTensor) dout_t = test_tensor (b, 1, s.cout, s.h, s.w, dout);
  g_autoptr (VkaTensor) w_t = test_tensor (b, s.cout, s.c, 3, 3, w1);
  g_autoptr (VkaTensor) din_t = test_tensor (b, 1, s.c, s.h, s.w, NULL);
  g_assert_true (b->ops->conv2d_backward_data (b, dout_t, w_t, din_t, &error));
  g_assert_no_error (error);
  g_assert_true (b->ops->tensor_write (w_t, w2, &error));
  g_assert_no_error (error);
  g_assert_true (b->ops->conv2d_backward_data (b, dout_t, w_t, din_t, &error));
  g_assert_no_error (error);
  vka_ref_conv2d_backward_data (dout, 1, s.cout, s.h, s.w, w2, s.c, 3, expected);
  compare ("conv3x3_backward_data after a write", &s, din_t, expected, 1e-10);
}

static void
test_conv3x3_backward_data (gconstpointer data)
{
  const Shape *s = data;
  VkaBackend *b = vka_context_backend (context);
  g_autoptr (GRand) rand = g_rand_new_with_seed (s->h * 31 + s->w * 7 + s->c);
  g_autoptr (GError) error = NULL;
  gsize nout = (gsize) s->n * s->cout * s->h * s->w, nin = (gsize) s->n * s->c * s->h * s->w;
  g_autofree float *dout = random_data (rand, nout, -1, 1);
  g_autofree float *w = random_data (rand, (gsize) s->cout * s->c * 9, -1, 1);
  g_autofree float *expected = g_new (float, nin);
  vka_ref_conv2d_backward_data (dout, s->n, s->cout, s->h, s->w, w, s->c, 3, expected);
  g_autoptr (VkaTensor) dout_t = test_tensor (b, s->n, s->cout, s->h, s->w, dout);
  g_autoptr (VkaTensor) w_t = test_tensor (b, s->cout, s->c, 3, 3, w);
  g_autoptr (VkaTensor) din_t = test_tensor (b, s->n, s->c, s->h, s->w, NULL);
  b->ops->conv2d_backward_data (b, dout_t, w_t, din_t, &error);
  g_assert_no_error (error);
  compare ("conv3x3_backward_data", s, din_t, expected, 1e-10);
}

static void
test_conv3x3_backward_weight (gconstpointer data)
{
  const Shape *s = data;
  VkaBackend *b = vka_context_backend (context);
  g_autoptr (GRand) rand = g_rand_new_with_seed (s->h * 13 + s->w * 3 + s->c);
  g_autoptr (GError) error = NULL;
  gsize nout = (gsize) s->n * s->cout * s->h * s->w, nin = (gsize) s->n * s->c * s->h * s->w;
  gsize nw = (gsize) s->cout * s->c * 9;
  g_autofree float *in = random_data (rand, nin, -1, 1);
  g_autofree float *dout = random_data (rand, nout, -1, 1);
  g_autofree float *dw = g_new (float, nw);
  g_autofree float *db = g_new (float, s->cout);
  vka_ref_conv2d_backward_weight (in, dout, s->n, s->c, s->h, s->w, s->cout, 3, dw, db);
  g_autoptr (VkaTensor) in_t = test_tensor (b, s->n, s->c, s->h, s->w, in);
  g_autoptr (VkaTensor) dout_t = test_tensor (b, s->n, s->cout, s->h, s->w, dout);
  g_autoptr (VkaTensor) dw_t = test_tensor (b, s->cout, s->c, 3, 3, NULL);
  g_autoptr (VkaTensor) db_t = test_tensor (b, 1, s->cout, 1, 1, NULL);
  b->ops->conv3x3_backward_weight (b, in_t, dout_t, dw_t, db_t, &error);
  g_assert_no_error (error);
  /* sums over up to 180,000 pixels in float: a looser limit than the convs' */
  compare ("conv3x3_backward_weight", s, dw_t, dw, 1e-9);
  compare ("conv3x3_backward_bias", s, db_t, db, 1e-9);
}

/* A backend's one-call 3×3 backward (ReLU mask, weight and data gradients)
 * against the reference's three ops; also with each part left out. */
static void
test_conv3x3_backward_fused (gconstpointer data)
{
  const Shape *s = data;
  VkaBackend *b = vka_context_backend (context);
  if (!b->ops->conv3x3_backward)
    {
      g_test_skip ("the backend has no one-call 3×3 backward");
      return;
    }
  g_autoptr (GRand) rand = g_rand_new_with_seed (s->h * 41 + s->w * 5 + s->c);
  g_autoptr (GError) error = NULL;
  gsize nout = (gsize) s->n * s->cout * s->h * s->w, nin = (gsize) s->n * s->c * s->h * s->w;
  gsize nw = (gsize) s->cout * s->c * 9;
  g_autofree float *x = random_data (rand, nin, -1, 1);
  g_autofree float *y = random_data (rand, nout, -1, 1);
  g_autofree float *dy = random_data (rand, nout, -1, 1);
  g_autofree float *w = random_data (rand, nw, -1, 1);
  g_autofree float *dz = g_new (float, nout);
  g_autofree float *dw = g_new (float, nw);
  g_autofree float *db = g_new (float, s->cout);
  g_autofree float *dx = g_new (float, nin);
  for (int relu = 0; relu < 2; relu++)
    {
      if (relu)
        vka_ref_relu_backward (y, dy, nout, dz);
      else
        memcpy (dz, dy, nout * sizeof (float));
      vka_ref_conv2d_backward_weight (x, dz, s->n, s->c, s->h, s->w, s->cout, 3, dw, db);
      vka_ref_conv2d_backward_data (dz, s->n, s->cout, s->h, s->w, w, s->c, 3, dx);
      for (int parts = 1; parts <= 3; parts++)
        {
          g_autoptr (VkaTensor) x_t = test_tensor (b, s->n, s->c, s->h, s->w, x);
          g_autoptr (VkaTensor) y_t = test_tensor (b, s->n, s->cout, s->h, s->w, y);
          g_autoptr (VkaTensor) dy_t = test_tensor (b, s->n, s->cout, s->h, s->w, dy);
          g_autoptr (VkaTensor) w_t = test_tensor (b, s->cout, s->c, 3, 3, w);
          g_autoptr (VkaTensor) dw_t = test_tensor (b, s->cout, s->c, 3, 3, NULL);
          g_autoptr (VkaTensor) db_t = test_tensor (b, 1, s->cout, 1, 1, NULL);
          g_autoptr (VkaTensor) dx_t = test_tensor (b, s->n, s->c, s->h, s->w, NULL);
          gboolean want_w = parts & 1, want_x = parts & 2;
          g_assert_true (b->ops->conv3x3_backward (b, x_t, relu ? y_t : NULL, dy_t, w_t,
                                                   want_w ? dw_t : NULL, want_w ? db_t : NULL,
                                                   want_x ? dx_t : NULL, &error));
          g_assert_no_error (error);
          if (want_w)
            {
              compare ("conv3x3_backward (weight)", s, dw_t, dw, 1e-9);
              compare ("conv3x3_backward (bias)", s, db_t, db, 1e-9);
            }
          if (want_x)
            compare ("conv3x3_backward (data)", s, dx_t, dx, 1e-10);
          /* the inputs are left as they were */
          g_autofree float *y_after = test_read (y_t);
          g_assert_cmpmem (y_after, nout * sizeof (float), y, nout * sizeof (float));
        }
    }
}

static void
test_pointwise_backward (gconstpointer data)
{
  const Shape *s = data;
  VkaBackend *b = vka_context_backend (context);
  g_autoptr (GRand) rand = g_rand_new_with_seed (s->h * 17 + s->w + s->c * 5);
  g_autoptr (GError) error = NULL;
  gsize n = (gsize) s->n * s->c * s->h * s->w;
  int planes = s->n * s->c;
  g_autofree float *x = random_data (rand, n, -1, 1);
  g_autofree float *g = random_data (rand, n, -1, 1);
  g_autofree float *expected = g_new (float, n);
  g_autoptr (VkaTensor) x_t = test_tensor (b, s->n, s->c, s->h, s->w, x);
  g_autoptr (VkaTensor) g_t = test_tensor (b, s->n, s->c, s->h, s->w, g);
  g_autoptr (VkaTensor) out_t = test_tensor (b, s->n, s->c, s->h, s->w, NULL);

  /* ReLU: x plays the ReLU's output */
  vka_ref_relu_backward (x, g, n, expected);
  b->ops->relu_backward (b, x_t, g_t, out_t, &error);
  g_assert_no_error (error);
  compare ("relu_backward", s, out_t, expected, 0);

  /* MSE */
  vka_ref_mse_backward (x, g, n, 10.0, expected);
  b->ops->mse_backward (b, x_t, g_t, 10.0f, out_t, &error);
  g_assert_no_error (error);
  compare ("mse_backward", s, out_t, expected, 1e-12);

  /* max-pool: dout at the pooled size */
  int oh = (s->h + 1) / 2, ow = (s->w + 1) / 2;
  g_autofree float *dpool = random_data (rand, (gsize) planes * oh * ow, -1, 1);
  g_autoptr (VkaTensor) dpool_t = test_tensor (b, s->n, s->c, oh, ow, dpool);
  vka_ref_maxpool2x2_backward (x, planes, s->h, s->w, dpool, expected);
  b->ops->maxpool2x2_backward (b, x_t, dpool_t, out_t, &error);
  g_assert_no_error (error);
  compare ("maxpool2x2_backward", s, out_t, expected, 0);

  /* upsample: dout at twice the size */
  g_autofree float *dup = random_data (rand, 4 * n, -1, 1);
  g_autoptr (VkaTensor) dup_t = test_tensor (b, s->n, s->c, 2 * s->h, 2 * s->w, dup);
  vka_ref_upsample2x_backward (dup, planes, s->h, s->w, expected);
  b->ops->upsample2x_backward (b, dup_t, out_t, &error);
  g_assert_no_error (error);
  compare ("upsample2x_backward", s, out_t, expected, 1e-13);

  /* bilinear upsample: the same dout */
  vka_ref_upsample2x_bilinear_backward (dup, planes, s->h, s->w, expected);
  b->ops->upsample2x_bilinear_backward (b, dup_t, out_t, &error);
  g_assert_no_error (error);
  compare ("upsample2x_bilinear_backward", s, out_t, expected, 1e-12);

  /* channel statistics */
  g_autofree float *stats = g_new (float, 2 * planes);
  g_autofree float *dstats = random_data (rand, 2 * planes, -1, 1);
  vka_ref_channel_stats (x, planes, (gsize) s->h * s->w, stats);
  g_autoptr (VkaTensor) stats_t = test_tensor (b, s->n, s->c, 1, 2, stats);
  g_autoptr (VkaTensor) dstats_t = test_tensor (b, s->n, s->c, 1, 2, dstats);
  vka_ref_channel_stats_backward (x, planes, (gsize) s->h * s->w, stats, dstats, expected);
  b->ops->channel_stats_backward (b, x_t, stats_t, dstats_t, out_t, &error);
  g_assert_no_error (error);
  compare ("channel_stats_backward", s, out_t, expected, 1e-11);
}

/* conv1x1 data gradient, add, and Adam/SGD steps */
static void
test_misc_training_ops (void)
{
  VkaBackend *b = vka_context_backend (context);
  g_autoptr (GRand) rand = g_rand_new_with_seed (77);
  g_autoptr (GError) error = NULL;
  Shape s = { 2, 3, 7, 5, 3 };
  gsize n = (gsize) s.n * s.c * s.h * s.w;
  g_autofree float *dout = random_data (rand, n, -1, 1);
  g_autofree float *w = random_data (rand, 9, -1, 1);
  g_autofree float *expected = g_new (float, n);
  vka_ref_conv2d_backward_data (dout, s.n, 3, s.h, s.w, w, 3, 1, expected);
  g_autoptr (VkaTensor) dout_t = test_tensor (b, s.n, 3, s.h, s.w, dout);
  g_autoptr (VkaTensor) w_t = test_tensor (b, 3, 3, 1, 1, w);
  g_autoptr (VkaTensor) din_t = test_tensor (b, s.n, 3, s.h, s.w, NULL);
  b->ops->conv2d_backward_data (b, dout_t, w_t, din_t, &error);
  g_assert_no_error (error);
  compare ("conv1x1_backward_data", &s, din_t, expected, 1e-12);

  g_autofree float *other = random_data (rand, n, -1, 1);
  g_autoptr (VkaTensor) other_t = test_tensor (b, s.n, 3, s.h, s.w, other);
  vka_ref_add (dout, other, n, expected);
  b->ops->add (b, dout_t, other_t, din_t, &error);
  g_assert_no_error (error);
  compare ("add", &s, din_t, expected, 0);

  /* three Adam steps, then two SGD steps, on the same parameters */
  gsize np = 1000;
  g_autofree float *p = random_data (rand, np, -1, 1);
  g_autofree float *m = g_new0 (float, np), *v = g_new0 (float, np);
  g_autoptr (VkaTensor) p_t = test_tensor (b, 1, 1, 1, np, p);
  g_autoptr (VkaTensor) m_t = test_tensor (b, 1, 1, 1, np, m);
  g_autoptr (VkaTensor) v_t = test_tensor (b, 1, 1, 1, np, v);
  for (int step = 1; step <= 5; step++)
    {
      g_autofree float *g = random_data (rand, np, -1, 1);
      g_autoptr (VkaTensor) g_t = test_tensor (b, 1, 1, 1, np, g);
      VkaOptimizer opt = { step > 3, 1e-2 / step, 0.9, 0.999, 1e-8 };
      vka_ref_optimizer_step (p, g, m, v, np, opt.sgd, opt.lr, opt.beta1, opt.beta2, opt.eps,
                              step);
      b->ops->optimizer_step (b, p_t, g_t, m_t, v_t, &opt, step, &error);
      g_assert_no_error (error);
    }
  Shape ps = { 1, 1, 1, (int) np, 0 };
  compare ("optimizer_step (param)", &ps, p_t, p, 1e-12);
  compare ("optimizer_step (m)", &ps, m_t, m, 1e-12);
  compare ("optimizer_step (v)", &ps, v_t, v, 1e-12);
}

static const int sizes[][2] = { { 1, 1 }, { 1, 2 }, { 2, 1 }, { 2, 3 }, { 3, 3 }, { 7, 5 },
                                { 33, 17 }, { 300, 300 } };
static const int channels[] = { 1, 3, 4, 5, 16 };

int
main (int argc, char **argv)
{
  test_init (&argc, &argv);
  context = test_device_context ();
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    for (guint c = 0; c < G_N_ELEMENTS (channels); c++)
      {
        Shape *s = g_new0 (Shape, 1);
        *s = (Shape) { i % 2 ? 2 : 1, channels[c], sizes[i][0], sizes[i][1],
                       channels[(c + 2) % G_N_ELEMENTS (channels)] };
        g_autofree char *p1 = g_strdup_printf ("/backward/conv3x3-data/n%d-c%d-%dx%d-co%d",
                                               s->n, s->c, s->h, s->w, s->cout);
        g_autofree char *p2 = g_strdup_printf ("/backward/pointwise/n%d-c%d-%dx%d",
                                               s->n, s->c, s->h, s->w);
        g_autofree char *p3 = g_strdup_printf ("/backward/conv3x3-weight/n%d-c%d-%dx%d-co%d",
                                               s->n, s->c, s->h, s->w, s->cout);
        g_autofree char *p4 = g_strdup_printf ("/backward/conv3x3-fused/n%d-c%d-%dx%d-co%d",
                                               s->n, s->c, s->h, s->w, s->cout);
        if ((double) s->h * s->w * s->c * s->cout <= 4e6)
          {
            g_test_add_data_func (p1, s, test_conv3x3_backward_data);
            g_test_add_data_func (p3, s, test_conv3x3_backward_weight);
          }
        if ((double) s->h * s->w * s->c * s->cout <= 1e5)
          g_test_add_data_func (p4, s, test_conv3x3_backward_fused);
        g_test_add_data_func_full (p2, s, test_pointwise_backward, g_free);
      }
  /* wide layers: several packed channel groups, a partial last one */
  static const Shape wide[] = { { 2, 67, 9, 11, 130 }, { 1, 130, 5, 6, 65 },
                                { 1, 64, 1, 2, 64 }, { 1, 64, 2, 1, 128 } };
  for (guint i = 0; i < G_N_ELEMENTS (wide); i++)
    {
      const Shape *s = &wide[i];
      g_autofree char *p1 = g_strdup_printf ("/backward/conv3x3-data/n%d-c%d-%dx%d-co%d",
                                             s->n, s->c, s->h, s->w, s->cout);
      g_autofree char *p3 = g_strdup_printf ("/backward/conv3x3-weight/n%d-c%d-%dx%d-co%d",
                                             s->n, s->c, s->h, s->w, s->cout);
      g_autofree char *p4 = g_strdup_printf ("/backward/conv3x3-fused/n%d-c%d-%dx%d-co%d",
                                             s->n, s->c, s->h, s->w, s->cout);
      g_test_add_data_func (p1, s, test_conv3x3_backward_data);
      g_test_add_data_func (p3, s, test_conv3x3_backward_weight);
      g_test_add_data_func (p4, s, test_conv3x3_backward_fused);
    }
  g_test_add_func ("/backward/conv3x3-data/rewritten-weights",
                   test_conv3x3_backward_data_rewrite);
  g_test_add_func ("/backward/misc", test_misc_training_ops);
  int status = g_test_run ();
  test_context_finish (context);
  return status;
}
