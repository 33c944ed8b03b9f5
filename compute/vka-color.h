/* vka-color.h — colour preservation on the host, two methods.
 *
 * CORAL (vka_color_coral): the reference's way. The content's colour
 * statistics are transferred onto the style image before the style is
 * encoded, so the stylised result takes the content's colours.
 *
 * Luminance only (vka_color_luminance): stylise as usual, then keep the
 * output's luma and the content's chroma (BT.601 luma). Keeps the content's
 * colours exactly; the style contributes texture and light only.
 */
#pragma once

#include "vka.h"

G_BEGIN_DECLS

typedef enum
{
  VKA_COLOR_NONE,
  VKA_COLOR_CORAL,
  VKA_COLOR_LUMINANCE,
} VkaColorMode;

/* The reference's coral(source = style, target = content), on RGB (gray is
 * replicated, alpha ignored). Returns a new 3-channel image of the style's
 * size; values are not clamped (the reference feeds them to the encoder
 * as they are). See image/color.c for the formula and its quirk. */
VkaImage *vka_color_coral (const VkaImage *style, const VkaImage *content, GError **error);
/* The same with the content read by regions (in strips of rows). */
VkaImage *vka_color_coral_source (const VkaImage *style, const VkaImageSource *content,
                                  GError **error);

/* In place on out (3 or 4 channels, content's size): each RGB value becomes
 * content + (Y(out) − Y(content)), Y = 0.299 R + 0.587 G + 0.114 B, then
 * clamped to [0,1]. Alpha is untouched. */
gboolean  vka_color_luminance (VkaImage *out, const VkaImage *content, GError **error);
/* The same on n pixels of out (RGB first) and content (1 to 4 channels). */
void      vka_color_luminance_pixels (float *out, int out_channels, const float *content,
                                      int content_channels, gsize n);

/* A sink that applies vka_color_luminance to each region before inner
 * takes it; state holds what it needs and must outlive it. */
typedef struct
{
  VkaImageSink          inner;
  const VkaImageSource *content;
} VkaLuminanceSink;

void      vka_color_luminance_sink (VkaLuminanceSink *state, const VkaImageSink *inner,
                                    const VkaImageSource *content, VkaImageSink *sink);

G_END_DECLS
