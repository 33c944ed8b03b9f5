/* vka-params.h — the parameters of a stylisation, described once.
 *
 * Every front-end reads this table: the CLI (its long options, help,
 * defaults and range checks), both GIMP front-ends (procedure arguments,
 * last values, dialog widgets), the GEGL operation (its properties) and the
 * checks in compute/. Labels and blurbs are marked N_() in the gettext
 * domain "vk-adain": front-ends that translate call g_dgettext on them.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  VKA_PARAM_STYLE_FILE,    /* string (GIMP 2.10, GEGL, CLI) / GFile (GIMP 3.0) */
  VKA_PARAM_STRENGTH,      /* double */
  VKA_PARAM_COLOR_MODE,    /* int: VkaColorMode */
  VKA_PARAM_STYLE_SIZE,    /* int, 0 = original */
  VKA_PARAM_CONTENT_SIZE,  /* int, 0 = original */
  VKA_PARAM_STYLE_FILE_2,  /* optional second style (GIMP 3, GEGL) */
  VKA_PARAM_STYLE_BLEND,   /* 0 = first style, 1 = second (GIMP 3, GEGL) */
  VKA_PARAM_MEMORY_LIMIT,  /* int, MiB, 0 = vka_model_default_memory_limit */
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
  const char  *name;      /* GIMP argument, GEGL property (with '_'), CLI option */
  const char  *label;     /* N_(), with a mnemonic '_' */
  const char  *blurb;     /* N_() */
  VkaParamType type;
  double       min, max, def;   /* hard limits and default */
  double       ui_max;          /* the end of sliders where max is far */
  double       step, page;      /* for sliders and spin buttons */
  int          digits;
} VkaParam;

extern const VkaParam vka_params[VKA_N_PARAMS];

/* The least memory limit other than 0 (automatic), in MiB: what one tile of
 * a stylisation needs at least. */
#define VKA_MEMORY_LIMIT_MIN_MIB 64

/* The CLI resizes contents to a 512-pixel shorter side unless told, as the
 * reference's test script does, so that its outputs compare with the
 * reference's; editors keep the picture's own size (the table's 0). */
#define VKA_CONTENT_SIZE_BATCH_DEFAULT 512

/* Colour modes (the values of color-mode, VkaColorMode): short names, as
 * the GEGL operation's enum and the CLI take them, and labels (N_()). */
#define VKA_N_COLOR_MODES 3
extern const char *const vka_color_mode_names[VKA_N_COLOR_MODES];
extern const char *const vka_color_mode_labels[VKA_N_COLOR_MODES];

/* The label without its mnemonic, untranslated; the string lives for ever. */
const char *vka_param_plain_label (VkaParamId id);

/* TRUE when value is within the parameter's range; otherwise an error
 * "NAME is VALUE, but must be between MIN and MAX" (translated in the
 * domain vk-adain where the program has bound it). option_prefix goes
 * before the name ("--" for the CLI, "" elsewhere). */
gboolean vka_param_check (VkaParamId id, double value, const char *option_prefix,
                          GError **error);
/* A memory limit in bytes: 0 (automatic) or at least
 * VKA_MEMORY_LIMIT_MIN_MIB and at most the table's maximum. */
gboolean vka_param_check_memory_limit (guint64 bytes, const char *option_prefix,
                                       GError **error);

G_END_DECLS
