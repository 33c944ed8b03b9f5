/* jobs.c — vk-adain's job list: the pictures of a folder, and the part of
 * the list that one task takes (--shard).
 *
 * The job list is the styles (or the one mix) in their order, each with
 * every content picture in its order; folders are listed sorted by name, so
 * every task of an array sees the same list. Part I of N is the I-th of N
 * contiguous blocks: a task meets few styles, so encodes few of them. */
#include "jobs.h"
#include "vka.h"
#include "vka-imageio.h"

#include <stdlib.h>
#include <string.h>

static gboolean
bad (GError **error, const char *option, const char *text, const char *problem)
{
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s '%s': %s", option, text,
               problem);
  return FALSE;
}

/* A decimal number without sign or spaces. */
static gboolean
parse_number (const char *text, guint64 *out)
{
  return text && g_ascii_isdigit (text[0])
      && g_ascii_string_to_unsigned (text, 10, 0, G_MAXINT32, out, NULL);
}

static gboolean
slurm_number (const char *option, const char *name, gboolean needed, guint64 *out,
              GError **error)
{
  const char *value = g_getenv (name);
  if (!value && !needed)
    return TRUE;
  if (!value)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "%s slurm: %s is not set (is this a task of an sbatch --array job?)",
                   option, name);
      return FALSE;
    }
  if (parse_number (value, out))
    return TRUE;
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               "%s slurm: %s='%s' is not a number", option, name, value);
  return FALSE;
}

static gboolean
parse_slurm (const char *option, CliShard *shard, GError **error)
{
  guint64 id, min, count, step = 1, max = G_MAXUINT64;
  if (!slurm_number (option, "SLURM_ARRAY_TASK_ID", TRUE, &id, error)
      || !slurm_number (option, "SLURM_ARRAY_TASK_MIN", TRUE, &min, error)
      || !slurm_number (option, "SLURM_ARRAY_TASK_COUNT", TRUE, &count, error)
      || !slurm_number (option, "SLURM_ARRAY_TASK_STEP", FALSE, &step, error)
      || !slurm_number (option, "SLURM_ARRAY_TASK_MAX", FALSE, &max, error))
    return FALSE;
  if (count < 1 || step != 1 || (max != G_MAXUINT64 && max - min + 1 != count))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "%s slurm: the array must be one range with step 1 (such as "
                   "--array=1-8), so that its tasks are parts 1 to N", option);
      return FALSE;
    }
  if (id < min || id - min >= count)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "%s slurm: SLURM_ARRAY_TASK_ID %" G_GUINT64_FORMAT " is outside the "
                   "array's %" G_GUINT64_FORMAT " tasks from %" G_GUINT64_FORMAT,
                   option, id, count, min);
      return FALSE;
    }
  shard->index = id - min + 1;
  shard->count = count;
  return TRUE;
}

gboolean
cli_shard_parse (const char *option, const char *text, CliShard *shard, GError **error)
{
  if (strcmp (text, "slurm") == 0)
    return parse_slurm (option, shard, error);
  g_auto (GStrv) parts = g_strsplit (text, "/", -1);
  guint64 index, count;
  if (g_strv_length (parts) != 2 || !parse_number (parts[0], &index)
      || !parse_number (parts[1], &count))
    return bad (error, option, text, "expected I/N (part I of N, such as 2/8) or slurm");
  if (count < 1)
    return bad (error, option, text, "the number of parts N must be at least 1");
  if (index < 1 || index > count)
    return bad (error, option, text, "the part I of I/N must be from 1 to N");
  shard->index = index;
  shard->count = count;
  return TRUE;
}

void
cli_shard_range (const CliShard *shard, guint64 total, guint64 *first, guint64 *end)
{
  /* the first total % count blocks are one job longer */
  guint64 q = total / shard->count, r = total % shard->count, i = shard->index - 1;
  *first = i * q + MIN (i, r);
  *end = *first + q + (i < r ? 1 : 0);
}

/* A picture, or a statistics file (--save-style). */
static gboolean
has_image_extension (const char *name)
{
  const char *dot = strrchr (name, '.');
  return vka_picture_name_known (name)
      || (dot && name[0] != '.' && g_ascii_strcasecmp (dot, ".safetensors") == 0);
}

static gint
compare_strings (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* A file, or the image files of a folder (sorted, not recursive). */
gboolean
cli_collect_images (const char *path, const char *what, GPtrArray *out, GError **error)
{
  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_ptr_array_add (out, g_strdup (path));
      return TRUE;
    }
  g_autoptr (GDir) dir = g_dir_open (path, 0, error);
  if (!dir)
    return FALSE;
  guint before = out->len;
  const char *name;
  while ((name = g_dir_read_name (dir)))
    {
      char *full = g_build_filename (path, name, NULL);
      if (has_image_extension (name) && g_file_test (full, G_FILE_TEST_IS_REGULAR))
        g_ptr_array_add (out, full);
      else
        g_free (full);
    }
  if (out->len == before)
    {
      g_autofree char *disp = g_filename_display_name (path);
      g_set_error (error, VKA_ERROR, VKA_ERROR_IO,
                   "the %s folder %s has no images (.png .jpg .tif .webp)", what, disp);
      return FALSE;
    }
  qsort (out->pdata + before, out->len - before, sizeof (gpointer), compare_strings);
  return TRUE;
}
