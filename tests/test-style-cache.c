/* test-style-cache.c — one style cache entry written by several processes
 * and threads at once while others read it: every read that finds the entry
 * gets a whole, valid style written by one of the writers, every write
 * succeeds, and no temporary file is left behind. This is what the tasks of
 * a job array sharing --style-cache do. No device is needed. */
#include "vka.h"
#include "net/stylize-private.h"
#include "test-files.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHANNELS   512        /* relu4_1 of the full VGG: a 4 KiB entry */
#define PROCESSES  4
#define THREADS    4
#define WRITES     40

/* Writer w's style: every mean w, every std w + 0.5. */
static VkaStyle *
writer_style (int w)
{
  float mean[CHANNELS], std[CHANNELS];
  for (int i = 0; i < CHANNELS; i++)
    {
      mean[i] = (float) w;
      std[i] = (float) w + 0.5f;
    }
  return vka_style_new (CHANNELS, mean, std);
}

/* The writer a style came from, or -1 when it is no writer's whole style. */
static int
writer_of (const VkaStyle *style)
{
  if (vka_style_channels (style) != CHANNELS)
    return -1;
  float w = vka_style_mean (style)[0];
  for (int i = 0; i < CHANNELS; i++)
    if (vka_style_mean (style)[i] != w || vka_style_std (style)[i] != w + 0.5f)
      return -1;
  return w >= 1 && w <= PROCESSES + THREADS && w == (int) w ? (int) w : -1;
}

static gboolean
write_many (const char *path, int w)
{
  g_autoptr (VkaStyle) style = writer_style (w);
  for (int i = 0; i < WRITES; i++)
    {
      g_autoptr (GError) error = NULL;
      if (!vka_style_cache_write (path, style, &error))
        {
          g_printerr ("writer %d: %s\n", w, error->message);
          return FALSE;
        }
    }
  return TRUE;
}

typedef struct
{
  const char *path;
  int         writer;          /* 0: a reader */
  gboolean    ok;
  guint       reads, found;
  volatile gint *writers_left;
} Worker;

static gpointer
work (gpointer data)
{
  Worker *k = data;
  if (k->writer)
    {
      k->ok = write_many (k->path, k->writer);
      g_atomic_int_dec_and_test (k->writers_left);
      return NULL;
    }
  k->ok = TRUE;
  do
    {
      k->reads++;
      g_autoptr (VkaStyle) style = vka_style_cache_read (k->path, CHANNELS);
      if (!style)
        continue;
      k->found++;
      if (writer_of (style) < 0)
        k->ok = FALSE;
    }
  while (g_atomic_int_get (k->writers_left) > 0);
  return NULL;
}

static void
test_concurrent_writers (void)
{
  g_autofree char *root = g_dir_make_tmp ("vk-adain-style-cache-XXXXXX", NULL);
  g_assert_nonnull (root);
  /* the folder does not exist yet: the writers race to make it too */
  g_autofree char *path = g_build_filename (root, "shared", "entry.safetensors", NULL);
  volatile gint writers_left = PROCESSES + THREADS;

  pid_t pids[PROCESSES];
  for (int p = 0; p < PROCESSES; p++)
    {
      pids[p] = fork ();
      g_assert_cmpint (pids[p], >=, 0);
      if (pids[p] == 0)
        _exit (write_many (path, 1 + p) ? 0 : 1);
    }
  Worker workers[THREADS * 2];
  GThread *threads[THREADS * 2];
  for (int t = 0; t < THREADS * 2; t++)
    {
      workers[t] = (Worker) { path, t < THREADS ? 1 + PROCESSES + t : 0, FALSE, 0, 0,
                              &writers_left };
      threads[t] = g_thread_new ("cache", work, &workers[t]);
    }
  for (int p = 0; p < PROCESSES; p++)
    {
      int status;
      g_assert_cmpint (waitpid (pids[p], &status, 0), ==, pids[p]);
      g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
      g_atomic_int_dec_and_test (&writers_left);
    }
  guint reads = 0, found = 0;
  for (int t = 0; t < THREADS * 2; t++)
    {
      g_thread_join (threads[t]);
      g_assert_true (workers[t].ok);
      reads += workers[t].reads;
      found += workers[t].found;
    }
  g_test_message ("%u reads during the writes, %u found the entry, all whole", reads, found);
  g_assert_cmpuint (found, >, 0);

  g_autoptr (VkaStyle) last = vka_style_cache_read (path, CHANNELS);
  g_assert_nonnull (last);
  g_assert_cmpint (writer_of (last), >, 0);
  /* the entry alone: no temporary file left over */
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  g_assert_nonnull (d);
  g_assert_cmpstr (g_dir_read_name (d), ==, "entry.safetensors");
  g_assert_null (g_dir_read_name (d));
  g_assert_true (test_rm_rf (root));
}

/* A damaged entry (a torn write of another program, or a truncated copy)
 * reads as missing, and the next write replaces it. */
static void
test_damaged_entry (void)
{
  g_autofree char *root = g_dir_make_tmp ("vk-adain-style-cache-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (root, "entry.safetensors", NULL);
  g_autoptr (VkaStyle) style = writer_style (3);
  g_autoptr (GError) error = NULL;
  g_assert_true (vka_style_cache_write (path, style, &error));
  g_autofree char *data = NULL;
  gsize n;
  g_assert_true (g_file_get_contents (path, &data, &n, NULL));
  g_assert_true (g_file_set_contents (path, data, n / 2, NULL));
  g_assert_null (vka_style_cache_read (path, CHANNELS));
  g_assert_true (vka_style_cache_write (path, style, &error));
  g_autoptr (VkaStyle) back = vka_style_cache_read (path, CHANNELS);
  g_assert_nonnull (back);
  g_assert_cmpint (writer_of (back), ==, 3);
  g_assert_null (vka_style_cache_read (path, CHANNELS / 2));   /* another model's width */
  g_assert_true (test_rm_rf (root));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/style-cache/concurrent-writers", test_concurrent_writers);
  g_test_add_func ("/style-cache/damaged-entry", test_damaged_entry);
  return g_test_run ();
}
