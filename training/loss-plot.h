/* loss-plot.h — loss.svg: the training curves as a plain SVG (axes, ticks,
 * one polyline per series), drawn by the trainer itself. */
#pragma once

#include <glib.h>

typedef struct
{
  double iter, loss, content, style;   /* style: weighted, as it enters the loss */
} LossPoint;

/* Writes the plot of points (in iteration order) to path atomically. With
 * no points, an empty plot with its axes. */
gboolean loss_plot_write_svg (const char *path, const LossPoint *points, guint n,
                              GError **error);
