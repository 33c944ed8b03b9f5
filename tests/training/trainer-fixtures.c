/* trainer-fixtures.c — see trainer-fixtures.h. */
#include "trainer-fixtures.h"
#include "vka.h"
#include "vka-imageio.h"

#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

char *
fixture_dir (const char *root, const char *name)
{
  char *d = g_build_filename (root, name, NULL);
  g_assert_cmpint (g_mkdir_with_parents (d, 0755), ==, 0);
  return d;
}

char *
fixture_path (const char *dir, const char *name)
{
  return g_build_filename (dir, name, NULL);
}

gboolean
fixture_exists (const char *dir, const char *name)
{
  g_autofree char *p = fixture_path (dir, name);
  return g_file_test (p, G_FILE_TEST_IS_REGULAR);
}

void
fixture_picture (const char *dir, const char *name, int w, int h, int seed, gboolean stripes)
{
  g_autoptr (GRand) r = g_rand_new_with_seed (seed);
  g_autoptr (VkaImage) im = vka_image_new (w, h, 3, NULL);
  double f[3], ph[3];
  for (int c = 0; c < 3; c++)
    {
      f[c] = g_rand_double_range (r, stripes ? 0.6 : 0.05, stripes ? 1.5 : 0.3);
      ph[c] = g_rand_double_range (r, 0, 6);
    }
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < 3; c++)
        im->pixels[((gsize) y * w + x) * 3 + c] =
          (float) (0.5 + 0.4 * sin ((stripes ? x + y : x * (c + 1) - y) * f[c] + ph[c]));
  g_autofree char *p = fixture_path (dir, name);
  g_autoptr (GError) error = NULL;
  g_assert_true (vka_image_save (im, p, &error));
  g_assert_no_error (error);
}

void
fixture_signal_after_three_rows (GPtrArray *argv, const char *save, int signo, gboolean quiet)
{
  GPid pid;
  g_autoptr (GError) error = NULL;
  GSpawnFlags flags = G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL
                      | (quiet ? G_SPAWN_STDERR_TO_DEV_NULL : 0);
  g_assert_true (g_spawn_async (NULL, (char **) argv->pdata, NULL, flags, NULL, NULL, &pid,
                                &error));
  g_assert_no_error (error);
  g_autofree char *csv = fixture_path (save, "train_log.csv");
  for (int i = 0; i < 2400; i++)
    {
      g_autofree char *text = NULL;
      if (g_file_get_contents (csv, &text, NULL, NULL) && strstr (text, "\n3,"))
        break;
      g_usleep (100000);
    }
  kill (pid, signo);
  int ws;
  g_assert_cmpint (waitpid (pid, &ws, 0), ==, pid);
  g_spawn_close_pid (pid);
  g_assert_true (WIFEXITED (ws));
  g_assert_cmpint (WEXITSTATUS (ws), ==, 0);
}
