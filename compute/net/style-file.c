/* style-file.c — a style saved as a file: its relu4_1 channel statistics as
 * a safetensors file with two 1-D tensors, "relu4_1.mean" and "relu4_1.std". */
#include "vka.h"

#include <stdio.h>
#include <glib/gstdio.h>
#include <sys/stat.h>

#define STATS_MEAN "relu4_1.mean"
#define STATS_STD  "relu4_1.std"

gboolean
vka_style_file_probe (const char *path)
{
  guint8 head[9];
  struct stat st;
  FILE *f = g_fopen (path, "rb");
  if (!f)
    return FALSE;
  gboolean yes = fstat (fileno (f), &st) == 0 && fread (head, 1, 9, f) == 9
                 && vka_weights_head_is_safetensors (head, (guint64) st.st_size);
  fclose (f);
  return yes;
}

VkaStyle *
vka_style_load (const char *path, GError **error)
{
  g_autoptr (VkaWeights) w = vka_weights_load (path, NULL, error);
  if (!w)
    return NULL;
  const VkaTensorData *mean = vka_weights_get (w, STATS_MEAN);
  const VkaTensorData *std = vka_weights_get (w, STATS_STD);
  if (!mean || !std || mean->ndim != 1 || std->ndim != 1
      || mean->shape[0] != std->shape[0] || mean->shape[0] < 1)
    {
      g_autofree char *disp = g_filename_display_name (path);
      g_set_error (error, VKA_ERROR, VKA_ERROR_FILE_FORMAT,
                   "%s is not a style statistics file (needs 1-D tensors \"%s\" and "
                   "\"%s\" of equal length)", disp, STATS_MEAN, STATS_STD);
      return NULL;
    }
  return vka_style_new ((int) mean->shape[0], mean->data, std->data);
}

gboolean
vka_style_save (const VkaStyle *style, const char *path, GError **error)
{
  int c = vka_style_channels (style);
  gint64 shape[1] = { c };
  g_autoptr (VkaWeights) w = vka_weights_new ();
  return vka_weights_insert (w, STATS_MEAN, 1, shape,
                             g_memdup2 (vka_style_mean (style), sizeof (float) * c), error)
      && vka_weights_insert (w, STATS_STD, 1, shape,
                             g_memdup2 (vka_style_std (style), sizeof (float) * c), error)
      && vka_weights_save_safetensors (w, path, error);
}
