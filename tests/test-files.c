/* test-files.c — see test-files.h. */
#include "test-files.h"

#include <glib/gstdio.h>

gboolean
test_rm_rf (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_chmod (path, 0755);
      g_autoptr (GDir) d = g_dir_open (path, 0, NULL);
      const char *name;
      while (d && (name = g_dir_read_name (d)))
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          test_rm_rf (child);
        }
      g_clear_pointer (&d, g_dir_close);
      return g_rmdir (path) == 0;
    }
  return g_unlink (path) == 0;
}
