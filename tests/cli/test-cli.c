/* test-cli.c — vk-adain end to end against golden outputs of the reference
 * PyTorch maths (made by make_golden.py on a small random-weight network),
 * the PIL resize emulation, colour preservation, and bad inputs: each
 * failure exits non-zero with one line naming the file, leaves no output
 * (no temporary file either) and leaves the inputs as they were.
 *
 * Environment (set by meson): VKA_CLI = the vk-adain executable,
 * VKA_GOLDEN = tests/cli/golden.
 */
#include "cli-run.h"
#include "test-files.h"
#include "vka.h"
#include "vka-color.h"
#include "vka-imageio.h"

#include <gegl.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

/* "VKAG" + int32 w, h, c + float32 pixels. */
static VkaImage *
read_golden (const char *name)
{
  g_autofree char *p = golden (name);
  g_autofree char *data = NULL;
  gsize n;
  g_assert_true (g_file_get_contents (p, &data, &n, NULL));
  g_assert_cmpuint (n, >=, 16);
  g_assert_cmpmem (data, 4, "VKAG", 4);
  gint32 dims[3];
  memcpy (dims, data + 4, sizeof dims);
  VkaImage *im = vka_image_new (dims[0], dims[1], dims[2], NULL);
  g_assert_nonnull (im);
  g_assert_cmpuint (n, ==, 16 + sizeof (float) * dims[0] * dims[1] * dims[2]);
  memcpy (im->pixels, data + 16, n - 16);
  return im;
}

/* PSNR over the first 3 channels (peak 1). */
static double
psnr_rgb (const VkaImage *ref, const VkaImage *got, double *max_diff)
{
  g_assert_cmpint (ref->width, ==, got->width);
  g_assert_cmpint (ref->height, ==, got->height);
  double se = 0, mx = 0;
  gsize n = (gsize) ref->width * ref->height;
  for (gsize i = 0; i < n; i++)
    for (int c = 0; c < 3; c++)
      {
        double d = ref->pixels[i * ref->channels + c] - got->pixels[i * got->channels + c];
        se += d * d;
        mx = MAX (mx, fabs (d));
      }
  *max_diff = mx;
  double mse = se / (n * 3);
  return mse > 0 ? 10 * log10 (1 / mse) : 999;
}

/* ---- golden cases -------------------------------------------------------- */

typedef struct
{
  const char *name;
  const char *content;
  const char *args[12];   /* extra arguments; "{S2}" becomes style2.png */
} Case;

static const Case cases[] = {
  { "plain", "content.png", { "--content-size", "24", "--style-size", "20" } },
  { "alpha", "content.png", { "--content-size", "24", "--style-size", "20", "--alpha", "0.5" } },
  { "mix", "content.png", { "--content-size", "24", "--style-size", "20", "--style-weights", "1,3" } },
  { "coral", "content.png", { "--content-size", "24", "--style-size", "20", "--preserve-color" } },
  { "luminance", "content.png", { "--content-size", "24", "--style-size", "20", "--preserve-color=luminance" } },
  { "crop", "content.png", { "--content-size", "20", "--style-size", "16", "--crop" } },
  { "odd", "content.png", { "--content-size", "0", "--style-size", "0" } },
  { "upscale", "content.png", { "--content-size", "40", "--style-size", "36" } },
  { "gray", "gray.png", { "--content-size", "0", "--style-size", "0" } },
  { "rgba", "rgba.png", { "--content-size", "0", "--style-size", "0" } },
};

static void
test_golden (gconstpointer data)
{
  const Case *c = data;
  g_autofree char *dir = fresh_dir (c->name);
  g_autofree char *out = g_build_filename (dir, "out.png", NULL);
  g_autofree char *vgg = golden ("vgg.pth"), *dec = golden ("decoder.pth");
  g_autofree char *content = golden (c->content);
  g_autofree char *style = golden ("style.png");
  g_autofree char *style2 = golden ("style2.png");
  g_autofree char *mix = g_strdup_printf ("%s,%s", style, style2);
  const char *args[32] = { "--vgg", vgg, "--decoder", dec, "--content", content,
                           "--style", strcmp (c->name, "mix") ? style : mix,
                           "-o", out, "--quiet" };
  int n = 11;
  for (int i = 0; c->args[i]; i++)
    args[n++] = c->args[i];
  Result r = run_cli (args);
  if (r.status)
    g_test_message ("stderr: %s", r.err);
  g_assert_cmpint (r.status, ==, 0);
  g_free (r.err);

  g_autoptr (VkaImage) got = vka_image_load (out, NULL, NULL);
  g_assert_nonnull (got);
  g_autofree char *gname = g_strconcat (c->name, ".f32", NULL);
  g_autoptr (VkaImage) ref = read_golden (gname);
  double max_diff;
  double p = psnr_rgb (ref, got, &max_diff);
  g_test_message ("%s: %dx%d PSNR %.1f dB, max |diff| %.4f", c->name, got->width,
                  got->height, p, max_diff);
  g_print ("# %s: PSNR %.1f dB, max |diff| %.4f\n", c->name, p, max_diff);
  g_assert_cmpfloat (p, >=, 45.0);

  if (strcmp (c->name, "rgba") == 0)
    {
      /* Alpha is the content's, untouched by the stylisation. */
      g_autoptr (VkaImage) in = vka_image_load (content, NULL, NULL);
      g_assert_cmpint (got->channels, ==, 4);
      for (gsize i = 0; i < (gsize) in->width * in->height; i++)
        g_assert_cmpfloat (fabsf (got->pixels[i * 4 + 3] - in->pixels[i * 4 + 3]), <, 1e-6);
    }
}

/* ---- resize and colour --------------------------------------------------- */

static void
test_resize_pil (void)
{
  g_autofree char *p = golden ("content.png");
  g_autoptr (VkaImage) in = vka_image_load (p, NULL, NULL);
  g_assert_nonnull (in);
  static const int sizes[] = { 24, 13, 40, 5 };
  for (gsize k = 0; k < G_N_ELEMENTS (sizes); k++)
    {
      g_autofree char *name = g_strdup_printf ("resize%d.f32", sizes[k]);
      g_autoptr (VkaImage) ref = read_golden (name);
      g_autoptr (VkaImage) got = vka_image_resize_shorter (in, sizes[k], TRUE, NULL);
      g_autoptr (VkaImage) flt = vka_image_resize_shorter (in, sizes[k], FALSE, NULL);
      g_assert_cmpint (got->width, ==, ref->width);
      g_assert_cmpint (got->height, ==, ref->height);
      double m8 = 0, mf = 0;
      for (gsize i = 0; i < (gsize) ref->width * ref->height * 3; i++)
        {
          m8 = MAX (m8, fabs (ref->pixels[i] - got->pixels[i]));
          mf = MAX (mf, fabs (ref->pixels[i] - flt->pixels[i]));
        }
      g_print ("# resize to %d: 8-bit max |diff| %.6f, float max |diff| %.6f\n", sizes[k],
               m8, mf);
      g_assert_cmpfloat (m8, <, 1e-6);          /* PIL's pixels exactly */
      g_assert_cmpfloat (mf, <=, 1.0 / 255 + 1e-6);  /* within PIL's rounding */
    }
}

static void
test_crop_round_half_even (void)
{
  g_autoptr (VkaImage) im = vka_image_new (7, 4, 1, NULL);
  for (int i = 0; i < 28; i++)
    im->pixels[i] = i;
  /* (7−2)/2 = 2.5 → 2 (Python round), (4−2)/2 = 1. */
  g_autoptr (VkaImage) c = vka_image_center_crop (im, 2, NULL);
  g_assert_cmpfloat (c->pixels[0], ==, 1 * 7 + 2);
}

static void
test_luminance_keeps_chroma (void)
{
  g_autoptr (VkaImage) content = vka_image_new (2, 1, 3, NULL);
  g_autoptr (VkaImage) out = vka_image_new (2, 1, 4, NULL);
  const float c[6] = { 0.2f, 0.5f, 0.7f, 0.9f, 0.1f, 0.3f };
  const float o[8] = { 0.6f, 0.6f, 0.6f, 0.25f, 0.3f, 0.2f, 0.1f, 0.75f };
  memcpy (content->pixels, c, sizeof c);
  memcpy (out->pixels, o, sizeof o);
  g_assert_true (vka_color_luminance (out, content, NULL));
  /* First pixel: Y(out) = 0.6, so the result is content + (0.6 − Y(content)). */
  float yc = 0.299f * 0.2f + 0.587f * 0.5f + 0.114f * 0.7f;
  g_assert_cmpfloat (fabsf (out->pixels[0] - (0.2f + 0.6f - yc)), <, 1e-6);
  g_assert_cmpfloat (fabsf (out->pixels[3] - 0.25f), <, 1e-7);  /* alpha untouched */
}

/* ---- EXIF orientation and 16-bit ---------------------------------------- */

/* An integer sample of range levels - 1 read as a float is the nearest
 * float to its value, in every run (not a conversion picked by timing). */
static void
assert_exact_sample (float v, int levels)
{
  double k = rint ((double) v * levels);
  g_assert_cmpfloat (v, ==, (float) (k / levels));
}

static void
test_save_formats (void)
{
  g_autofree char *dir = fresh_dir ("formats");
  g_autoptr (VkaImage) im = vka_image_new (5, 3, 4, NULL);
  for (int i = 0; i < 60; i++)
    im->pixels[i] = (i % 17) / 16.0f;
  const char *exts[] = { "png", "tif", "webp", "jpg" };
  for (gsize k = 0; k < G_N_ELEMENTS (exts); k++)
    {
      g_autofree char *p = g_strdup_printf ("%s/x.%s", dir, exts[k]);
      g_autoptr (GError) error = NULL;
      g_assert_true (vka_image_save (im, p, &error));
      VkaImageInfo info;
      g_autoptr (VkaImage) back = vka_image_load (p, &info, &error);
      g_assert_no_error (error);
      g_assert_cmpint (back->width, ==, 5);
      g_assert_cmpint (back->height, ==, 3);
      g_assert_cmpint (back->channels, ==, strcmp (exts[k], "jpg") ? 4 : 3);
      if (strcmp (exts[k], "png") == 0 || strcmp (exts[k], "tif") == 0)
        for (int i = 0; i < 60; i++)
          {
            g_assert_cmpfloat (fabsf (back->pixels[i] - im->pixels[i]), <=, 0.5f / 255 + 1e-6);
            assert_exact_sample (back->pixels[i], 255);
          }
    }
  g_assert_cmpuint (dir_count (dir), ==, 4);   /* no temporary files left */
}

/* A JPEG read with libjpeg directly gives the pixels GEGL's loader gives. */
static void
assert_read_as_gegl_reads (const char *path)
{
  VkaImageInfo info, gegl_info;
  g_autoptr (GError) error = NULL;
  g_autoptr (VkaImage) direct = vka_image_load (path, &info, &error);
  g_assert_no_error (error);
  g_setenv ("VKA_JPEG", "gegl", TRUE);
  g_autoptr (VkaImage) via_gegl = vka_image_load (path, &gegl_info, &error);
  g_unsetenv ("VKA_JPEG");
  g_assert_no_error (error);
  g_assert_cmpint (direct->width, ==, via_gegl->width);
  g_assert_cmpint (direct->height, ==, via_gegl->height);
  g_assert_cmpint (direct->channels, ==, via_gegl->channels);
  g_assert_cmpint (info.orientation, ==, gegl_info.orientation);
  g_assert_cmpint (info.bits, ==, gegl_info.bits);
  g_assert_cmpmem (direct->pixels, (gsize) direct->width * direct->height * direct->channels
                                   * sizeof (float),
                   via_gegl->pixels, (gsize) via_gegl->width * via_gegl->height
                                     * via_gegl->channels * sizeof (float));
}

/* JPEGs are read and RGB ones written with libjpeg directly where it was
 * found at build time: the same bytes gegl:jpg-save writes, in the
 * small-picture layout (progressive, optimised) and the large one
 * (baseline, one pass), and the same pixels gegl:jpg-load reads, with the
 * sRGB profile the writer puts in and without (the EXIF golden file). */
static void
test_jpeg_direct (void)
{
  g_autofree char *dir = fresh_dir ("jpeg-writer");
  const int sizes[][2] = { { 37, 23 }, { 2048, 2049 } };
  for (gsize k = 0; k < G_N_ELEMENTS (sizes); k++)
    {
      int w = sizes[k][0], h = sizes[k][1];
      g_autoptr (VkaImage) im = vka_image_new (w, h, 3, NULL);
      g_autoptr (GRand) rand = g_rand_new_with_seed (k + 1);
      for (gsize i = 0; i < (gsize) w * h * 3; i++)
        im->pixels[i] = (float) ((i / 3 % w) * 7 % 256) / 255.0f * 0.7f
                        + (float) g_rand_double (rand) * 0.3f;
      g_autofree char *direct = g_strdup_printf ("%s/direct-%d.jpg", dir, w);
      g_autofree char *via_gegl = g_strdup_printf ("%s/gegl-%d.jpg", dir, w);
      g_autoptr (GError) error = NULL;
      g_assert_true (vka_image_save (im, direct, &error));
      g_setenv ("VKA_JPEG", "gegl", TRUE);
      g_assert_true (vka_image_save (im, via_gegl, &error));
      g_unsetenv ("VKA_JPEG");
      g_autofree char *a = NULL, *b = NULL;
      gsize na, nb;
      g_assert_true (g_file_get_contents (direct, &a, &na, NULL));
      g_assert_true (g_file_get_contents (via_gegl, &b, &nb, NULL));
      g_test_message ("%d×%d: %" G_GSIZE_FORMAT " bytes", w, h, na);
      g_assert_cmpmem (a, na, b, nb);
      g_autoptr (VkaImage) back = vka_image_load (direct, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpint (back->width, ==, w);
      g_assert_cmpint (back->height, ==, h);
      assert_read_as_gegl_reads (direct);
    }
  g_assert_cmpuint (dir_count (dir), ==, 4);   /* no temporary files left */
  g_autofree char *exif = golden ("exif6.jpg");
  assert_read_as_gegl_reads (exif);
}

/* A CMYK JPEG (Adobe-inverted, as Photoshop and PIL write them) gives the
 * RGB pixels PIL reads from it (golden cmyk.f32, up to the DCT's rounding):
 * 125,181,44 for C,M,Y,K 100,30,200,50 and 73 grey for K 182 alone, where
 * GEGL's loader had given 146 grey. */
static void
test_cmyk_jpeg (void)
{
  g_autofree char *p = golden ("cmyk.jpg");
  g_autoptr (VkaImage) ref = read_golden ("cmyk.f32");
  g_autoptr (GError) error = NULL;
  VkaImageInfo info;
  g_autoptr (VkaImage) im = vka_image_load (p, &info, &error);
  g_assert_no_error (error);
  g_assert_cmpint (im->width, ==, 16);
  g_assert_cmpint (im->height, ==, 8);
  g_assert_cmpint (im->channels, ==, 3);
  g_assert_cmpint (info.bits, ==, 8);
  g_assert_cmpint (ref->channels, ==, 3);
  double max_diff;
  psnr_rgb (ref, im, &max_diff);
  g_test_message ("largest difference from PIL: %.2f / 255", max_diff * 255);
  g_assert_cmpfloat (max_diff, <=, 1.5 / 255);
  g_assert_cmpfloat (fabs (ref->pixels[(7 * 16 + 15) * 3] - 73.0 / 255), <, 1.5 / 255);
}

/* A style picture whose ninth byte happens to be '{' is a picture, not a
 * statistics file (safetensors: an 8-byte header length, then '{'): an
 * uncompressed TIFF whose first red sample is 123, a GIF 123 pixels high
 * (its height's low byte). The probe once looked at that byte alone. */
static void
test_style_picture_with_brace (void)
{
  g_autofree char *dir = fresh_dir ("brace");
  g_autoptr (VkaImage) brace = vka_image_new (9, 7, 3, NULL);
  for (gsize i = 0; i < (gsize) 9 * 7 * 3; i++)
    brace->pixels[i] = i % 3 ? 0.5f : 123.0f / 255.0f;
  g_autofree char *tiff = g_build_filename (dir, "brace.tif", NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (vka_image_save (brace, tiff, &error));
  g_autofree char *bytes = NULL;
  gsize size = 0;
  g_assert_true (g_file_get_contents (tiff, &bytes, &size, NULL));
  g_assert_cmpuint (size, >, 9);
  g_assert_cmpint (bytes[8], ==, '{');
  g_assert_false (vka_style_file_probe (tiff));

  g_autofree char *gif = g_build_filename (dir, "tall.gif", NULL);
  static const guint8 gif_head[16] = { 'G', 'I', 'F', '8', '9', 'a', 2, 0, 123, 0 };
  g_assert_true (g_file_set_contents (gif, (const char *) gif_head, sizeof gif_head, NULL));
  g_assert_false (vka_style_file_probe (gif));

  g_autofree char *stats = g_build_filename (dir, "stats.safetensors", NULL);
  const float mean[2] = { 0.5f, 1.0f }, std[2] = { 0.25f, 2.0f };
  g_autoptr (VkaStyle) style = vka_style_new (2, mean, std);
  g_assert_true (vka_style_save (style, stats, &error));
  g_assert_true (vka_style_file_probe (stats));

  g_autofree char *vgg = golden ("vgg.pth"), *dec = golden ("decoder.pth");
  g_autofree char *content = golden ("content.png");
  g_autofree char *out = g_build_filename (dir, "out.png", NULL);
  const char *args[] = { "--vgg", vgg, "--decoder", dec, "--content", content, "--style",
                         tiff, "-o", out, "--quiet", "--content-size", "24", NULL };
  Result r = run_cli (args);
  if (r.status)
    g_test_message ("stderr: %s", r.err);
  g_assert_cmpint (r.status, ==, 0);
  g_free (r.err);
  g_assert_true (g_file_test (out, G_FILE_TEST_IS_REGULAR));
}

/* A decoder asking for content noise gets it (the output differs from the
 * same weights' without the key, and --content-noise 0 gives that output
 * back); --content-noise adds noise to a decoder without the key; a value
 * outside [0, 1] is refused. */
static void
test_content_noise (void)
{
  g_autofree char *dir = fresh_dir ("noise");
  g_autofree char *vgg = golden ("vgg.pth"), *dec = golden ("decoder.pth");
  g_autofree char *content = golden ("content.png"), *style = golden ("style.png");
  g_autoptr (GError) error = NULL;
  g_autoptr (VkaWeights) w = vka_weights_load (dec, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (vka_decoder_set_content_noise (w, 0.08f, &error));
  g_autofree char *noisy = g_build_filename (dir, "noisy.safetensors", NULL);
  g_assert_true (vka_weights_save_safetensors (w, noisy, &error));
  g_assert_no_error (error);
  const char *decoders[4] = { dec, noisy, noisy, dec };
  const char *noise[4] = { NULL, NULL, "0", "0.08" };
  VkaImage *outs[4] = { NULL };
  for (int i = 0; i < 4; i++)
    {
      g_autofree char *out = g_strdup_printf ("%s/out%d.png", dir, i);
      const char *args[] = { "--vgg", vgg, "--decoder", decoders[i], "--content", content,
                             "--style", style, "-o", out, "--quiet", "--content-size", "40",
                             noise[i] ? "--content-noise" : NULL, noise[i], NULL };
      Result r = run_cli (args);
      if (r.status)
        g_test_message ("stderr: %s", r.err);
      g_assert_cmpint (r.status, ==, 0);
      g_free (r.err);
      outs[i] = vka_image_load (out, NULL, &error);
      g_assert_no_error (error);
    }
  double max_diff;
  psnr_rgb (outs[0], outs[1], &max_diff);
  g_test_message ("the decoder's noise changes the output by up to %.3f", max_diff);
  g_assert_cmpfloat (max_diff, >, 0.02);
  psnr_rgb (outs[0], outs[2], &max_diff);
  g_assert_cmpfloat (max_diff, ==, 0);
  psnr_rgb (outs[1], outs[3], &max_diff);
  g_assert_cmpfloat (max_diff, ==, 0);
  for (int i = 0; i < 4; i++)
    vka_image_free (outs[i]);

  g_autofree char *out = g_build_filename (dir, "bad.png", NULL);
  const char *args[] = { "--vgg", vgg, "--decoder", dec, "--content", content, "--style", style,
                         "-o", out, "--quiet", "--content-noise", "2", NULL };
  Result r = run_cli (args);
  g_assert_cmpint (r.status, !=, 0);
  g_assert_nonnull (strstr (r.err, "--content-noise 2: must be in [0, 1]"));
  g_free (r.err);
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
}

/* babl's cache of conversions (shared with GIMP) is neither read by the CLI
 * (reading one made babl time its lookup tables at every start) nor
 * written over with the CLI's few conversions. */
static void
test_babl_cache_untouched (void)
{
  g_autofree char *dir = fresh_dir ("babl-cache");
  g_autofree char *cache = fresh_dir ("babl-cache/xdg");
  g_autofree char *babl_dir = fresh_dir ("babl-cache/xdg/babl");
  const char fishes[] = "#BABL_0_1_98 BABL_PATH_LENGTH=3 BABL_TOLERANCE=0.000005\n"
                        "Y' u8\nY' float\n\tpixels=8283485696 cost=4 error=0.0000000000\n"
                        "\t/usr/lib/x86_64-linux-gnu/babl-0.1/x86-64-v3-simple.so 0: "
                        "Y' u8 to Y' float\n----\n";
  g_autofree char *file = write_file (babl_dir, "babl-fishes", fishes, sizeof fishes - 1);
  g_autofree char *vgg = golden ("vgg.pth"), *dec = golden ("decoder.pth");
  g_autofree char *content = golden ("content.png"), *style = golden ("style.png");
  g_autofree char *out = g_build_filename (dir, "out.jpg", NULL);
  g_auto (GStrv) env = g_environ_setenv (g_get_environ (), "XDG_CACHE_HOME", cache, TRUE);
  const char *args[] = { "--vgg", vgg, "--decoder", dec, "--content", content, "--style",
                         style, "-o", out, "--content-size", "24", "--style-size", "20",
                         "--quiet", NULL };
  Result r = run_cli_env (args, env);
  if (r.status)
    g_test_message ("stderr: %s", r.err);
  g_assert_cmpint (r.status, ==, 0);
  g_free (r.err);
  g_autofree char *after = NULL;
  gsize n;
  g_assert_true (g_file_get_contents (file, &after, &n, NULL));
  g_assert_cmpmem (after, n, fishes, sizeof fishes - 1);
  g_assert_true (g_file_test (out, G_FILE_TEST_IS_REGULAR));
}

static void
test_exif_orientation (void)
{
  g_autofree char *p = golden ("exif6.jpg");
  VkaImageInfo info;
  g_autoptr (VkaImage) im = vka_image_load (p, &info, NULL);
  g_assert_nonnull (im);
  g_assert_cmpint (info.orientation, ==, 6);
  g_assert_cmpint (im->width, ==, 8);
  g_assert_cmpint (im->height, ==, 16);
  g_assert_cmpfloat (im->pixels[0], >, 0.6f);                         /* red on top */
  g_assert_cmpfloat (im->pixels[(gsize) (16 * 8 - 1) * 3 + 2], >, 0.6f); /* blue below */
}

/* Each EXIF orientation 1..8 of the same JPEG loads as the stored picture
 * transformed as the tag says (the transforms written out here, apart from
 * the loader's). */
static void
test_exif_orientations (void)
{
  g_autofree char *dir = fresh_dir ("exif");
  g_autofree char *base = golden ("exif6.jpg");
  g_autofree char *plain_path = with_orientation (base, dir, 1);
  g_autoptr (VkaImage) s = vka_image_load (plain_path, NULL, NULL);
  g_assert_nonnull (s);
  int w = s->width, h = s->height, ch = s->channels;
  for (int o = 2; o <= 8; o++)
    {
      g_autofree char *path = with_orientation (base, dir, o);
      g_autoptr (VkaImage) im = vka_image_load (path, NULL, NULL);
      g_assert_nonnull (im);
      g_assert_cmpint (im->width, ==, o >= 5 ? h : w);
      g_assert_cmpint (im->height, ==, o >= 5 ? w : h);
      for (int y = 0; y < im->height; y++)
        for (int x = 0; x < im->width; x++)
          {
            /* where the upright pixel (x, y) is stored */
            int mx = o == 2 || o == 3 || o == 7 ? -1 : 1;   /* mirrored across x */
            int sx = o < 5 ? (mx < 0 ? w - 1 - x : x) : (o == 7 || o == 8 ? w - 1 - y : y);
            int sy = o < 5 ? (o == 3 || o == 4 ? h - 1 - y : y)
                           : (o == 6 || o == 7 ? h - 1 - x : x);
            g_assert_cmpmem (im->pixels + ((gsize) y * im->width + x) * ch, ch * sizeof (float),
                             s->pixels + ((gsize) sy * w + sx) * ch, ch * sizeof (float));
          }
    }
}

static VkaImage *
load_or_fail (const char *path)
{
  g_autoptr (GError) error = NULL;
  VkaImage *im = vka_image_load (path, NULL, &error);
  g_assert_no_error (error);
  return im;
}


/* A 16-bit PNG (the 8-bit content's values × 257) loads to the same floats,
 * and vk-adain gives the same picture from it. */
static void
test_16bit_input (void)
{
  g_autofree char *p8 = golden ("content.png"), *p16 = golden ("content16.png");
  g_autoptr (VkaImage) a = load_or_fail (p8), b = load_or_fail (p16);
  VkaImageInfo info;
  g_autoptr (VkaImage) c = vka_image_load (p16, &info, NULL);
  g_assert_nonnull (c);
  g_assert_cmpint (info.bits, ==, 16);
  g_assert_cmpint (a->width, ==, b->width);
  g_assert_cmpint (a->height, ==, b->height);
  g_assert_cmpint (a->channels, ==, b->channels);
  for (gsize i = 0; i < (gsize) a->width * a->height * a->channels; i++)
    {
      g_assert_cmpfloat (fabsf (a->pixels[i] - b->pixels[i]), <=, 1e-6f);
      assert_exact_sample (a->pixels[i], 255);
      assert_exact_sample (b->pixels[i], 65535);
    }

  g_autofree char *dir = fresh_dir ("sixteen");
  g_autofree char *vgg = golden ("vgg.pth"), *dec = golden ("decoder.pth");
  g_autofree char *style = golden ("style.png");
  g_autofree char *o8 = g_build_filename (dir, "from8.png", NULL);
  g_autofree char *o16 = g_build_filename (dir, "from16.png", NULL);
  const char *outs[2] = { o8, o16 }, *ins[2] = { p8, p16 };
  for (int i = 0; i < 2; i++)
    {
      const char *args[] = { "--vgg", vgg, "--decoder", dec, "--content", ins[i], "--style",
                             style, "-o", outs[i], "--content-size", "0", "--style-size", "0",
                             "--quiet", NULL };
      Result r = run_cli (args);
      g_assert_cmpint (r.status, ==, 0);
      g_free (r.err);
    }
  g_autofree char *c8 = checksum (o8), *c16 = checksum (o16);
  g_assert_cmpstr (c8, ==, c16);
}

/* ---- bad input ------------------------------------------------------------ */

typedef struct
{
  const char *name;
  const char *expect;   /* in the error line */
} Bad;

static void
test_bad_inputs (void)
{
  g_autofree char *dir = fresh_dir ("bad");
  g_autofree char *out = fresh_dir ("bad-out");
  g_autofree char *vgg = golden ("vgg.pth"), *dec = golden ("decoder.pth");
  g_autofree char *content = golden ("content.png"), *style = golden ("style.png");
  g_autofree char *missing = g_build_filename (dir, "missing.png", NULL);
  g_autofree char *empty = write_file (dir, "empty.png", "", 0);
  g_autofree char *png_head = NULL;
  gsize n;
  g_assert_true (g_file_get_contents (content, &png_head, &n, NULL));
  g_autofree char *truncated = write_file (dir, "truncated.png", png_head, 60);
  g_autofree char *garbage = write_file (dir, "garbage.jpg", "\xff\xd8\xff\xe0 not a jpeg at all", 22);
  /* not JPEGs, named .jpg: GEGL's JPEG loader would end the process */
  g_autofree char *text_jpg = write_file (dir, "text.jpg", "hello, not a picture\n", 21);
  g_autofree char *bad_header = write_file (dir, "bad-header.jpg",
                                            "\xff\xd8\xff\xe0\x00\x04JF\x12\x34\xff\xd9", 12);
  g_autofree char *empty_dir = fresh_dir ("bad/empty-styles");
  g_autofree char *a_file = write_file (dir, "notadir", "x", 1);
  g_autofree char *under_file = g_build_filename (a_file, "sub", NULL);
  const char *inputs[] = { content, style, empty, truncated, garbage, text_jpg, bad_header,
                           NULL };

#define RUN(C, S, MUST, ...) do { \
    const char *args[] = { "--vgg", vgg, "--decoder", dec, "--content", C, "--style", S, \
                           "--quiet", __VA_ARGS__, NULL }; \
    expect_failure (args, MUST, out, inputs); } while (0)

  RUN (missing, style, "missing.png", "--output", out);
  RUN (content, missing, "missing.png", "--output", out);
  RUN (empty, style, "empty.png", "--output", out);
  RUN (truncated, style, "truncated.png", "--output", out);
  RUN (content, garbage, "garbage.jpg", "--output", out);
  RUN (text_jpg, style, "text.jpg", "--output", out);
  RUN (content, bad_header, "bad-header.jpg", "--output", out);
  RUN (content, empty_dir, "empty-styles", "--output", out);
  RUN (content, style, "notadir", "--output", under_file);
  g_autofree char *into_file = g_build_filename (under_file, "x.png", NULL);
  RUN (content, style, "notadir", "-o", into_file);
  /* -o pointing at an input never overwrites it. */
  RUN (content, style, "content.png", "-o", content);
  {
    const char *args[] = { "--vgg", missing, "--decoder", dec, "--content", content,
                           "--style", style, "--quiet", "--output", out, NULL };
    expect_failure (args, "missing.png", out, inputs);
  }
  if (getuid () != 0)
    {
      g_autofree char *ro = fresh_dir ("read-only");
      g_chmod (ro, 0555);
      RUN (content, style, "read-only", "--output", ro);
      g_autofree char *unreadable = write_file (dir, "unreadable.png", png_head, n);
      g_chmod (unreadable, 0);
      RUN (unreadable, style, "unreadable.png", "--output", out);
      g_chmod (ro, 0755);
    }
  else
    g_test_message ("running as root: read-only folder and unreadable file not tested");
#undef RUN
}

/* --save-style writes the statistics; using them as --style gives the same
 * picture as the style image. A style folder stylises with each style. */
static void
test_save_style_and_folder (void)
{
  g_autofree char *dir = fresh_dir ("stats");
  g_autofree char *styles = fresh_dir ("stats/styles");
  g_autofree char *vgg = golden ("vgg.pth"), *dec = golden ("decoder.pth");
  g_autofree char *content = golden ("content.png"), *style = golden ("style.png");
  g_autofree char *stats = g_build_filename (dir, "style.safetensors", NULL);
  g_autofree char *a = g_build_filename (dir, "a.png", NULL);
  g_autofree char *b = g_build_filename (dir, "b.png", NULL);
  {
    const char *args[] = { "--vgg", vgg, "--decoder", dec, "--content", content, "--style",
                           style, "--save-style", stats, "-o", a, "--quiet",
                           "--content-size", "24", "--style-size", "20", NULL };
    Result r = run_cli (args);
    g_assert_cmpint (r.status, ==, 0);
    g_free (r.err);
  }
  {
    const char *args[] = { "--vgg", vgg, "--decoder", dec, "--content", content, "--style",
                           stats, "-o", b, "--quiet", "--content-size", "24", NULL };
    Result r = run_cli (args);
    g_assert_cmpint (r.status, ==, 0);
    g_free (r.err);
  }
  g_autofree char *ca = checksum (a), *cb = checksum (b);
  g_assert_cmpstr (ca, ==, cb);

  g_autofree char *s1 = g_build_filename (styles, "one.png", NULL);
  g_autofree char *s2 = g_build_filename (styles, "two.png", NULL);
  g_autofree char *style2 = golden ("style2.png");
  g_autofree char *d1 = NULL, *d2 = NULL;
  gsize n1, n2;
  g_assert_true (g_file_get_contents (style, &d1, &n1, NULL));
  g_assert_true (g_file_get_contents (style2, &d2, &n2, NULL));
  g_assert_true (g_file_set_contents (s1, d1, n1, NULL));
  g_assert_true (g_file_set_contents (s2, d2, n2, NULL));
  g_autofree char *outdir = g_build_filename (dir, "out", NULL);
  const char *args[] = { "--vgg", vgg, "--decoder", dec, "--content", content, "--style",
                         styles, "--output", outdir, "--save-ext", "png", "--quiet",
                         "--content-size", "24", "--style-size", "20", NULL };
  Result r = run_cli (args);
  g_assert_cmpint (r.status, ==, 0);
  g_free (r.err);
  g_autofree char *o1 = g_build_filename (outdir, "content_stylized_one.png", NULL);
  g_autofree char *o2 = g_build_filename (outdir, "content_stylized_two.png", NULL);
  g_assert_true (g_file_test (o1, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (o2, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpuint (dir_count (outdir), ==, 2);
}


/* --mask: all white is the first style alone (and a mask of another size is
 * resized, with a note); half white differs from both styles alone; --tile
 * gives the untiled picture. */
static void
test_mask_and_tile (void)
{
  g_autofree char *dir = fresh_dir ("mask");
  g_autofree char *vgg = golden ("vgg.pth"), *dec = golden ("decoder.pth");
  g_autofree char *content = golden ("content.png"), *style = golden ("style.png");
  g_autofree char *style2 = golden ("style2.png");
  g_autofree char *both = g_strdup_printf ("%s,%s", style, style2);
  g_autofree char *white = g_build_filename (dir, "white.png", NULL);
  g_autofree char *half = g_build_filename (dir, "half.png", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (VkaImage) c = load_or_fail (content);
  g_autoptr (VkaImage) w = vka_image_new (c->width + 5, c->height + 3, 1, NULL);
  g_autoptr (VkaImage) h = vka_image_new (c->width, c->height, 1, NULL);
  for (int i = 0; i < w->width * w->height; i++)
    w->pixels[i] = 1.0f;
  for (int i = 0; i < h->width * h->height; i++)
    h->pixels[i] = i % h->width < h->width / 2 ? 1.0f : 0.0f;
  g_assert_true (vka_image_save (w, white, &error));
  g_assert_true (vka_image_save (h, half, &error));
  g_assert_no_error (error);

  g_autofree char *only1 = g_build_filename (dir, "only1.png", NULL);
  g_autofree char *only2 = g_build_filename (dir, "only2.png", NULL);
  g_autofree char *masked1 = g_build_filename (dir, "masked1.png", NULL);
  g_autofree char *halved = g_build_filename (dir, "halved.png", NULL);
  const char *runs[][4] = { { style, NULL, only1, NULL }, { style2, NULL, only2, NULL },
                            { both, white, masked1, NULL }, { both, half, halved, NULL } };
  for (guint i = 0; i < G_N_ELEMENTS (runs); i++)
    {
      const char *args[] = { "--vgg", vgg, "--decoder", dec, "--content", content,
                             "--style", runs[i][0], "-o", runs[i][2], "--content-size", "0",
                             "--style-size", "0", runs[i][1] ? "--mask" : NULL, runs[i][1],
                             NULL };
      Result r = run_cli (args);
      g_assert_cmpint (r.status, ==, 0);
      if (runs[i][1] == white)
        g_assert_nonnull (strstr (r.err, "resized to the content's"));
      g_free (r.err);
    }
  g_autoptr (VkaImage) a = load_or_fail (only1), b = load_or_fail (only2);
  g_autoptr (VkaImage) m = load_or_fail (masked1), hv = load_or_fail (halved);
  double mx;
  g_assert_cmpfloat (psnr_rgb (a, m, &mx), >=, 60);
  g_test_message ("half mask vs style 1: %.1f dB, vs style 2: %.1f dB",
                  psnr_rgb (a, hv, &mx), psnr_rgb (b, hv, &mx));
  g_assert_cmpfloat (psnr_rgb (a, hv, &mx), <, 50);
  g_assert_cmpfloat (psnr_rgb (b, hv, &mx), <, 50);

  /* a mask needs two styles */
  {
    const char *args[] = { "--vgg", vgg, "--decoder", dec, "--content", content, "--style",
                           style, "--mask", half, "-o", only1, NULL };
    Result r = run_cli (args);
    g_assert_cmpint (r.status, !=, 0);
    g_assert_nonnull (strstr (r.err, "--mask needs exactly two styles"));
    g_free (r.err);
  }

  /* tiles: a picture several tiles wide */
  g_autofree char *big = g_build_filename (dir, "big.png", NULL);
  g_autoptr (VkaImage) bi = vka_image_new (300, 260, 3, NULL);
  for (int y = 0; y < 260; y++)
    for (int x = 0; x < 300; x++)
      for (int k = 0; k < 3; k++)
        bi->pixels[(y * 300 + x) * 3 + k] = 0.5f + 0.45f * sinf (x * 0.05f * (k + 1) + y * 0.031f);
  g_assert_true (vka_image_save (bi, big, &error));
  g_autofree char *untiled = g_build_filename (dir, "untiled.png", NULL);
  g_autofree char *tiled = g_build_filename (dir, "tiled.png", NULL);
  const char *outs[2] = { untiled, tiled };
  for (int i = 0; i < 2; i++)
    {
      const char *args[] = { "--vgg", vgg, "--decoder", dec, "--content", big, "--style",
                             style, "-o", outs[i], "--content-size", "0", "--quiet",
                             i ? "--tile" : NULL, "64", NULL };
      Result r = run_cli (args);
      g_assert_cmpint (r.status, ==, 0);
      g_free (r.err);
    }
  g_autoptr (VkaImage) u = load_or_fail (untiled), t = load_or_fail (tiled);
  double db = psnr_rgb (u, t, &mx);
  g_test_message ("--tile 64 vs untiled: %.1f dB", db);
  g_assert_cmpfloat (db, >=, 40);
}

/* $VK_ADAIN_MODELS goes before the build tree's models/ (VKA_CLI is the
 * build tree's vk-adain, which searches it): a folder holding the golden
 * model gives the picture that naming its files gives, and a folder whose
 * decoder is broken fails naming that file. */
static void
test_models_env_first (void)
{
  g_autofree char *dir = fresh_dir ("models-env");
  g_autofree char *model = fresh_dir ("models-env/model");
  g_autofree char *broken = fresh_dir ("models-env/broken");
  g_autofree char *vgg = golden ("vgg.pth"), *dec = golden ("decoder.pth");
  g_autofree char *content = golden ("content.png"), *style = golden ("style.png");
  g_autofree char *model_vgg = g_build_filename (model, "vgg_normalised.pth", NULL);
  g_autofree char *model_dec = g_build_filename (model, "decoder.pth", NULL);
  copy_file (vgg, model_vgg);
  copy_file (dec, model_dec);
  g_autofree char *bad = write_file (broken, "decoder.safetensors", "not a model", 11);

  g_autofree char *named = g_build_filename (dir, "named.png", NULL);
  g_autofree char *from_env = g_build_filename (dir, "from-env.png", NULL);
  {
    const char *args[] = { "--vgg", vgg, "--decoder", dec, "--content", content, "--style",
                           style, "-o", named, "--content-size", "24", "--style-size", "20",
                           "--quiet", NULL };
    Result r = run_cli (args);
    g_assert_cmpint (r.status, ==, 0);
    g_free (r.err);
  }
  g_auto (GStrv) env = g_environ_setenv (g_get_environ (), "VK_ADAIN_MODELS", model, TRUE);
  {
    const char *args[] = { "--content", content, "--style", style, "-o", from_env,
                           "--content-size", "24", "--style-size", "20", "--quiet", NULL };
    Result r = run_cli_env (args, env);
    if (r.status)
      g_test_message ("stderr: %s", r.err);
    g_assert_cmpint (r.status, ==, 0);
    g_free (r.err);
  }
  g_autofree char *c_named = checksum (named), *c_env = checksum (from_env);
  g_assert_cmpstr (c_env, ==, c_named);

  g_auto (GStrv) env_broken = g_environ_setenv (g_get_environ (), "VK_ADAIN_MODELS", broken,
                                                TRUE);
  g_autofree char *never = g_build_filename (dir, "never.png", NULL);
  const char *args[] = { "--content", content, "--style", style, "-o", never,
                         "--content-size", "24", "--style-size", "20", "--quiet", NULL };
  Result r = run_cli_env (args, env_broken);
  g_print ("# error line: %s", r.err);
  g_assert_cmpint (r.status, !=, 0);
  /* errors name files by their base name; the build tree has decoder.pth */
  g_assert_nonnull (strstr (r.err, "decoder.safetensors"));
  g_assert_false (g_file_test (never, G_FILE_TEST_EXISTS));
  g_free (r.err);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  cli_run_setup ();

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/cli/golden/%s", cases[i].name);
      g_test_add_data_func (path, &cases[i], test_golden);
    }
  g_test_add_func ("/cli/resize/pil", test_resize_pil);
  g_test_add_func ("/cli/resize/crop-round-half-even", test_crop_round_half_even);
  g_test_add_func ("/cli/color/luminance", test_luminance_keeps_chroma);
  g_test_add_func ("/cli/imageio/formats", test_save_formats);
  g_test_add_func ("/cli/imageio/jpeg-direct", test_jpeg_direct);
  g_test_add_func ("/cli/imageio/cmyk-jpeg", test_cmyk_jpeg);
  g_test_add_func ("/cli/imageio/babl-cache-untouched", test_babl_cache_untouched);
  g_test_add_func ("/cli/imageio/exif-orientation", test_exif_orientation);
  g_test_add_func ("/cli/imageio/exif-orientations", test_exif_orientations);
  g_test_add_func ("/cli/imageio/16-bit", test_16bit_input);
  g_test_add_func ("/cli/bad-inputs", test_bad_inputs);
  g_test_add_func ("/cli/save-style-and-folder", test_save_style_and_folder);
  g_test_add_func ("/cli/style-picture-with-brace", test_style_picture_with_brace);
  g_test_add_func ("/cli/mask-and-tile", test_mask_and_tile);
  g_test_add_func ("/cli/content-noise", test_content_noise);
  g_test_add_func ("/cli/models-env-first", test_models_env_first);
  int status = g_test_run ();
  cli_run_teardown ();
  vka_imageio_shutdown ();
  return status;
}
