/* test-grad.c — finite-difference checks of every backward reference op, in
 * double precision: for L(x) = Σ r·f(x) with random r, the op's gradient
 * must match (L(x + h) − L(x − h)) / 2h at every input, over awkward shapes
 * (1×1, width 2, odd sizes, ceil-mode windows). */
#include "reference/reference.h"

#include <glib.h>
#include <math.h>

#define H_STEP 1e-6
#define MAX_REL_ERROR 1e-6

typedef struct
{
  int n, c, h, w;
} Shape;

static const Shape shapes[] = {
  { 1, 1, 1, 1 }, { 1, 2, 1, 2 }, { 1, 1, 2, 1 }, { 2, 3, 2, 3 }, { 1, 2, 5, 7 },
  { 2, 1, 7, 5 }, { 1, 3, 4, 4 },
};

static double *
random_array (GRand *rand, gsize n, double lo, double hi)
{
  double *a = g_new (double, n);
  for (gsize i = 0; i < n; i++)
    a[i] = g_rand_double_range (rand, lo, hi);
  return a;
}

static double
dot (const double *a, const double *b, gsize n)
{
  double s = 0;
  for (gsize i = 0; i < n; i++)
    s += a[i] * b[i];
  return s;
}

/* f maps x (nx values) to y (ny values); returns Σ r·f(x). */
typedef void (*Forward) (const double *x, double *y, gpointer data);

static double
loss (Forward f, const double *x, const double *r, gsize ny, gpointer data)
{
  g_autofree double *y = g_new0 (double, ny);
  f (x, y, data);
  return dot (r, y, ny);
}

/* Compares an analytic gradient with central differences at every input. */
static void
check_gradient (const char *what, Forward f, double *x, gsize nx, const double *r,
                gsize ny, const double *analytic, gpointer data)
{
  double worst = 0;
  for (gsize i = 0; i < nx; i++)
    {
      double saved = x[i];
      x[i] = saved + H_STEP;
      double up = loss (f, x, r, ny, data);
      x[i] = saved - H_STEP;
      double down = loss (f, x, r, ny, data);
      x[i] = saved;
      double numeric = (up - down) / (2 * H_STEP);
      double err = fabs (numeric - analytic[i]) / MAX (1.0, fabs (numeric));
      if (err > worst)
        worst = err;
      if (err > MAX_REL_ERROR)
        g_test_message ("%s: input %" G_GSIZE_FORMAT ": analytic %.9g, numeric %.9g",
                        what, i, analytic[i], numeric);
    }
  g_assert_cmpfloat (worst, <=, MAX_REL_ERROR);
}

/* ---- conv2d: data, weight and bias gradients ---- */

typedef struct
{
  Shape   s;
  int     cout, k;
  double *in, *weight, *bias;
} ConvCase;

static void
conv_of_input (const double *x, double *y, gpointer data)
{
  ConvCase *c = data;
  vka_ref64_conv2d (x, c->s.n, c->s.c, c->s.h, c->s.w, c->weight, c->bias, c->cout, c->k,
                    0, y);
}

static void
conv_of_weight (const double *x, double *y, gpointer data)
{
  ConvCase *c = data;
  vka_ref64_conv2d (c->in, c->s.n, c->s.c, c->s.h, c->s.w, x, c->bias, c->cout, c->k, 0, y);
}

static void
conv_of_bias (const double *x, double *y, gpointer data)
{
  ConvCase *c = data;
  vka_ref64_conv2d (c->in, c->s.n, c->s.c, c->s.h, c->s.w, c->weight, x, c->cout, c->k, 0, y);
}

static void
test_conv2d_backward (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (1);
  for (guint i = 0; i < G_N_ELEMENTS (shapes); i++)
    for (int k = 1; k <= 3; k += 2)
      {
        ConvCase c = { shapes[i], (int) i % 3 + 1, k, NULL, NULL, NULL };
        gsize nin = (gsize) c.s.n * c.s.c * c.s.h * c.s.w;
        gsize nw = (gsize) c.cout * c.s.c * k * k;
        gsize nout = (gsize) c.s.n * c.cout * c.s.h * c.s.w;
        c.in = random_array (rand, nin, -1, 1);
        c.weight = random_array (rand, nw, -1, 1);
        c.bias = random_array (rand, c.cout, -1, 1);
        g_autofree double *r = random_array (rand, nout, -1, 1);
        g_autofree double *din = g_new (double, nin);
        g_autofree double *dw = g_new (double, nw);
        g_autofree double *db = g_new (double, c.cout);
        vka_ref64_conv2d_backward_data (r, c.s.n, c.cout, c.s.h, c.s.w, c.weight, c.s.c, k,
                                        din);
        vka_ref64_conv2d_backward_weight (c.in, r, c.s.n, c.s.c, c.s.h, c.s.w, c.cout, k,
                                          dw, db);
        g_autofree char *what = g_strdup_printf ("conv%dx%d %dx%dx%dx%d", k, k, c.s.n,
                                                 c.s.c, c.s.h, c.s.w);
        check_gradient (what, conv_of_input, c.in, nin, r, nout, din, &c);
        check_gradient (what, conv_of_weight, c.weight, nw, r, nout, dw, &c);
        check_gradient (what, conv_of_bias, c.bias, c.cout, r, nout, db, &c);
        g_free (c.in);
        g_free (c.weight);
        g_free (c.bias);
      }
}

/* ---- ReLU ---- */

static void
relu (const double *x, double *y, gpointer data)
{
  gsize n = GPOINTER_TO_SIZE (data);
  for (gsize i = 0; i < n; i++)
    y[i] = x[i] > 0 ? x[i] : 0;
}

static void
test_relu_backward (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (2);
  gsize n = 64;
  g_autofree double *x = random_array (rand, n, -1, 1);
  for (gsize i = 0; i < n; i++)   /* keep clear of the kink */
    if (fabs (x[i]) < 1e-3)
      x[i] = 0.5;
  g_autofree double *y = g_new (double, n);
  g_autofree double *r = random_array (rand, n, -1, 1);
  g_autofree double *dx = g_new (double, n);
  relu (x, y, GSIZE_TO_POINTER (n));
  vka_ref64_relu_backward (y, r, n, dx);
  check_gradient ("relu", relu, x, n, r, n, dx, GSIZE_TO_POINTER (n));
}

/* ---- max-pool, upsample, statistics ---- */

static void
maxpool (const double *x, double *y, gpointer data)
{
  const Shape *s = data;
  vka_ref64_maxpool2x2 (x, s->n * s->c, s->h, s->w, y);
}

static void
upsample (const double *x, double *y, gpointer data)
{
  const Shape *s = data;
  vka_ref64_upsample2x (x, s->n * s->c, s->h, s->w, y);
}

static void
upsample_bilinear (const double *x, double *y, gpointer data)
{
  const Shape *s = data;
  vka_ref64_upsample2x_bilinear (x, s->n * s->c, s->h, s->w, y);
}

static void
stats (const double *x, double *y, gpointer data)
{
  const Shape *s = data;
  vka_ref64_channel_stats (x, s->n * s->c, (gsize) s->h * s->w, y);
}

static void
test_resample_and_stats_backward (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (3);
  for (guint i = 0; i < G_N_ELEMENTS (shapes); i++)
    {
      Shape s = shapes[i];
      int planes = s.n * s.c;
      gsize n = (gsize) planes * s.h * s.w;
      g_autofree double *x = random_array (rand, n, -2, 2);
      g_autofree double *din = g_new (double, n);

      gsize npool = (gsize) planes * ((s.h + 1) / 2) * ((s.w + 1) / 2);
      g_autofree double *rp = random_array (rand, npool, -1, 1);
      vka_ref64_maxpool2x2_backward (x, planes, s.h, s.w, rp, din);
      check_gradient ("maxpool2x2", maxpool, x, n, rp, npool, din, &s);

      gsize nup = 4 * n;
      g_autofree double *ru = random_array (rand, nup, -1, 1);
      vka_ref64_upsample2x_backward (ru, planes, s.h, s.w, din);
      check_gradient ("upsample2x", upsample, x, n, ru, nup, din, &s);

      vka_ref64_upsample2x_bilinear_backward (ru, planes, s.h, s.w, din);
      check_gradient ("upsample2x_bilinear", upsample_bilinear, x, n, ru, nup, din, &s);

      g_autofree double *st = g_new (double, 2 * planes);
      g_autofree double *rs = random_array (rand, 2 * planes, -1, 1);
      stats (x, st, &s);
      vka_ref64_channel_stats_backward (x, planes, (gsize) s.h * s.w, st, rs, din);
      check_gradient ("channel_stats", stats, x, n, rs, 2 * planes, din, &s);
    }
}

/* upsample2x_bilinear on hand-computed cases, PyTorch's values for
 * F.interpolate (x, scale_factor=2, mode='bilinear', align_corners=False):
 * a 1×2 map (rows copied: a height of 1 clamps both row taps to row 0) and
 * a 2×2 map, whose outputs take all four weights (9/16, 3/16, 3/16, 1/16).
 * All values are exact in float. */
static void
test_bilinear_values (void)
{
  static const float row_in[2] = { 0, 4 };
  static const float row_out[8] = { 0, 1, 3, 4,
                                    0, 1, 3, 4 };
  static const float square_in[4] = { 0, 4,
                                      8, 12 };
  static const float square_out[16] = { 0, 1, 3, 4,
                                        2, 3, 5, 6,
                                        6, 7, 9, 10,
                                        8, 9, 11, 12 };
  float out[16];
  vka_ref_upsample2x_bilinear (row_in, 1, 1, 2, out);
  for (int i = 0; i < 8; i++)
    g_assert_cmpfloat (out[i], ==, row_out[i]);
  vka_ref_upsample2x_bilinear (square_in, 1, 2, 2, out);
  for (int i = 0; i < 16; i++)
    g_assert_cmpfloat (out[i], ==, square_out[i]);
  /* a single pixel, several planes: each plane's value copied 2×2 */
  static const float pixels[3] = { -1.5f, 0.25f, 7 };
  vka_ref_upsample2x_bilinear (pixels, 3, 1, 1, out);
  for (int i = 0; i < 12; i++)
    g_assert_cmpfloat (out[i], ==, pixels[i / 4]);

  /* backward of the 1×2 map: output (0, 0) reads column 0 with 0.75 + 0.25
   * (clamped), output (1, 2) column 1 with 0.75 and column 0 with 0.25 */
  static const float dout[8] = { 1, 0, 0, 0,
                                 0, 0, 1, 0 };
  float din[2];
  vka_ref_upsample2x_bilinear_backward (dout, 1, 1, 2, din);
  g_assert_cmpfloat (din[0], ==, 1.25f);
  g_assert_cmpfloat (din[1], ==, 0.75f);
}

/* The backward is the forward's transpose: ⟨up(x), r⟩ = ⟨x, upᵀ(r)⟩ for
 * every shape, on heights and widths 1 to 6. */
static void
test_bilinear_transpose (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (6);
  for (int h = 1; h <= 6; h++)
    for (int w = 1; w <= 6; w++)
      {
        int planes = 2;
        gsize n = (gsize) planes * h * w;
        g_autofree double *x = random_array (rand, n, -1, 1);
        g_autofree double *r = random_array (rand, 4 * n, -1, 1);
        g_autofree double *up = g_new (double, 4 * n);
        g_autofree double *back = g_new (double, n);
        vka_ref64_upsample2x_bilinear (x, planes, h, w, up);
        vka_ref64_upsample2x_bilinear_backward (r, planes, h, w, back);
        g_assert_cmpfloat (fabs (dot (up, r, 4 * n) - dot (x, back, n)), <, 1e-12);
      }
}

/* ---- MSE ---- */

typedef struct
{
  const double *b;
  gsize         n;
} MseCase;

static void
mse (const double *x, double *y, gpointer data)
{
  MseCase *m = data;
  y[0] = vka_ref64_mse (x, m->b, m->n);
}

static void
test_mse_backward (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (4);
  gsize n = 37;
  g_autofree double *a = random_array (rand, n, -1, 1);
  g_autofree double *b = random_array (rand, n, -1, 1);
  g_autofree double *da = g_new (double, n);
  double r[1] = { 2.5 };
  vka_ref64_mse_backward (a, b, n, r[0], da);
  MseCase m = { b, n };
  check_gradient ("mse", mse, a, n, r, 1, da, &m);
}

/* The double and float references agree (the float one is the backends' oracle). */
static void
test_float_matches_double (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);
  Shape s = { 2, 3, 5, 7 };
  int cout = 4;
  gsize nin = (gsize) s.n * s.c * s.h * s.w, nout = (gsize) s.n * cout * s.h * s.w;
  g_autofree double *r = random_array (rand, nout, -1, 1);
  g_autofree double *w = random_array (rand, (gsize) cout * s.c * 9, -1, 1);
  g_autofree float *rf = g_new (float, nout);
  g_autofree float *wf = g_new (float, (gsize) cout * s.c * 9);
  for (gsize i = 0; i < nout; i++)
    rf[i] = (float) r[i], r[i] = rf[i];
  for (gsize i = 0; i < (gsize) cout * s.c * 9; i++)
    wf[i] = (float) w[i], w[i] = wf[i];
  g_autofree double *d64 = g_new (double, nin);
  g_autofree float *d32 = g_new (float, nin);
  vka_ref64_conv2d_backward_data (r, s.n, cout, s.h, s.w, w, s.c, 3, d64);
  vka_ref_conv2d_backward_data (rf, s.n, cout, s.h, s.w, wf, s.c, 3, d32);
  for (gsize i = 0; i < nin; i++)
    g_assert_cmpfloat (fabs (d64[i] - d32[i]), <, 1e-5);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/grad/conv2d", test_conv2d_backward);
  g_test_add_func ("/grad/relu", test_relu_backward);
  g_test_add_func ("/grad/maxpool-upsample-stats", test_resample_and_stats_backward);
  g_test_add_func ("/grad/upsample2x-bilinear-values", test_bilinear_values);
  g_test_add_func ("/grad/upsample2x-bilinear-transpose", test_bilinear_transpose);
  g_test_add_func ("/grad/mse", test_mse_backward);
  g_test_add_func ("/grad/float-matches-double", test_float_matches_double);
  return g_test_run ();
}
