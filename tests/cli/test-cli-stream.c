/* test-cli-stream.c — a picture stylised at its own size (--content-size 0)
 * is read from GEGL's storage by regions and written as 8-bit regions, not
 * held as floats: the same bytes as the in-memory path gives, for every EXIF
 * orientation, alpha, gray, both colour modes and tiles; and --memory-limit
 * refuses what is not a size. */
#include "cli-run.h"

#include <string.h>

/* content stylised at its own size and through --content-size `side`
 * (its shorter side: resized to itself, in memory) gives the same file. */
static void
assert_paths_agree (const char *content, int side, const char *dir, const char *const *extra)
{
  g_autofree char *vgg = golden ("vgg.pth"), *dec = golden ("decoder.pth");
  g_autofree char *style = golden ("style.png");
  g_autofree char *side_arg = g_strdup_printf ("%d", side);
  const char *sizes[2] = { "0", side_arg };
  g_autofree char *sums[2] = { NULL, NULL };
  for (int i = 0; i < 2; i++)
    {
      g_autofree char *out = g_strdup_printf ("%s/out%d.png", dir, i);
      const char *args[32] = { "--vgg", vgg, "--decoder", dec, "--content", content,
                               "--style", style, "--style-size", "20", "--content-size",
                               sizes[i], "-o", out, "-q" };
      int n = 15;
      for (int j = 0; extra[j]; j++)
        args[n++] = extra[j];
      args[n] = NULL;
      Result r = run_cli (args);
      if (r.status)
        g_test_message ("stderr: %s", r.err);
      g_assert_cmpint (r.status, ==, 0);
      g_free (r.err);
      sums[i] = checksum (out);
    }
  g_assert_cmpstr (sums[0], !=, "missing");
  g_assert_cmpstr (sums[0], ==, sums[1]);
}

static void
test_orientations (void)
{
  g_autofree char *dir = fresh_dir ("orientations");
  g_autofree char *base = golden ("exif6.jpg");
  const char *const tiled[] = { "--tile", "16", "--preserve-color=luminance", NULL };
  for (int o = 1; o <= 8; o++)
    {
      g_autofree char *content = with_orientation (base, dir, o);
      assert_paths_agree (content, 8, dir, tiled);
    }
}

static void
test_channels_and_colour (void)
{
  g_autofree char *dir = fresh_dir ("channels");
  static const struct { const char *file; int side; } pictures[] = {
    { "content.png", 29 }, { "rgba.png", 21 }, { "gray.png", 23 }, { "content16.png", 29 },
  };
  const char *const modes[][4] = {
    { NULL }, { "--preserve-color", NULL }, { "--preserve-color=luminance", NULL },
    { "--tile", "16", "--preserve-color", NULL },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (pictures); i++)
    for (gsize m = 0; m < G_N_ELEMENTS (modes); m++)
      {
        g_autofree char *content = golden (pictures[i].file);
        assert_paths_agree (content, pictures[i].side, dir, modes[m]);
      }
}

static void
test_memory_limit_values (void)
{
  g_autofree char *vgg = golden ("vgg.pth"), *dec = golden ("decoder.pth");
  g_autofree char *content = golden ("content.png"), *style = golden ("style.png");
  g_autofree char *dir = fresh_dir ("memory-limit");
  const char *const bad[] = { "0", "-5", "abc", "12Q", "32M", "1e400", "", "5G5" };
  const char *const inputs[] = { content, style, NULL };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      const char *args[] = { "--vgg", vgg, "--decoder", dec, "--content", content, "--style",
                             style, "--output", dir, "--memory-limit", bad[i], NULL };
      expect_failure (args, "--memory-limit", dir, inputs);
    }
  g_autofree char *out = g_build_filename (dir, "ok.png", NULL);
  const char *args[] = { "--vgg", vgg, "--decoder", dec, "--content", content, "--style",
                         style, "-o", out, "--memory-limit", "1.5G", "-q", NULL };
  Result r = run_cli (args);
  g_assert_cmpint (r.status, ==, 0);
  g_free (r.err);
  g_assert_true (g_file_test (out, G_FILE_TEST_IS_REGULAR));
}

/* Out-of-range values of the options that come from the parameter table
 * (vka-params.h) are refused with the table's range, before any work. */
static void
test_parameter_ranges (void)
{
  g_autofree char *vgg = golden ("vgg.pth"), *dec = golden ("decoder.pth");
  g_autofree char *content = golden ("content.png"), *style = golden ("style.png");
  g_autofree char *dir = fresh_dir ("parameter-ranges");
  static const struct { const char *option, *value, *message; } bad[] = {
    { "--strength", "1.5", "--strength is 1.5, but must be between 0 and 1" },
    { "--alpha", "-0.25", "--strength is -0.25, but must be between 0 and 1" },
    { "--style-size", "8193", "--style-size is 8193, but must be between 0 and 8192" },
    { "--content-size", "-1", "--content-size is -1, but must be between 0 and 16384" },
    { "--memory-limit", "65G", "--memory-limit is 66560 MiB, but must be 0 (automatic) or "
                               "between 64 and 65536 MiB" },
  };
  const char *const inputs[] = { content, style, NULL };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      const char *args[] = { "--vgg", vgg, "--decoder", dec, "--content", content, "--style",
                             style, "--output", dir, bad[i].option, bad[i].value, NULL };
      expect_failure (args, bad[i].message, dir, inputs);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  cli_run_setup ();
  g_test_add_func ("/cli-stream/orientations", test_orientations);
  g_test_add_func ("/cli-stream/channels-and-colour", test_channels_and_colour);
  g_test_add_func ("/cli-stream/memory-limit-values", test_memory_limit_values);
  g_test_add_func ("/cli-stream/parameter-ranges", test_parameter_ranges);
  int status = g_test_run ();
  cli_run_teardown ();
  return status;
}
