/* checkpoint.c — see checkpoint.h. */
#include "checkpoint.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *
path_for (const char *dir, const char *stem, int iteration, const char *ext)
{
  g_autofree char *name = g_strdup_printf ("%s_iter_%d.%s", stem, iteration, ext);
  return g_build_filename (dir, name, NULL);
}

static void
maybe_fault (const char *point, int iteration)
{
  const char *fault = g_getenv ("VKA_TRAIN_FAULT");
  if (!fault)
    return;
  g_autofree char *want = g_strdup_printf ("%s:%d", point, iteration);
  if (strcmp (fault, want) == 0)
    raise (SIGKILL);
}

gboolean
checkpoint_save (const char *dir, VkaTrainer *trainer, const CheckpointInfo *info,
                 GError **error)
{
  int i = info->iteration;
  g_autoptr (VkaWeights) decoder = vka_trainer_decoder_weights (trainer, error);
  int iteration;
  g_autoptr (VkaWeights) state = decoder ? vka_trainer_get_state (trainer, &iteration, error)
                                         : NULL;
  if (!state)
    return FALSE;
  g_autofree char *pth = path_for (dir, "decoder", i, "pth");
  g_autofree char *st = path_for (dir, "decoder", i, "safetensors");
  g_autofree char *moments = path_for (dir, "resume", i, "safetensors");
  g_autofree char *ini = path_for (dir, "resume", i, "ini");
  if (!vka_weights_save_pth (decoder, pth, error))
    return FALSE;
  maybe_fault ("kill-after-pth", i);
  if (!vka_weights_save_safetensors (decoder, st, error)
      || !vka_weights_save_safetensors (state, moments, error))
    return FALSE;

  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_key_file_set_integer (kf, "checkpoint", "format-version", CHECKPOINT_FORMAT_VERSION);
  g_key_file_set_integer (kf, "checkpoint", "iteration", i);
  g_autofree char *dec_name = g_path_get_basename (st);
  g_autofree char *mom_name = g_path_get_basename (moments);
  g_key_file_set_string (kf, "checkpoint", "decoder", dec_name);
  g_key_file_set_string (kf, "checkpoint", "optimizer-state", mom_name);
  g_key_file_set_string (kf, "checkpoint", "optimizer", info->sgd ? "sgd" : "adam");
  g_key_file_set_uint64 (kf, "sampler", "seed", info->seed);
  g_key_file_set_int64 (kf, "sampler", "next-content-sample", (gint64) i * info->batch);
  g_key_file_set_int64 (kf, "sampler", "next-style-sample", (gint64) i * info->batch);
  g_key_file_set_integer (kf, "data", "batch-size", info->batch);
  g_key_file_set_integer (kf, "data", "resize", info->resize);
  g_key_file_set_integer (kf, "data", "crop-size", info->crop);
  gsize len;
  g_autofree char *text = g_key_file_to_data (kf, &len, NULL);
  return vka_file_write_atomic (ini, text, len, error);
}

/* The iterations of the resume_iter_*.ini files in dir, newest first. */
static GArray *
list_checkpoints (const char *dir)
{
  GArray *its = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name (d)))
    {
      int i;
      char tail[8];
      if (sscanf (name, "resume_iter_%d.%7s", &i, tail) == 2 && strcmp (tail, "ini") == 0
          && i >= 0)
        {
          g_autofree char *canon = g_strdup_printf ("resume_iter_%d.ini", i);
          if (strcmp (canon, name) == 0)
            g_array_append_val (its, i);
        }
    }
  for (guint a = 1; a < its->len; a++)   /* insertion sort, descending */
    for (guint b = a; b > 0 && g_array_index (its, int, b) > g_array_index (its, int, b - 1);
         b--)
      {
        int t = g_array_index (its, int, b);
        g_array_index (its, int, b) = g_array_index (its, int, b - 1);
        g_array_index (its, int, b - 1) = t;
      }
  return its;
}

static gboolean
load_one (const char *dir, int iteration, CheckpointInfo *info, VkaWeights **decoder,
          VkaWeights **state, GError **error)
{
  g_autofree char *ini = path_for (dir, "resume", iteration, "ini");
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autoptr (GError) e = NULL;
  if (!g_key_file_load_from_file (kf, ini, G_KEY_FILE_NONE, &e))
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_IO, "%s: %s", ini, e->message);
      return FALSE;
    }
  int version = g_key_file_get_integer (kf, "checkpoint", "format-version", &e);
  if (e || version != CHECKPOINT_FORMAT_VERSION)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_FILE_FORMAT,
                   "%s: format version %d, this vk-adain-train reads %d", ini, version,
                   CHECKPOINT_FORMAT_VERSION);
      return FALSE;
    }
  CheckpointInfo ci = { 0 };
  ci.iteration = g_key_file_get_integer (kf, "checkpoint", "iteration", &e);
  if (!e)
    ci.seed = g_key_file_get_uint64 (kf, "sampler", "seed", &e);
  if (!e)
    ci.batch = g_key_file_get_integer (kf, "data", "batch-size", &e);
  if (!e)
    ci.resize = g_key_file_get_integer (kf, "data", "resize", &e);
  if (!e)
    ci.crop = g_key_file_get_integer (kf, "data", "crop-size", &e);
  g_autofree char *opt = e ? NULL : g_key_file_get_string (kf, "checkpoint", "optimizer", &e);
  g_autofree char *dec_name = e ? NULL : g_key_file_get_string (kf, "checkpoint", "decoder",
                                                                &e);
  g_autofree char *mom_name = e ? NULL : g_key_file_get_string (kf, "checkpoint",
                                                                "optimizer-state", &e);
  if (e || ci.iteration != iteration || strchr (dec_name, '/') || strchr (mom_name, '/'))
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_FILE_FORMAT, "%s: %s", ini,
                   e ? e->message : "inconsistent entries");
      return FALSE;
    }
  ci.sgd = g_strcmp0 (opt, "sgd") == 0;
  g_autofree char *dec_path = g_build_filename (dir, dec_name, NULL);
  g_autofree char *mom_path = g_build_filename (dir, mom_name, NULL);
  g_autoptr (VkaWeights) dec = vka_weights_load (dec_path, NULL, error);
  g_autoptr (VkaWeights) mom = dec ? vka_weights_load (mom_path, NULL, error) : NULL;
  if (!mom)
    return FALSE;
  *info = ci;
  *decoder = g_steal_pointer (&dec);
  *state = g_steal_pointer (&mom);
  return TRUE;
}

gboolean
checkpoint_load_latest (const char *dir, CheckpointInfo *info, VkaWeights **decoder,
                        VkaWeights **state, gboolean *found, GError **error)
{
  g_autoptr (GArray) its = list_checkpoints (dir);
  *found = its->len > 0;
  if (!*found)
    return FALSE;
  return load_one (dir, g_array_index (its, int, 0), info, decoder, state, error);
}
