/* vka-plugin-params.h — the plug-in's procedure and its settings.
 *
 * Both front-ends (GIMP 2.10 and GIMP 3.0) build their PDB arguments, their
 * last-values storage and their dialog widgets from compute/'s parameter
 * table (vka-params.h: name, label and blurb marked N_() and translated
 * here with _(), the hard range and the default).
 */
#pragma once

#include "vka.h"

G_BEGIN_DECLS

#define VKA_PLUGIN_PROC   "plug-in-vk-adain"
#define VKA_PLUGIN_BINARY "vk-adain"
#define VKA_PLUGIN_ROLE   "vk-adain"
/* The help domain: help/<lang>/gimp-help.xml next to the plug-in maps
 * the procedure's help ID (its name) to our page. */
#define VKA_PLUGIN_HELP_DOMAIN "vk-adain-help"

/* Procedure texts (N_()). */
extern const char *const vka_proc_menu_label;   /* "Style Transfer (AdaIN)..." */
extern const char *const vka_proc_menu_path;    /* "<Image>/Filters/Artistic" */
extern const char *const vka_proc_blurb;
extern const char *const vka_proc_help;
extern const char *const vka_proc_author;
extern const char *const vka_proc_date;

/* The settings of one run, as both front-ends hold them. Strings are owned. */
typedef struct
{
  char  *style_file;
  char  *style_file_2;   /* NULL or "" for none */
  double strength;
  int    color_mode;
  int    style_size;
  int    content_size;
  double style_blend;
  char  *model_dir;      /* NULL or "": the usual search */
  char  *device;         /* NULL or "": automatic */
  /* Working-set budget of a stylisation in bytes (VkaStylizeOptions);
   * 0: the library's default for the device. */
  guint64 memory_limit;
  /* An open image's layer as the first style instead of style_file (the
   * dialog's choice; not remembered): its pixels as RGB, owned. */
  struct VkaStyleLayer *style_layer;
} VkaPluginSettings;

/* A layer's pixels used as a style, with a name for messages. */
typedef struct VkaStyleLayer
{
  char    *name;
  gboolean is_8bit;       /* resized with 8-bit arithmetic, as an 8-bit file */
  float   *pixels;        /* width × height RGB */
  int      width, height;
  guint    serial;        /* changes when the pixels change */
} VkaStyleLayer;

void     vka_style_layer_free (VkaStyleLayer *layer);

void     vka_plugin_settings_init_defaults (VkaPluginSettings *s);
void     vka_plugin_settings_clear (VkaPluginSettings *s);
/* FALSE with a message naming the argument and its range on a bad value,
 * or naming a style file that does not exist. */
gboolean vka_plugin_settings_check (const VkaPluginSettings *s, GError **error);

G_END_DECLS
