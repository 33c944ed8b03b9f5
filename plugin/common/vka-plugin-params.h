/* vka-plugin-params.h — the plug-in's procedure arguments, declared once.
 *
 * Both front-ends (GIMP 2.10 and GIMP 3.0) build their PDB arguments, their
 * last-values storage and their dialog widgets from this table: name (the
 * PDB/config property name), label and blurb (translatable, marked with N_()
 * and translated by the front-end with _()), the hard range and the default.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VKA_PLUGIN_PROC   "plug-in-vk-adain"
#define VKA_PLUGIN_BINARY "vk-adain"
#define VKA_PLUGIN_ROLE   "vk-adain"
/* The help domain: help/<lang>/gimp-help.xml next to the plug-in maps
 * the procedure's help ID (its name) to our page. */
#define VKA_PLUGIN_HELP_DOMAIN "vk-adain-help"

typedef enum
{
  VKA_PARAM_STYLE_FILE,    /* string (2.10) / GFile (3.0) */
  VKA_PARAM_STRENGTH,      /* double */
  VKA_PARAM_COLOR_MODE,    /* int: VkaColorMode */
  VKA_PARAM_STYLE_SIZE,    /* int, 0 = original */
  VKA_PARAM_CONTENT_SIZE,  /* int, 0 = original */
  VKA_PARAM_STYLE_FILE_2,  /* GIMP 3 only: optional second style */
  VKA_PARAM_STYLE_BLEND,   /* GIMP 3 only: 0 = first style, 1 = second */
  /* int, MiB, 0 = the library's default. A GIMP 3 argument; on 2.10 only a
   * setting of the dialog, kept with the last values (an argument more
   * would break the positional calls of existing scripts). */
  VKA_PARAM_MEMORY_LIMIT,
  /* Settings of the dialog, remembered with the last values (GIMP 3: aux
   * arguments of the config), not procedure arguments: */
  VKA_PARAM_DEVICE,        /* string: "" automatic, "cpu", or a device name */
  VKA_PARAM_MODEL_DIR,     /* string: "" the usual search, or a folder */
  VKA_N_PARAMS
} VkaParamId;

typedef enum
{
  VKA_PARAM_TYPE_FILE,
  VKA_PARAM_TYPE_DOUBLE,
  VKA_PARAM_TYPE_INT,
  VKA_PARAM_TYPE_STRING,
} VkaParamType;

typedef struct
{
  const char  *name;
  const char  *label;    /* N_() */
  const char  *blurb;    /* N_() */
  VkaParamType type;
  double       min, max, def;   /* hard limits and default */
  double       step, page;      /* for sliders and spin buttons */
  int          digits;
} VkaParam;

extern const VkaParam vka_params[VKA_N_PARAMS];

/* The least memory-limit other than 0 (automatic), in MiB: what one tile of
 * a stylisation needs at least, as the CLI's --memory-limit. */
#define VKA_MEMORY_LIMIT_MIN_MIB 64

/* Colour modes: the values of color-mode, with translatable names. */
#define VKA_N_COLOR_MODES 3
extern const char *const vka_color_mode_labels[VKA_N_COLOR_MODES];   /* N_() */

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
