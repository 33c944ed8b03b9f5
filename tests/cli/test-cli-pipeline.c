/* test-cli-pipeline.c — a folder run with the next picture read and the last
 * one written while one is stylised (the default) against the same run one
 * picture at a time (VKA_PIPELINE=0): the same bytes in every output, the
 * same standard error (a bad file's error names it, in job order), the same
 * exit status; with --shard, and with --skip-existing where two contents
 * give one output name.
 *
 * The device comes from VK_ADAIN_DEVICE (meson runs it on the CPU backend,
 * its kernels fixed so that separate processes compute the same bytes, and
 * on lavapipe under the validation layer).
 */
#include "cli-run.h"

#include <glib/gstdio.h>
#include <string.h>

static char *contents_dir, *styles_dir;

/* ---- small PNG files, generated (stored deflate blocks) ---- */

static guint32
crc32_of (const guint8 *p, gsize n, guint32 crc)
{
  crc = ~crc;
  for (gsize i = 0; i < n; i++)
    {
      crc ^= p[i];
      for (int k = 0; k < 8; k++)
        crc = crc & 1 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
    }
  return ~crc;
}

static void
put32 (GByteArray *out, guint32 v)
{
  guint8 b[4] = { v >> 24, v >> 16, v >> 8, v };
  g_byte_array_append (out, b, 4);
}

static void
put_chunk (GByteArray *out, const char *type, const guint8 *data, gsize n)
{
  put32 (out, (guint32) n);
  gsize at = out->len;
  g_byte_array_append (out, (const guint8 *) type, 4);
  g_byte_array_append (out, data, (guint) n);
  put32 (out, crc32_of (out->data + at, n + 4, 0));
}

/* A width×height PNG of `channels` 8-bit channels (1 gray, 3 RGB, 4 RGBA)
 * with a pattern that differs with seed. */
static void
write_png (const char *path, int width, int height, int channels, int seed)
{
  g_autoptr (GByteArray) raw = g_byte_array_new ();
  for (int y = 0; y < height; y++)
    {
      guint8 filter = 0;
      g_byte_array_append (raw, &filter, 1);
      for (int x = 0; x < width; x++)
        for (int c = 0; c < channels; c++)
          {
            guint8 v = c == 3 ? (guint8) (128 + 127 * ((x + y) % 2))
                              : (guint8) ((x * (37 + seed) + y * (53 + 7 * c) + seed * 29) % 256);
            g_byte_array_append (raw, &v, 1);
          }
    }
  g_autoptr (GByteArray) z = g_byte_array_new ();
  const guint8 zlib_header[] = { 0x78, 0x01 };
  g_byte_array_append (z, zlib_header, 2);
  guint32 a = 1, b = 0;
  for (guint i = 0; i < raw->len; i++)
    {
      a = (a + raw->data[i]) % 65521;
      b = (b + a) % 65521;
    }
  for (guint at = 0; at < raw->len || at == 0;)
    {
      guint n = MIN (raw->len - at, 65535u);
      guint8 head[5] = { at + n == raw->len, n & 0xFF, n >> 8, ~n & 0xFF, (~n >> 8) & 0xFF };
      g_byte_array_append (z, head, 5);
      g_byte_array_append (z, raw->data + at, n);
      at += n;
      if (n == 0)
        break;
    }
  put32 (z, b << 16 | a);
  g_autoptr (GByteArray) png = g_byte_array_new ();
  const guint8 signature[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n' };
  g_byte_array_append (png, signature, 8);
  guint8 ihdr[13] = { width >> 24, width >> 16, width >> 8, width,
                      height >> 24, height >> 16, height >> 8, height,
                      8, channels == 1 ? 0 : channels == 3 ? 2 : 6, 0, 0, 0 };
  put_chunk (png, "IHDR", ihdr, 13);
  put_chunk (png, "IDAT", z->data, z->len);
  put_chunk (png, "IEND", NULL, 0);
  g_assert_true (g_file_set_contents (path, (const char *) png->data, png->len, NULL));
}

/* ---- runs ---- */

#define N_STYLES 2

/* Contents in name order; "c-broken.png" is not a picture. */
static const char *const content_names[] = {
  "a.png", "b.png", "c-broken.png", "d.png", "e.png", "f.png",
};
#define N_CONTENTS G_N_ELEMENTS (content_names)

static void
setup_inputs (void)
{
  contents_dir = fresh_dir ("contents");
  styles_dir = fresh_dir ("styles");
  const int shapes[][3] = { { 20, 16, 3 }, { 17, 23, 1 }, { 0, 0, 0 }, { 30, 26, 4 },
                            { 24, 24, 3 }, { 41, 19, 3 } };
  for (gsize i = 0; i < N_CONTENTS; i++)
    {
      g_autofree char *path = g_build_filename (contents_dir, content_names[i], NULL);
      if (shapes[i][0])
        write_png (path, shapes[i][0], shapes[i][1], shapes[i][2], (int) i);
      else
        g_assert_true (g_file_set_contents (path, "not a picture\n", -1, NULL));
    }
  const char *styles[N_STYLES] = { "style.png", "style2.png" };
  for (int i = 0; i < N_STYLES; i++)
    {
      g_autofree char *from = golden (styles[i]);
      g_autofree char *to = g_build_filename (styles_dir, styles[i], NULL);
      copy_file (from, to);
    }
}

/* vk-adain over contents (NULL: the test folder) into out, pipelined or not,
 * with extra arguments (up to 6). */
static Result
run_folder (const char *contents, const char *out, gboolean pipelined,
            const char *const *extra)
{
  g_autofree char *vgg = golden ("vgg.pth"), *dec = golden ("decoder.pth");
  const char *args[32] = { "--vgg", vgg, "--decoder", dec,
                           "--content", contents ? contents : contents_dir,
                           "--style", styles_dir, "--output", out, "--save-ext", "png",
                           "--content-size", "24", "--style-size", "20", "--threads", "1" };
  int n = 18;
  for (int i = 0; extra && extra[i]; i++)
    args[n++] = extra[i];
  args[n] = NULL;
  g_auto (GStrv) env = g_get_environ ();
  env = g_environ_setenv (env, "VKA_PIPELINE", pipelined ? "1" : "0", TRUE);
  return run_cli_env (args, env);
}

/* Every file of a is in b with the same bytes, and the other way round. */
static void
assert_same_folders (const char *a, const char *b)
{
  g_assert_cmpuint (dir_count (a), ==, dir_count (b));
  g_autoptr (GDir) dir = g_dir_open (a, 0, NULL);
  g_assert_nonnull (dir);
  const char *name;
  while ((name = g_dir_read_name (dir)))
    {
      g_autofree char *pa = g_build_filename (a, name, NULL);
      g_autofree char *pb = g_build_filename (b, name, NULL);
      if (g_file_test (pa, G_FILE_TEST_IS_DIR))
        continue;
      g_autofree char *ca = checksum (pa), *cb = checksum (pb);
      g_test_message ("%s %s", name, ca);
      g_assert_cmpstr (cb, ==, ca);
    }
}

static guint
count_lines_with (const char *text, const char *needle)
{
  guint n = 0;
  for (const char *p = text; (p = strstr (p, needle)); p += strlen (needle))
    n++;
  return n;
}

/* Both modes into fresh folders (each made ready by prepare, when given):
 * the same exit status, standard error and bytes; returns the pipelined
 * run's result. */
static Result
run_both (const char *name, const char *contents, const char *const *extra,
          void (*prepare) (const char *out))
{
  g_autofree char *seq_name = g_strdup_printf ("%s/sequential", name);
  g_autofree char *pipe_name = g_strdup_printf ("%s/pipelined", name);
  g_autofree char *seq_dir = fresh_dir (seq_name), *pipe_dir = fresh_dir (pipe_name);
  if (prepare)
    {
      prepare (seq_dir);
      prepare (pipe_dir);
    }
  Result seq = run_folder (contents, seq_dir, FALSE, extra);
  Result pipe = run_folder (contents, pipe_dir, TRUE, extra);
  g_test_message ("sequential stderr:\n%s", seq.err);
  g_test_message ("pipelined stderr:\n%s", pipe.err);
  g_assert_cmpint (pipe.status, ==, seq.status);
  /* (the errors of failed writes name the output folder) */
  g_autoptr (GString) seq_err = g_string_new (seq.err);
  g_string_replace (seq_err, seq_dir, pipe_dir, 0);
  g_assert_cmpstr (pipe.err, ==, seq_err->str);
  assert_same_folders (seq_dir, pipe_dir);
  g_free (seq.err);
  return pipe;
}

/* An output name taken by a folder: that job's write fails (the writer's
 * error, reported in its place), the others are written. */
static void
block_one_output (const char *out)
{
  g_autofree char *blocked = g_build_filename (out, "d_stylized_style2.png", NULL);
  g_assert_cmpint (g_mkdir (blocked, 0755), ==, 0);
}

/* Every content with each style: the broken file fails once per style with
 * an error naming it and the problem, a blocked output fails, every other
 * output is written, exit status 1. */
static void
test_same_bytes (void)
{
  Result r = run_both ("whole", NULL, NULL, block_one_output);
  g_assert_cmpint (r.status, !=, 0);
  g_assert_cmpuint (count_lines_with (r.err, "\n"), ==, N_STYLES + 1);
  g_assert_cmpuint (count_lines_with (r.err, "vk-adain: "), ==, N_STYLES + 1);
  g_assert_cmpuint (count_lines_with (r.err, "c-broken.png is not a readable image"), ==,
                    N_STYLES);
  g_assert_nonnull (strstr (r.err, "d_stylized_style2.png"));
  /* job order: the broken file with each style, then the blocked write */
  const char *last_broken = strstr (r.err, "c-broken");
  for (const char *p; (p = strstr (last_broken + 1, "c-broken"));)
    last_broken = p;
  g_assert_true (strstr (r.err, "d_stylized_style2") > last_broken);
  g_free (r.err);
}

/* Each part of --shard 3: the same jobs, summary line and bytes. */
static void
test_shards (void)
{
  for (int i = 1; i <= 3; i++)
    {
      g_autofree char *name = g_strdup_printf ("shard-%d", i);
      g_autofree char *shard = g_strdup_printf ("%d/3", i);
      Result r = run_both (name, NULL, (const char *[]) { "--shard", shard, NULL }, NULL);
      g_assert_nonnull (strstr (r.err, "written, 0 already there"));
      g_free (r.err);
    }
}

/* a.jpg and a.png both give a_stylized_*.png: with --skip-existing the
 * second is skipped because the first wrote it, as one at a time. */
static void
test_skip_same_name (void)
{
  g_autofree char *dir = fresh_dir ("same-name");
  g_autofree char *jpeg = golden ("exif6.jpg");
  g_autofree char *a_jpg = g_build_filename (dir, "a.jpg", NULL);
  copy_file (jpeg, a_jpg);
  const char *names[] = { "a.png", "b.png" };
  for (int i = 0; i < 2; i++)
    {
      g_autofree char *path = g_build_filename (dir, names[i], NULL);
      write_png (path, 22, 18, 3, 10 + i);
    }
  Result r = run_both ("skip", dir, (const char *[]) { "--skip-existing", NULL }, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.err, "4 written, 2 already there, 0 failed"));
  g_free (r.err);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  cli_run_setup ();
  setup_inputs ();
  g_test_add_func ("/cli-pipeline/same-bytes", test_same_bytes);
  g_test_add_func ("/cli-pipeline/shards", test_shards);
  g_test_add_func ("/cli-pipeline/skip-same-name", test_skip_same_name);
  int status = g_test_run ();
  cli_run_teardown ();
  g_free (contents_dir);
  g_free (styles_dir);
  return status;
}
