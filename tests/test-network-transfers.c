/* test-network-transfers.c — what a stylisation submits and moves between
 * host and device, counted by the backend (transfer_stats): an untiled
 * 512² stylisation is one submission and reads back only its picture; the
 * style's statistics come back without its features; tiles read back their
 * statistics, not their features. Counts, not timings. Part of test-network. */
#include "test-network.h"
#include "net/tiling.h"

static VkaTransferStats
transfers (void)
{
  VkaBackend *b = vka_context_backend (device_context);
  VkaTransferStats t;
  b->ops->transfer_stats (b, &t);
  return t;
}

static void
assert_moved (const char *what, const VkaTransferStats *from, const VkaTransferStats *to,
              guint64 max_submissions, guint64 to_device, guint64 to_host)
{
  guint64 n = to->submissions - from->submissions;
  guint64 up = to->bytes_to_device - from->bytes_to_device;
  guint64 down = to->bytes_to_host - from->bytes_to_host;
  g_test_message ("%s: %" G_GUINT64_FORMAT " submissions, %" G_GUINT64_FORMAT
                  " bytes to the device, %" G_GUINT64_FORMAT " back", what, n, up, down);
  g_assert_cmpuint (n, <=, max_submissions);
  g_assert_cmpuint (up, ==, to_device);
  g_assert_cmpuint (down, ==, to_host);
}

static void
test_transfers (void)
{
  VkaBackend *b = vka_context_backend (device_context);
  if (!b->ops->transfer_stats)
    {
      g_test_skip ("the backend counts no transfers");
      return;
    }
  guint before = vka_context_validation_messages (device_context);
  Models m = make_models (61);
  g_autoptr (GRand) rand = g_rand_new_with_seed (13);
  g_autoptr (GError) error = NULL;
  const int size = 512, style_size = 200, tile = 128;
  g_autoptr (VkaImage) content = random_image (rand, size, size, 3);
  g_autoptr (VkaImage) style_image = random_image (rand, style_size, style_size, 3);
  g_autoptr (VkaImage) out = vka_image_new (size, size, 3, NULL);
  guint64 stats_bytes = 2 * (guint64) vka_model_feature_channels (m.device) * sizeof (float);
  guint64 picture_bytes = (guint64) size * size * 3 * sizeof (float);

  /* a style from pixels: the pixels up, the statistics (mean, M2) back */
  VkaTransferStats t0 = transfers ();
  g_autoptr (VkaStyle) style = vka_style_from_image (m.device, style_image, NULL, &error);
  g_assert_no_error (error);
  VkaTransferStats t1 = transfers ();
  assert_moved ("style from a 200² picture", &t0, &t1, 1,
                (guint64) style_size * style_size * 3 * sizeof (float), stats_bytes);

  /* untiled: the picture and the style's statistics up, the result back;
   * counted from the second run (the CPU backend composes the upsampled
   * convolutions' weights on the first) */
  const VkaStyle *styles[1] = { style };
  VkaStylizeOptions untiled = VKA_STYLIZE_OPTIONS_DEFAULT;
  g_assert_true (vka_stylize (m.device, content, styles, NULL, 1, &untiled, out, NULL, NULL,
                              NULL, &error));
  VkaTransferStats t1b = transfers ();
  g_assert_true (vka_stylize (m.device, content, styles, NULL, 1, &untiled, out, NULL, NULL,
                              NULL, &error));
  g_assert_no_error (error);
  VkaTransferStats t2 = transfers ();
  assert_moved ("untiled 512² stylisation", &t1b, &t2, 1, picture_bytes + stats_bytes,
                picture_bytes);
  g_assert_cmpuint (t2.submissions - t1b.submissions + t1.submissions - t0.submissions, <=,
                    2);

  /* tiled: per tile, its window up and its moments back in pass 1; its
   * kept features, the two statistics up and its interior back in pass 2 */
  g_autoptr (GArray) plan = vka_tile_plan (size, size, tile, tile);
  guint64 windows = 0;
  for (guint i = 0; i < plan->len; i++)
    {
      const VkaTile *t = &g_array_index (plan, VkaTile, i);
      windows += (guint64) t->ww * t->wh * 3 * sizeof (float);
    }
  VkaStylizeOptions tiled = { .alpha = 1.0, .tile = tile };
  g_assert_true (vka_stylize (m.device, content, styles, NULL, 1, &tiled, out, NULL, NULL,
                              NULL, &error));
  g_assert_no_error (error);
  VkaTransferStats t3 = transfers ();
  assert_moved ("512² stylisation in 128-pixel tiles", &t2, &t3, 2 * plan->len,
                windows + plan->len * 2 * stats_bytes,
                picture_bytes + plan->len * stats_bytes);
  free_models (&m);
  g_assert_cmpuint (vka_context_validation_messages (device_context), ==, before);
}

void
test_network_transfers_add (void)
{
  g_test_add_func ("/network/transfers", test_transfers);
}
