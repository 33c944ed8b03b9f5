/* vka-gegl-run.c — the process's engine for the GEGL operation, and the
 * pass-through on failure. */
#include "vka-gegl-run.h"
#include "vka-imageio.h"

/* One engine per process: loading a model and opening a device is the slow
 * part of a render, and a host renders again for every change. GEGL may
 * call the operation from several threads; renders take turns. */
static GMutex           engine_lock;
static VkaPluginEngine *engine;
static char            *last_warning;

char *
vka_gegl_profile_dir (void)
{
  const char *env = g_getenv ("GIMP3_DIRECTORY");
  char *dir = env && env[0] ? g_strdup (env)
                            : g_build_filename (g_get_user_config_dir (), "GIMP", "3.0", NULL);
  if (g_file_test (dir, G_FILE_TEST_IS_DIR))
    return dir;
  g_free (dir);
  return NULL;
}

/* Called with engine_lock held. */
static void
warn_once (const char *message)
{
  if (g_strcmp0 (message, last_warning) == 0)
    {
      g_debug ("%s (again)", message);
      return;
    }
  g_free (last_warning);
  last_warning = g_strdup (message);
  g_warning ("vk-adain:style-transfer: %s; the input is passed through unchanged", message);
}

static void
pass_through (GeglBuffer *input, GeglBuffer *output, const GeglRectangle *rect)
{
  gegl_buffer_copy (input, rect, GEGL_ABYSS_NONE, output, rect);
}

gboolean
vka_gegl_run (const VkaPluginSettings *settings, GeglBuffer *input, GeglBuffer *output,
              const GeglRectangle *rect, gboolean content_8bit, VkaPluginProgress progress,
              gpointer progress_data)
{
  if (!settings->style_file || !settings->style_file[0])
    {
      pass_through (input, output, rect);
      return FALSE;
    }
  g_mutex_lock (&engine_lock);
  if (!engine)
    {
      vka_imageio_gegl_from_host ();
      g_autofree char *profile = vka_gegl_profile_dir ();
      engine = vka_plugin_engine_new (profile);
    }
  g_autoptr (GError) error = NULL;
  gboolean ok = vka_plugin_stylize_buffer (engine, settings, input, output, rect, FALSE,
                                           TRUE, content_8bit, progress, progress_data,
                                           NULL, &error);
  if (ok)
    g_clear_pointer (&last_warning, g_free);
  else
    warn_once (error->message);
  g_mutex_unlock (&engine_lock);
  if (!ok)
    pass_through (input, output, rect);
  return ok;
}
