/* model-files.c — where the encoder and decoder files are looked for. */
#include "vka.h"

#ifndef VKA_DATADIR
#error "VKA_DATADIR must be defined by the build"
#endif

/* Preferred first: our own export, then the PyTorch and Torch7 originals. */
static const char *const extensions[] = { "safetensors", "pth", "t7" };

static char *
find_in (const char *dir, const char *stem)
{
  for (guint i = 0; i < G_N_ELEMENTS (extensions); i++)
    {
      g_autofree char *base = g_strdup_printf ("%s.%s", stem, extensions[i]);
      char *path = g_build_filename (dir, base, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        return path;
      g_free (path);
    }
  return NULL;
}

/* Adds dir (taken) unless it is already in the search (callers may have
 * put $VK_ADAIN_MODELS first themselves). */
static void
add_dir_once (GPtrArray *dirs, char *dir)
{
  for (guint i = 0; i < dirs->len; i++)
    if (g_str_equal (g_ptr_array_index (dirs, i), dir))
      {
        g_free (dir);
        return;
      }
  g_ptr_array_add (dirs, dir);
}

gboolean
vka_model_files_find (const char *const *extra_dirs, char **encoder_path,
                      char **decoder_path, GError **error)
{
  g_autoptr (GPtrArray) dirs = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; extra_dirs && extra_dirs[i]; i++)
    if (extra_dirs[i][0])
      add_dir_once (dirs, g_strdup (extra_dirs[i]));
  const char *env = g_getenv ("VK_ADAIN_MODELS");
  if (env && env[0])
    add_dir_once (dirs, g_strdup (env));
  add_dir_once (dirs, g_build_filename (g_get_user_data_dir (), "vk-adain", "models", NULL));
  add_dir_once (dirs, g_build_filename (VKA_DATADIR, "models", NULL));

  /* Each file is taken from the first folder that has it. */
  g_autofree char *encoder = NULL, *decoder = NULL;
  for (guint i = 0; i < dirs->len && (!encoder || !decoder); i++)
    {
      const char *dir = g_ptr_array_index (dirs, i);
      if (!encoder)
        encoder = find_in (dir, "vgg_normalised");
      if (!decoder)
        decoder = find_in (dir, "decoder");
    }

  if (!encoder || !decoder)
    {
      GString *msg = g_string_new (NULL);
      g_string_append_printf (msg, "model file%s not found: %s%s%s; searched:",
                              !encoder && !decoder ? "s" : "",
                              encoder ? "" : "vgg_normalised.{safetensors,pth,t7}",
                              !encoder && !decoder ? " and " : "",
                              decoder ? "" : "decoder.{safetensors,pth,t7}");
      for (guint i = 0; i < dirs->len; i++)
        {
          g_autofree char *shown = g_filename_display_name (g_ptr_array_index (dirs, i));
          g_string_append_printf (msg, "%s %s", i ? "," : "", shown);
        }
      g_string_append (msg, " (set VK_ADAIN_MODELS, or run "
                       "download-official-models.sh)");
      g_set_error_literal (error, VKA_ERROR, VKA_ERROR_MODEL, msg->str);
      g_string_free (msg, TRUE);
      return FALSE;
    }
  if (encoder_path)
    *encoder_path = g_steal_pointer (&encoder);
  if (decoder_path)
    *decoder_path = g_steal_pointer (&decoder);
  return TRUE;
}

gboolean
vka_model_files_find_for_program (const char *build_dir, const char *build_models_dir,
                                  char **encoder_path, char **decoder_path, GError **error)
{
  /* $VK_ADAIN_MODELS still goes first (vka_model_files_find leaves it out
   * of its own list then), so that the build tree's model does not hide it */
  const char *extra[3] = { NULL, NULL, NULL };
  int n = 0;
  const char *env = g_getenv ("VK_ADAIN_MODELS");
  if (env && env[0])
    extra[n++] = env;
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *self_dir = self ? g_path_get_dirname (self) : NULL;
  if (self_dir && g_strcmp0 (self_dir, build_dir) == 0)
    extra[n++] = build_models_dir;
  return vka_model_files_find (extra, encoder_path, decoder_path, error);
}
