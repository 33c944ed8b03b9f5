/* vk-adain-gimp2.c — the GIMP 2.10 front-end (libgimp-2.0).
 *
 * plug-in-vk-adain (run-mode, image, drawable, style-file, strength,
 * color-mode, style-size, content-size): the PDB arguments, the last values
 * and the dialog come from the table in plugin/common/vka-plugin-params.c.
 * The last values also keep the dialog's device, memory limit and model
 * folder (not PDB arguments: a non-interactive run picks the device, the
 * memory budget and the model as the CLI does, from $VK_ADAIN_DEVICE, the
 * device's free memory and the model search; a new argument would break
 * the positional calls of existing scripts).
 * Pixels: the selection's bounds are read from the drawable, stylised by
 * plugin/common, written to the shadow buffer and merged with one undo
 * step; GIMP applies the selection (with its feathering) while merging. On
 * any failure nothing is merged, so the image is untouched, and the
 * procedure returns GIMP_PDB_EXECUTION_ERROR with the message as a second
 * return value. GTK is touched only in interactive runs.
 */
#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>
#include <string.h>

#include "vka-plugin.h"
#include "vka-plugin-i18n.h"
#include "vka-plugin-dialog2.h"

/* The 2.10 arguments, in the order after run-mode, image, drawable. */
static const VkaParamId gimp2_params[] = {
  VKA_PARAM_STYLE_FILE, VKA_PARAM_STRENGTH, VKA_PARAM_COLOR_MODE,
  VKA_PARAM_STYLE_SIZE, VKA_PARAM_CONTENT_SIZE,
};
#define N_FIXED_ARGS 3
#define N_ARGS       (N_FIXED_ARGS + (int) G_N_ELEMENTS (gimp2_params))

static void query (void);
static void run   (const gchar *name, gint nparams, const GimpParam *param,
                   gint *nreturn_vals, GimpParam **return_vals);

const GimpPlugInInfo PLUG_IN_INFO = { NULL, NULL, query, run };

MAIN ()

static GimpPDBArgType
pdb_type (VkaParamType type)
{
  switch (type)
    {
    case VKA_PARAM_TYPE_FILE:
    case VKA_PARAM_TYPE_STRING: return GIMP_PDB_STRING;
    case VKA_PARAM_TYPE_DOUBLE: return GIMP_PDB_FLOAT;
    case VKA_PARAM_TYPE_INT:    return GIMP_PDB_INT32;
    }
  return GIMP_PDB_INT32;
}

/* The catalogs installed next to the plug-in (plug-ins/vk-adain/locale/,
 * where GIMP 3 looks too), found from the plug-in's own path so that a
 * moved or DESTDIR install still finds them; else the configured folder. */
static const char *
locale_dir (void)
{
  static char *dir;
  if (!dir)
    {
      g_autofree char *self = g_path_get_dirname (gimp_get_progname ());
      dir = g_build_filename (self, "locale", NULL);
      if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
        {
          g_free (dir);
          dir = g_strdup (VKA_PLUGIN_LOCALEDIR);
        }
    }
  return dir;
}

static void
query (void)
{
  GimpParamDef args[N_ARGS] = {
    { GIMP_PDB_INT32,    (gchar *) "run-mode",
      (gchar *) "The run mode { RUN-INTERACTIVE (0), RUN-NONINTERACTIVE (1), "
                "RUN-WITH-LAST-VALS (2) }" },
    { GIMP_PDB_IMAGE,    (gchar *) "image",    (gchar *) "Input image" },
    { GIMP_PDB_DRAWABLE, (gchar *) "drawable", (gchar *) "Input drawable" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (gimp2_params); i++)
    {
      const VkaParam *p = &vka_params[gimp2_params[i]];
      args[N_FIXED_ARGS + i].type = pdb_type (p->type);
      args[N_FIXED_ARGS + i].name = (gchar *) p->name;
      /* PDB blurbs stay English, with the range and the default. */
      args[N_FIXED_ARGS + i].description = p->type == VKA_PARAM_TYPE_FILE
        ? g_strdup (p->blurb)
        : g_strdup_printf ("%s (%g..%g, default %g)", p->blurb, p->min, p->max, p->def);
    }

  gimp_install_procedure (VKA_PLUGIN_PROC, vka_proc_blurb, vka_proc_help,
                          vka_proc_author, vka_proc_author, vka_proc_date,
                          vka_proc_menu_label, "RGB*, GRAY*", GIMP_PLUGIN,
                          N_ARGS, 0, args, NULL);
  gimp_plugin_menu_register (VKA_PLUGIN_PROC, vka_proc_menu_path);
  gimp_plugin_domain_register (GETTEXT_PACKAGE, locale_dir ());
  g_autofree char *self = g_path_get_dirname (gimp_get_progname ());
  g_autofree char *help = g_build_filename (self, "help", NULL);
  g_autofree char *help_uri = g_filename_to_uri (help, NULL, NULL);
  if (help_uri)
    gimp_plugin_help_register (VKA_PLUGIN_HELP_DOMAIN, help_uri);
}

/* ---- Last values: a flat struct for gimp_get_data / gimp_set_data ---------- */

typedef struct
{
  gchar   style_file[4096];
  gdouble strength;
  gint    color_mode;
  gint    style_size;
  gint    content_size;
  gchar   device[256];
  gchar   model_dir[4096];
  guint64 memory_limit;
} LastValues;

static void
settings_from_last (VkaPluginSettings *s, const LastValues *v)
{
  g_free (s->style_file);
  s->style_file = g_strdup (v->style_file);
  s->strength = v->strength;
  s->color_mode = v->color_mode;
  s->style_size = v->style_size;
  s->content_size = v->content_size;
  g_free (s->device);
  s->device = g_strdup (v->device);
  g_free (s->model_dir);
  s->model_dir = g_strdup (v->model_dir);
  s->memory_limit = v->memory_limit;
}

static void
settings_to_last (const VkaPluginSettings *s, LastValues *v)
{
  memset (v, 0, sizeof *v);
  g_strlcpy (v->style_file, s->style_file ? s->style_file : "", sizeof v->style_file);
  v->strength = s->strength;
  v->color_mode = s->color_mode;
  v->style_size = s->style_size;
  v->content_size = s->content_size;
  g_strlcpy (v->device, s->device ? s->device : "", sizeof v->device);
  g_strlcpy (v->model_dir, s->model_dir ? s->model_dir : "", sizeof v->model_dir);
  v->memory_limit = s->memory_limit;
}

static gboolean
load_last_values (VkaPluginSettings *s)
{
  LastValues v;
  if (gimp_get_data_size (VKA_PLUGIN_PROC) != sizeof v)
    return FALSE;
  gimp_get_data (VKA_PLUGIN_PROC, &v);
  v.style_file[sizeof v.style_file - 1] = '\0';
  v.device[sizeof v.device - 1] = '\0';
  v.model_dir[sizeof v.model_dir - 1] = '\0';
  settings_from_last (s, &v);
  return TRUE;
}

static void
save_last_values (const VkaPluginSettings *s)
{
  LastValues v;
  settings_to_last (s, &v);
  gimp_set_data (VKA_PLUGIN_PROC, &v, sizeof v);
}

/* ---- The run ------------------------------------------------------------------ */

/* Called between tiles, where the core also checks the cancellable: a
 * cancelled run stops there, merges nothing and returns GIMP_PDB_CANCEL
 * (the tests fire it with VKA_PLUGIN_TEST_CANCEL_AFTER). GIMP's own Cancel
 * button (the progress bar's) tells a plug-in nothing: GIMP closes it, a
 * quit message (acted on by libgimp at the next PDB call, such as the
 * progress update below) and SIGKILL 10 ms later, wherever it is. Either
 * way the shadow buffer is never merged, so the image stays as it was. */
static void
progress_cb (double fraction, const char *text, gpointer data)
{
  if (text)
    gimp_progress_set_text (text);
  gimp_progress_update (fraction);
}

static gboolean
settings_from_args (VkaPluginSettings *s, gint nparams, const GimpParam *param,
                    GError **error)
{
  if (nparams != N_ARGS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("%s takes %d arguments, not %d"), VKA_PLUGIN_PROC, N_ARGS, nparams);
      return FALSE;
    }
  g_free (s->style_file);
  s->style_file = g_strdup (param[3].data.d_string ? param[3].data.d_string : "");
  s->strength = param[4].data.d_float;
  s->color_mode = param[5].data.d_int32;
  s->style_size = param[6].data.d_int32;
  s->content_size = param[7].data.d_int32;
  return vka_plugin_settings_check (s, error);
}

static gboolean
stylize_drawable (gint32 image_id, gint32 drawable_id, const VkaPluginSettings *s,
                  GError **error)
{
  gint x, y, w, h;
  if (!gimp_drawable_mask_intersect (drawable_id, &x, &y, &w, &h))
    return TRUE;   /* the selection does not touch this drawable */
  GeglRectangle rect = { x, y, w, h };
  GimpPrecision precision = gimp_image_get_precision (image_id);
  gboolean u8 = precision == GIMP_PRECISION_U8_LINEAR || precision == GIMP_PRECISION_U8_GAMMA;

  gimp_progress_init (_("Style transfer"));
  g_autoptr (VkaPluginEngine) engine = vka_plugin_engine_new (gimp_directory ());
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  GeglBuffer *src = gimp_drawable_get_buffer (drawable_id);
  GeglBuffer *dst = gimp_drawable_get_shadow_buffer (drawable_id);
  gboolean ok = vka_plugin_stylize_buffer (engine, s, src, dst, &rect,
                                           gimp_drawable_is_gray (drawable_id),
                                           gimp_drawable_has_alpha (drawable_id), u8,
                                           progress_cb, NULL, cancellable, error);
  g_object_unref (src);
  if (ok)
    {
      gegl_buffer_flush (dst);
      g_object_unref (dst);
      gimp_drawable_merge_shadow (drawable_id, TRUE);
      gimp_drawable_update (drawable_id, x, y, w, h);
    }
  else
    {
      g_object_unref (dst);
      gimp_drawable_free_shadow (drawable_id);
    }
  gimp_progress_end ();
  return ok;
}

static void
run (const gchar *name, gint nparams, const GimpParam *param, gint *nreturn_vals,
     GimpParam **return_vals)
{
  static GimpParam values[2];
  static gchar *message;
  GimpPDBStatusType status = GIMP_PDB_SUCCESS;
  g_autoptr (GError) error = NULL;

  bindtextdomain (GETTEXT_PACKAGE, locale_dir ());
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  gegl_init (NULL, NULL);

  *nreturn_vals = 1;
  *return_vals = values;
  values[0].type = GIMP_PDB_STATUS;

  GimpRunMode run_mode = param[0].data.d_int32;
  gint32 image_id = param[1].data.d_image;
  gint32 drawable_id = param[2].data.d_drawable;

  VkaPluginSettings s;
  vka_plugin_settings_init_defaults (&s);

  switch (run_mode)
    {
    case GIMP_RUN_INTERACTIVE:
      load_last_values (&s);
      /* A script that calls the dialog with a style gives its starting
       * values (the menu passes an empty string). */
      if (nparams == N_ARGS && param[3].data.d_string && param[3].data.d_string[0])
        {
          g_autoptr (GError) ignored = NULL;
          settings_from_args (&s, nparams, param, &ignored);
        }
      if (!vka_plugin_dialog2_run (&s, image_id, drawable_id))
        status = GIMP_PDB_CANCEL;
      break;
    case GIMP_RUN_NONINTERACTIVE:
      if (!settings_from_args (&s, nparams, param, &error))
        status = GIMP_PDB_CALLING_ERROR;
      break;
    case GIMP_RUN_WITH_LAST_VALS:
      if (!load_last_values (&s))
        g_set_error (&error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                     _("There are no last values yet: run the filter once from its "
                       "dialog"));
      else
        vka_plugin_settings_check (&s, &error);
      if (error)
        status = GIMP_PDB_CALLING_ERROR;
      break;
    }

  if (status == GIMP_PDB_SUCCESS)
    {
      if (stylize_drawable (image_id, drawable_id, &s, &error))
        {
          if (run_mode != GIMP_RUN_NONINTERACTIVE)
            gimp_displays_flush ();
          if (run_mode == GIMP_RUN_INTERACTIVE)
            save_last_values (&s);
        }
      else
        status = vka_plugin_error_is_cancel (error) ? GIMP_PDB_CANCEL
                                                    : GIMP_PDB_EXECUTION_ERROR;
    }

  values[0].data.d_status = status;
  if (error)
    {
      g_free (message);
      message = g_strdup (error->message);
      *nreturn_vals = 2;
      values[1].type = GIMP_PDB_STRING;
      values[1].data.d_string = message;
    }
  vka_plugin_settings_clear (&s);
}
