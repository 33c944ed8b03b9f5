/* test-ring.c — stylisations submitted before earlier ones are finished
 * (vka_stylize_submit, vka_stylize_finish) give the bytes of one at a
 * time, finished in any order, tiled or masked, with more pending than the
 * Vulkan backend's ring has slots; a buffer released while a submission
 * may still use it is not handed out again before that submission's fence
 * has signalled; errors in the middle leave the pending work and the
 * backend usable. On the backend under test (--backend vulkan|cpu); the
 * ring's own cases on Vulkan only. */
#include "test-util.h"
#include "vulkan/tensor.h"
#include "vulkan/vulkan-backend.h"

#include <math.h>
#include <string.h>

static const int widths[4] = { 4, 8, 8, 16 };

typedef struct
{
  VkaContext *context;
  VkaModel   *model;
  VkaStyle   *styles[2];
  GPtrArray  *contents;   /* VkaImage* */
  VkaImage   *mask;       /* for contents[0] */
} Setup;

static VkaImage *
smooth_image (GRand *rand, int w, int h, int channels)
{
  VkaImage *image = vka_image_new (w, h, channels, NULL);
  test_fill_random (rand, image->pixels, (gsize) w * h * channels, 0, 1);
  float phase = (float) g_rand_double_range (rand, 0, 6);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      image->pixels[(y * w + x) * channels] = 0.5f + 0.4f * sinf (phase + x * 0.3f + y * 0.17f);
  return image;
}

/* A model on context, two styles, and contents of a few sizes (the first
 * large enough for 64-pixel tiles). */
static Setup
setup_new (VkaContext *context)
{
  Setup s = { .context = context };
  g_autoptr (GRand) rand = g_rand_new_with_seed (77);
  g_autoptr (VkaWeights) enc = test_encoder_weights (rand, widths);
  g_autoptr (VkaWeights) dec = test_decoder_weights (rand, widths);
  g_autoptr (GError) error = NULL;
  s.model = vka_model_new (context, enc, dec, &error);
  g_assert_no_error (error);
  for (int i = 0; i < 2; i++)
    {
      g_autoptr (VkaImage) style = smooth_image (rand, 40 + 8 * i, 36, 3);
      s.styles[i] = vka_style_from_image (s.model, style, NULL, &error);
      g_assert_no_error (error);
    }
  static const int sizes[][3] = { { 150, 130, 3 }, { 64, 48, 3 }, { 37, 29, 4 },
                                  { 64, 48, 3 }, { 80, 72, 1 }, { 45, 60, 3 },
                                  { 64, 48, 3 } };
  s.contents = g_ptr_array_new_with_free_func ((GDestroyNotify) vka_image_free);
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    g_ptr_array_add (s.contents, smooth_image (rand, sizes[i][0], sizes[i][1], sizes[i][2]));
  s.mask = vka_image_new (150, 130, 1, NULL);
  for (int i = 0; i < 150 * 130; i++)
    s.mask->pixels[i] = (i % 150) < 70 ? 1.0f : 0.0f;
  return s;
}

static void
setup_free (Setup *s)
{
  vka_model_free (s->model);
  vka_style_free (s->styles[0]);
  vka_style_free (s->styles[1]);
  g_ptr_array_unref (s->contents);
  vka_image_free (s->mask);
}

static VkaImage *
content_of (Setup *s, guint i)
{
  return s->contents->pdata[i % s->contents->len];
}

/* How picture i is stylised: some tiled, one masked, the rest whole. */
static VkaStylizeOptions
options_of (Setup *s, guint i)
{
  VkaStylizeOptions options = { .alpha = 0.5 + 0.1 * (i % 5) };
  if (i % s->contents->len == 0)
    {
      options.tile = (i / s->contents->len) % 2 ? 0 : 64;
      options.mask = i % 3 == 0 ? s->mask : NULL;
    }
  return options;
}

static int
n_styles_of (const VkaStylizeOptions *options, guint i)
{
  return options->mask || i % 2 ? 2 : 1;
}

static VkaImage *
out_for (Setup *s, guint i)
{
  VkaImage *c = content_of (s, i);
  return vka_image_new (c->width, c->height, c->channels == 4 ? 4 : 3, NULL);
}

static VkaImage *
stylize_one (Setup *s, guint i)
{
  g_autoptr (GError) error = NULL;
  VkaImage *out = out_for (s, i);
  VkaStylizeOptions options = options_of (s, i);
  double weights[2] = { 1.0, 2.0 };
  vka_stylize (s->model, content_of (s, i), (const VkaStyle *const *) s->styles, weights,
               n_styles_of (&options, i), &options, out, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  return out;
}

/* A stylisation submitted and not yet finished, with what it writes into. */
typedef struct
{
  VkaImageSource     source;
  VkaImageSink       sink;
  VkaImage          *out;
  VkaStylizePending *pending;
} Pending;

static Pending *
submit_one (Setup *s, guint i)
{
  g_autoptr (GError) error = NULL;
  Pending *p = g_new0 (Pending, 1);
  p->out = out_for (s, i);
  vka_image_source_init (&p->source, content_of (s, i));
  vka_image_sink_init (&p->sink, p->out);
  VkaStylizeOptions options = options_of (s, i);
  double weights[2] = { 1.0, 2.0 };
  p->pending = vka_stylize_submit (s->model, &p->source, (const VkaStyle *const *) s->styles,
                                   weights, n_styles_of (&options, i), &options, &p->sink,
                                   NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (p->pending);
  return p;
}

/* Finishes p and checks its picture against one made alone. */
static void
finish_one (Pending *p, const VkaImage *expected)
{
  g_autoptr (GError) error = NULL;
  g_assert_true (vka_stylize_finish (p->pending, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (p->out->pixels,
                   (gsize) p->out->width * p->out->height * p->out->channels * sizeof (float),
                   expected->pixels, (gsize) expected->width * expected->height
                                     * expected->channels * sizeof (float));
  vka_image_free (p->out);
  g_free (p);
}

static guint
pending_submissions (VkaContext *context)
{
  VkaBackend *b = vka_context_backend (context);
  return g_str_equal (b->ops->name, "vulkan") ? vka_vk_backend_pending (b) : 0;
}

/* n pictures submitted before any is finished, then finished in order
 * (or in reverse), against each stylised alone. */
static void
check_overlapped (VkaContext *context, guint n, gboolean reverse)
{
  Setup s = setup_new (context);
  VkaBackend *b = vka_context_backend (context);
  guint slots = g_str_equal (b->ops->name, "vulkan") ? vka_vk_backend_ring_slots (b) : 1;
  g_autoptr (GPtrArray) expected = g_ptr_array_new_with_free_func ((GDestroyNotify) vka_image_free);
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (expected, stylize_one (&s, i));
  Pending *pending[16];
  g_assert_cmpuint (n, <=, G_N_ELEMENTS (pending));
  guint most = 0;
  for (guint i = 0; i < n; i++)
    {
      pending[i] = submit_one (&s, i);
      most = MAX (most, pending_submissions (context));
      g_assert_cmpuint (pending_submissions (context), <=, slots);
    }
  g_test_message ("%u stylisations submitted before the first finished: at most %u "
                  "submissions pending, %u slots", n, most, slots);
  for (guint k = 0; k < n; k++)
    {
      guint i = reverse ? n - 1 - k : k;
      finish_one (pending[i], expected->pdata[i]);
    }
  g_assert_cmpuint (pending_submissions (context), ==, 0);
  setup_free (&s);
}

static void
test_two_pending (void)
{
  g_autoptr (VkaContext) context = test_device_context ();
  guint before = vka_context_validation_messages (context);
  check_overlapped (context, 2, FALSE);
  check_overlapped (context, 3, TRUE);
  g_assert_cmpuint (vka_context_validation_messages (context), ==, before);
}

/* More pending stylisations than the ring has slots: each new recording
 * waits for its slot's last submission, the pending reads stay valid. */
static void
test_wrap_around (void)
{
  if (test_backend != TEST_BACKEND_VULKAN)
    {
      g_test_skip ("the ring is the Vulkan backend's");
      return;
    }
  const char *slots[] = { "1", "2", NULL };
  for (guint k = 0; k < G_N_ELEMENTS (slots); k++)
    {
      if (slots[k])
        g_setenv ("VKA_RING_SLOTS", slots[k], TRUE);
      VkaContext *context = test_device_context ();
      g_unsetenv ("VKA_RING_SLOTS");
      VkaBackend *b = vka_context_backend (context);
      g_assert_cmpuint (vka_vk_backend_ring_slots (b), ==,
                        slots[k] ? g_ascii_strtoull (slots[k], NULL, 10) : 3);
      check_overlapped (context, 7, k == 1);
      test_context_finish (context);
    }
}

/* Overlapped or not, a whole picture is one submission, and the same bytes
 * cross each way. */
static void
test_transfers (void)
{
  g_autoptr (VkaContext) context = test_device_context ();
  VkaBackend *b = vka_context_backend (context);
  if (!b->ops->transfer_stats)
    {
      g_test_skip ("the backend counts no transfers");
      return;
    }
  Setup s = setup_new (context);
  g_autoptr (VkaImage) e1 = stylize_one (&s, 1);
  g_autoptr (VkaImage) e2 = stylize_one (&s, 3);
  VkaTransferStats t0, t1, t2;
  b->ops->transfer_stats (b, &t0);
  g_autoptr (VkaImage) a1 = stylize_one (&s, 1);
  g_autoptr (VkaImage) a2 = stylize_one (&s, 3);
  b->ops->transfer_stats (b, &t1);
  Pending *p1 = submit_one (&s, 1);
  Pending *p2 = submit_one (&s, 3);
  finish_one (p1, e1);
  finish_one (p2, e2);
  b->ops->transfer_stats (b, &t2);
  g_test_message ("two stylisations: %" G_GUINT64_FORMAT " submissions one at a time, %"
                  G_GUINT64_FORMAT " overlapped", t1.submissions - t0.submissions,
                  t2.submissions - t1.submissions);
  g_assert_cmpuint (t2.submissions - t1.submissions, ==, t1.submissions - t0.submissions);
  g_assert_cmpuint (t2.bytes_to_device - t1.bytes_to_device, ==,
                    t1.bytes_to_device - t0.bytes_to_device);
  g_assert_cmpuint (t2.bytes_to_host - t1.bytes_to_host, ==,
                    t1.bytes_to_host - t0.bytes_to_host);
  if (g_str_equal (b->ops->name, "vulkan"))
    g_assert_cmpuint (t1.submissions - t0.submissions, ==, 2);
  setup_free (&s);
}

static VkBuffer
buffer_of (VkaTensor *t)
{
  return vka_vk_buf (t)->buffer;
}

/* A buffer released while the submission that uses it may still run is
 * not handed out again before that submission's fence has signalled;
 * within one recording it is (the dispatches are ordered by barriers),
 * and a host write to it then goes in command order. */
static void
test_release_waits_for_fence (void)
{
  if (test_backend != TEST_BACKEND_VULKAN)
    {
      g_test_skip ("the ring is the Vulkan backend's");
      return;
    }
  g_autoptr (VkaContext) context = test_device_context ();
  VkaBackend *b = vka_context_backend (context);
  g_autoptr (GError) error = NULL;
  g_autoptr (GRand) rand = g_rand_new_with_seed (3);
  const int c = 8, h = 96, w = 112;
  gsize n = (gsize) c * h * w;
  g_autofree float *values = g_new (float, n);
  g_autofree float *others = g_new (float, n);
  test_fill_random (rand, values, n, -1, 1);
  test_fill_random (rand, others, n, -1, 1);
  g_assert_true (vka_backend_flush (b, &error));

  /* in one recording: x's buffer goes to the next tensor at once */
  VkaTensor *x = test_tensor (b, 1, c, h, w, values);
  g_autoptr (VkaTensor) doubled = test_tensor (b, 1, c, h, w, NULL);
  g_assert_true (b->ops->add (b, x, x, doubled, &error));
  VkBuffer x_buffer = buffer_of (x);
  vka_tensor_free (x);
  g_autoptr (VkaTensor) y = test_tensor (b, 1, c, h, w, others);
  g_assert_true (buffer_of (y) == x_buffer);
  g_autoptr (VkaTensor) y2 = test_tensor (b, 1, c, h, w, NULL);
  g_assert_true (b->ops->add (b, y, y, y2, &error));
  g_assert_no_error (error);

  /* submitted, not waited for: y's buffer waits for the fence */
  guint64 serial = vka_vk_backend_submit (b, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vka_vk_backend_pending (b), ==, 1);
  VkBuffer y_buffer = buffer_of (y);
  g_clear_pointer (&y, vka_tensor_free);
  g_autoptr (VkaTensor) z = test_tensor (b, 1, c, h, w, NULL);
  g_assert_true (buffer_of (z) != y_buffer);
  g_assert_cmpuint (vka_vk_backend_pending (b), ==, 1);
  g_assert_true (vka_vk_backend_wait (b, serial, &error));
  g_assert_cmpuint (vka_vk_backend_pending (b), ==, 0);
  g_autoptr (VkaTensor) again = test_tensor (b, 1, c, h, w, NULL);
  g_assert_true (buffer_of (again) == y_buffer);

  g_autofree float *got = test_read (doubled);
  g_autofree float *got2 = test_read (y2);
  for (gsize i = 0; i < n; i++)
    {
      g_assert_cmpfloat (got[i], ==, 2 * values[i]);
      g_assert_cmpfloat (got2[i], ==, 2 * others[i]);
    }
  test_check_guards (doubled);
  test_check_guards (y2);
}

static gboolean
failing_write (gpointer data, int x, int y, int w, int h, const float *src, GError **error)
{
  g_set_error (error, VKA_ERROR, VKA_ERROR_IO, "the sink is full");
  return FALSE;
}

/* Errors between and in pending stylisations: invalid arguments, a
 * cancelled one, a sink that fails; the others give their pictures, and so
 * does the next one. */
static void
test_errors_in_the_middle (void)
{
  g_autoptr (VkaContext) context = test_device_context ();
  guint before = vka_context_validation_messages (context);
  Setup s = setup_new (context);
  g_autoptr (GError) error = NULL;
  g_autoptr (VkaImage) e1 = stylize_one (&s, 1);
  g_autoptr (VkaImage) e2 = stylize_one (&s, 2);
  g_autoptr (VkaImage) e0 = stylize_one (&s, 0);

  Pending *p1 = submit_one (&s, 1);
  VkaImageSource source;
  vka_image_source_init (&source, content_of (&s, 1));
  VkaImageSink sink = { 3, failing_write, NULL };
  g_assert_null (vka_stylize_submit (s.model, &source, (const VkaStyle *const *) s.styles,
                                     NULL, 0, NULL, &sink, NULL, NULL, NULL, &error));
  g_assert_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_autoptr (GCancellable) cancelled = g_cancellable_new ();
  g_cancellable_cancel (cancelled);
  VkaStylizeOptions tiled = { .alpha = 1.0, .tile = 64 };
  vka_image_source_init (&source, content_of (&s, 0));
  g_assert_null (vka_stylize_submit (s.model, &source, (const VkaStyle *const *) s.styles,
                                     NULL, 1, &tiled, &sink, NULL, NULL, cancelled, &error));
  g_assert_error (error, VKA_ERROR, VKA_ERROR_CANCELLED);
  g_clear_error (&error);
  VkaStylizePending *failing = vka_stylize_submit (s.model, &source,
                                                   (const VkaStyle *const *) s.styles, NULL,
                                                   1, NULL, &sink, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  Pending *p2 = submit_one (&s, 2);
  g_assert_false (vka_stylize_finish (failing, &error));
  g_assert_error (error, VKA_ERROR, VKA_ERROR_IO);
  g_clear_error (&error);
  finish_one (p2, e2);
  finish_one (p1, e1);
  g_autoptr (VkaImage) after = stylize_one (&s, 0);
  g_assert_cmpmem (after->pixels, 150 * 130 * 3 * sizeof (float), e0->pixels,
                   150 * 130 * 3 * sizeof (float));
  setup_free (&s);
  g_assert_cmpuint (vka_context_validation_messages (context), ==, before);
}

static VkaImage *
stylize_whole (VkaModel *model, const VkaImage *content, const VkaStyle *style)
{
  g_autoptr (GError) error = NULL;
  VkaImage *out = vka_image_new (content->width, content->height, 3, NULL);
  vka_stylize (model, content, &style, NULL, 1, NULL, out, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  return out;
}

/* Out of device memory while another stylisation is pending: the retry in
 * smaller tiles waits for everything queued, and both pictures come out
 * as they do on a device with room. */
static void
test_out_of_memory_while_pending (void)
{
  if (test_backend != TEST_BACKEND_VULKAN)
    {
      g_test_skip ("allocation failures are injected on Vulkan");
      return;
    }
  g_autoptr (GError) error = NULL;
  /* 3.5 MB: a 406-pixel window of 4-channel activations fits, 556 does not */
  g_setenv ("VKA_TEST_ALLOC_LIMIT", "3500000", TRUE);
  VkaContextConfig config = test_device_config ();
  VkaContext *limited = vka_context_new_full (&config, &error);
  g_unsetenv ("VKA_TEST_ALLOC_LIMIT");
  g_assert_no_error (error);
  g_autoptr (VkaContext) roomy = test_device_context ();
  Setup small = setup_new (limited);
  Setup normal = setup_new (roomy);
  g_autoptr (GRand) rand = g_rand_new_with_seed (8);
  g_autoptr (VkaImage) big = smooth_image (rand, 600, 600, 3);
  VkaImage *little = content_of (&small, 1);
  g_autoptr (VkaImage) e_little = stylize_whole (normal.model, little, normal.styles[0]);
  g_autoptr (VkaImage) e_big = stylize_whole (normal.model, big, normal.styles[0]);

  g_autoptr (VkaImage) o_little = vka_image_new (little->width, little->height, 3, NULL);
  g_autoptr (VkaImage) o_big = vka_image_new (600, 600, 3, NULL);
  VkaImageSource s_little, s_big;
  VkaImageSink k_little, k_big;
  vka_image_source_init (&s_little, little);
  vka_image_source_init (&s_big, big);
  vka_image_sink_init (&k_little, o_little);
  vka_image_sink_init (&k_big, o_big);
  const VkaStyle *styles[1] = { small.styles[0] };
  VkaStylizePending *p_little = vka_stylize_submit (small.model, &s_little, styles, NULL, 1,
                                                    NULL, &k_little, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  VkaStylizePending *p_big = vka_stylize_submit (small.model, &s_big, styles, NULL, 1, NULL,
                                                 &k_big, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vka_stylize_finish (p_little, &error));
  g_assert_true (vka_stylize_finish (p_big, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (o_little->pixels, (gsize) little->width * little->height * 3 * sizeof (float),
                   e_little->pixels, (gsize) little->width * little->height * 3 * sizeof (float));
  double db = test_image_psnr (e_big, o_big);
  g_test_message ("after out-of-memory retries vs whole: %.1f dB", db);
  g_assert_cmpfloat (db, >=, 60);
  setup_free (&small);
  setup_free (&normal);
  test_context_finish (limited);
}

int
main (int argc, char **argv)
{
  test_init (&argc, &argv);
  g_test_add_func ("/ring/two-pending", test_two_pending);
  g_test_add_func ("/ring/wrap-around", test_wrap_around);
  g_test_add_func ("/ring/transfers", test_transfers);
  g_test_add_func ("/ring/release-waits-for-fence", test_release_waits_for_fence);
  g_test_add_func ("/ring/errors-in-the-middle", test_errors_in_the_middle);
  g_test_add_func ("/ring/out-of-memory-while-pending", test_out_of_memory_while_pending);
  return g_test_run ();
}
