/* vka-gegl-op.c — vk-adain:style-transfer, AdaIN style transfer as a GEGL
 * operation: GIMP 3 applies it as a non-destructive filter (the GEGL
 * Operation tool, Gimp.DrawableFilter), and the gegl program runs it.
 *
 * A filter whose output depends on the whole input (the content's feature
 * statistics are the whole picture's): it asks for the whole input for any
 * output rectangle, renders it once and keeps the result in its cache, so
 * that panning and further tiles cost nothing. */
#include "vka.h"   /* the parameters' table (vka-params.h) */

#ifdef GEGL_PROPERTIES

/* Names and labels as vka_color_mode_names and vka_color_mode_labels:
 * GEGL's enum macros need literals. */
enum_start (vka_gegl_color_mode)
  enum_value (VKA_GEGL_COLOR_STYLE, "style", "Style colors")
  enum_value (VKA_GEGL_COLOR_CORAL, "coral", "Layer colors (color transfer)")
  enum_value (VKA_GEGL_COLOR_LUMINANCE, "luminance", "Layer colors (lightness only)")
enum_end (VkaGeglColorMode)

#define LABEL(id)  vka_param_plain_label (id)
#define BLURB(id)  vka_params[id].blurb
#define RANGE(id)  value_range (vka_params[id].min, vka_params[id].max) \
                   ui_range (vka_params[id].min, vka_params[id].ui_max)

/* Paths as plain strings: libgimp 3.0 cannot pass GeglParamFilePath to a
 * script's Gimp.DrawableFilter config (it drops the whole config). */
property_string (style_file, LABEL (VKA_PARAM_STYLE_FILE), "")
  description (BLURB (VKA_PARAM_STYLE_FILE))

property_double (strength, LABEL (VKA_PARAM_STRENGTH), vka_params[VKA_PARAM_STRENGTH].def)
  description (BLURB (VKA_PARAM_STRENGTH))
  RANGE (VKA_PARAM_STRENGTH)

property_enum (color_mode, LABEL (VKA_PARAM_COLOR_MODE), VkaGeglColorMode,
               vka_gegl_color_mode, VKA_GEGL_COLOR_STYLE)
  description (BLURB (VKA_PARAM_COLOR_MODE))

property_int (style_size, LABEL (VKA_PARAM_STYLE_SIZE), vka_params[VKA_PARAM_STYLE_SIZE].def)
  description (BLURB (VKA_PARAM_STYLE_SIZE))
  RANGE (VKA_PARAM_STYLE_SIZE)
  ui_meta ("unit", "pixel-distance")

property_int (content_size, LABEL (VKA_PARAM_CONTENT_SIZE),
              vka_params[VKA_PARAM_CONTENT_SIZE].def)
  description (BLURB (VKA_PARAM_CONTENT_SIZE))
  RANGE (VKA_PARAM_CONTENT_SIZE)
  ui_meta ("unit", "pixel-distance")

property_string (style_file_2, LABEL (VKA_PARAM_STYLE_FILE_2), "")
  description (BLURB (VKA_PARAM_STYLE_FILE_2))

property_double (style_blend, LABEL (VKA_PARAM_STYLE_BLEND),
                 vka_params[VKA_PARAM_STYLE_BLEND].def)
  description (BLURB (VKA_PARAM_STYLE_BLEND))
  RANGE (VKA_PARAM_STYLE_BLEND)

/* Values from 1 to 63 are taken as 64 (the least), as a property cannot
 * have a hole in its range. */
property_int (memory_limit, LABEL (VKA_PARAM_MEMORY_LIMIT),
              vka_params[VKA_PARAM_MEMORY_LIMIT].def)
  description (BLURB (VKA_PARAM_MEMORY_LIMIT))
  RANGE (VKA_PARAM_MEMORY_LIMIT)

#else

#define GEGL_OP_FILTER
#define GEGL_OP_NAME     vka_style_transfer
#define GEGL_OP_C_SOURCE vka-gegl-op.c

#include <glib/gi18n-lib.h>   /* gegl-op.h translates enum names */
#include "gegl-op.h"

#include "vka-gegl-run.h"

static const char *const work_format = "R'G'B'A float";

static void
prepare (GeglOperation *operation)
{
  const Babl *format = babl_format (work_format);
  gegl_operation_set_format (operation, "input", format);
  gegl_operation_set_format (operation, "output", format);
}

/* The whole input, for any part of the output (an infinite input, which
 * cannot be stylised, is passed through as asked). */
static GeglRectangle
whole_input (GeglOperation *operation, const GeglRectangle *fallback)
{
  const GeglRectangle *in = gegl_operation_source_get_bounding_box (operation, "input");
  if (!in || gegl_rectangle_is_infinite_plane (in))
    return *fallback;
  return *in;
}

static GeglRectangle
get_required_for_output (GeglOperation *operation, const gchar *input_pad,
                         const GeglRectangle *roi)
{
  return whole_input (operation, roi);
}

static GeglRectangle
get_cached_region (GeglOperation *operation, const GeglRectangle *roi)
{
  return whole_input (operation, roi);
}

static GeglRectangle
get_invalidated_by_change (GeglOperation *operation, const gchar *input_pad,
                           const GeglRectangle *input_region)
{
  return whole_input (operation, input_region);
}

typedef struct
{
  GeglOperation *operation;
  double         last;
} Progress;

static void
report_progress (double fraction, const char *text, gpointer data)
{
  Progress *p = data;
  /* GIMP starts its progress bar on 0.0 and ends it on 1.0; the steps
   * between need not be fine. */
  if (fraction > 0.0 && fraction < 1.0 && fraction - p->last < 0.01)
    return;
  p->last = fraction;
  gegl_operation_progress (p->operation, fraction, (gchar *) (text ? text : ""));
}

static gboolean
input_is_8bit (GeglOperation *operation)
{
  const Babl *format = gegl_operation_get_source_format (operation, "input");
  return format && babl_format_get_type (format, 0) == babl_type ("u8");
}

static gboolean
process (GeglOperation *operation, GeglBuffer *input, GeglBuffer *output,
         const GeglRectangle *result, gint level)
{
  GeglProperties *o = GEGL_PROPERTIES (operation);
  GeglRectangle rect = whole_input (operation, result);
  if (gegl_rectangle_is_infinite_plane (&rect) || rect.width <= 0 || rect.height <= 0)
    {
      gegl_buffer_copy (input, result, GEGL_ABYSS_NONE, output, result);
      return TRUE;
    }
  VkaPluginSettings s;
  vka_plugin_settings_init_defaults (&s);
  s.style_file = o->style_file;
  s.style_file_2 = o->style_file_2;
  s.strength = o->strength;
  s.color_mode = (int) o->color_mode;
  s.style_size = o->style_size;
  s.content_size = o->content_size;
  s.style_blend = o->style_blend;
  /* 0: the library's default budget, measured from the memory free when
   * the render starts, so it leaves room for what the host holds already.
   * A slider has no gap between 0 and the least budget: below it counts
   * as the least. */
  if (o->memory_limit > 0)
    s.memory_limit = (guint64) MAX (o->memory_limit, VKA_MEMORY_LIMIT_MIN_MIB) << 20;
  Progress p = { operation, 0.0 };
  report_progress (0.0, "Style transfer", &p);
  vka_gegl_run (&s, input, output, &rect, input_is_8bit (operation), report_progress, &p);
  report_progress (1.0, NULL, &p);
  /* A failure has passed the input through and been reported: the graph
   * goes on. */
  return TRUE;
}

static void
gegl_op_class_init (GeglOpClass *klass)
{
  GeglOperationClass *operation_class = GEGL_OPERATION_CLASS (klass);
  GeglOperationFilterClass *filter_class = GEGL_OPERATION_FILTER_CLASS (klass);

  operation_class->prepare = prepare;
  operation_class->get_required_for_output = get_required_for_output;
  operation_class->get_cached_region = get_cached_region;
  operation_class->get_invalidated_by_change = get_invalidated_by_change;
  /* One render of the whole input: never split over threads. */
  operation_class->threaded = FALSE;
  operation_class->want_in_place = FALSE;
  filter_class->process = process;

  gegl_operation_class_set_keys (operation_class,
    "name", "vk-adain:style-transfer",
    "title", "Style Transfer (AdaIN)",
    "categories", "artistic",
    "reference-hash", "vk-adain-style-transfer-0",
    "description", "Paints the picture in the style of another (AdaIN, Huang and "
                   "Belongie 2017), on a Vulkan GPU or the CPU. The model is looked for "
                   "in $VK_ADAIN_MODELS, GIMP's profile (vk-adain/models), the user data "
                   "folder and the installed data folder.",
    NULL);
}

#endif
