/* cli-run.c — running vk-adain from the CLI tests, and their files. */
#include "cli-run.h"
#include "test-files.h"

#include <glib/gstdio.h>
#include <string.h>

static const char *golden_dir;
static const char *cli;
static char *tmp_root;

void
cli_run_setup (void)
{
  golden_dir = g_getenv ("VKA_GOLDEN");
  cli = g_getenv ("VKA_CLI");
  g_assert_nonnull (golden_dir);
  g_assert_nonnull (cli);
  tmp_root = g_dir_make_tmp ("vk-adain-cli-XXXXXX", NULL);
  g_assert_nonnull (tmp_root);
}

void
cli_run_teardown (void)
{
  test_rm_rf (tmp_root);
  g_clear_pointer (&tmp_root, g_free);
}

char *
golden (const char *name)
{
  return g_build_filename (golden_dir, name, NULL);
}

Result
run_cli_env (const char *const *args, char **envp)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (char *) cli);
  for (int i = 0; args[i]; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  Result r = { 0 };
  g_autoptr (GError) error = NULL;
  int wait_status;
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, envp, G_SPAWN_STDOUT_TO_DEV_NULL,
                               NULL, NULL, NULL, &r.err, &wait_status, &error));
  r.status = g_spawn_check_wait_status (wait_status, NULL) ? 0 : 1;
  return r;
}

Result
run_cli (const char *const *args)
{
  return run_cli_env (args, NULL);
}

char *
fresh_dir (const char *name)
{
  char *d = g_build_filename (tmp_root, name, NULL);
  g_assert_cmpint (g_mkdir_with_parents (d, 0755), ==, 0);
  return d;
}

guint
dir_count (const char *path)
{
  g_autoptr (GDir) d = g_dir_open (path, 0, NULL);
  guint n = 0;
  if (d)
    while (g_dir_read_name (d))
      n++;
  return n;
}

char *
write_file (const char *dir, const char *name, const void *data, gsize n)
{
  char *p = g_build_filename (dir, name, NULL);
  g_assert_true (g_file_set_contents (p, data, n, NULL));
  return p;
}

char *
checksum (const char *path)
{
  g_autofree char *data = NULL;
  gsize n = 0;
  if (!g_file_get_contents (path, &data, &n, NULL))
    return g_strdup ("missing");
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) data, n);
}

void
expect_failure (const char *const *args, const char *must_name, const char *out_dir,
                const char *const *inputs)
{
  g_autoptr (GPtrArray) sums = g_ptr_array_new_with_free_func (g_free);
  for (int i = 0; inputs[i]; i++)
    g_ptr_array_add (sums, checksum (inputs[i]));
  Result r = run_cli (args);
  g_test_message ("stderr: %s", r.err);
  g_print ("# error line: %s", r.err);
  g_assert_cmpint (r.status, !=, 0);
  g_assert_nonnull (strstr (r.err, must_name));
  g_assert_true (g_str_has_prefix (r.err, "vk-adain: "));
  g_assert_cmpint (strchr (r.err, '\n') - r.err + 1, ==, (int) strlen (r.err)); /* one line */
  if (out_dir)
    g_assert_cmpuint (dir_count (out_dir), ==, 0);
  for (int i = 0; inputs[i]; i++)
    {
      g_autofree char *now = checksum (inputs[i]);
      g_assert_cmpstr (now, ==, sums->pdata[i]);
    }
  g_free (r.err);
}

void
copy_file (const char *from, const char *to)
{
  g_autofree char *data = NULL;
  gsize n;
  g_assert_true (g_file_get_contents (from, &data, &n, NULL));
  g_assert_true (g_file_set_contents (to, data, n, NULL));
}

/* A copy of the JPEG `from` with an EXIF APP1 segment carrying orientation. */
char *
with_orientation (const char *from, const char *dir, int orientation)
{
  g_autofree char *jpeg = NULL;
  gsize n = 0;
  g_assert_true (g_file_get_contents (from, &jpeg, &n, NULL));
  g_assert_true (n > 2 && (guint8) jpeg[0] == 0xFF && (guint8) jpeg[1] == 0xD8);
  /* "Exif\0\0", a big-endian TIFF header, one IFD entry: 0x0112 SHORT 1 */
  const guint8 app1[] = {
    0xFF, 0xE1, 0x00, 0x22, 'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0x00, 0x2A,
    0x00, 0x00, 0x00, 0x08, 0x00, 0x01, 0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01,
    0x00, (guint8) orientation, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  };
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_byte_array_append (out, (const guint8 *) jpeg, 2);
  g_byte_array_append (out, app1, sizeof app1);
  g_byte_array_append (out, (const guint8 *) jpeg + 2, n - 2);
  g_autofree char *name = g_strdup_printf ("o%d.jpg", orientation);
  return write_file (dir, name, out->data, out->len);
}
