/* loss-plot.c — see loss-plot.h. */
#include "loss-plot.h"
#include "vka.h"

#include <math.h>

enum { WIDTH = 800, HEIGHT = 480, LEFT = 70, RIGHT = 20, TOP = 30, BOTTOM = 50 };

/* A "nice" tick step for a range: 1, 2 or 5 times a power of ten. */
static double
tick_step (double range, int ticks)
{
  double raw = range / ticks;
  double p = pow (10, floor (log10 (raw)));
  double m = raw / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

static void
polyline (GString *svg, const LossPoint *pts, guint n, gsize offset, const char *colour,
          double x0, double x1, double y0, double y1)
{
  g_string_append_printf (svg, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" "
                          "points=\"", colour);
  for (guint i = 0; i < n; i++)
    {
      double v = *(const double *) ((const char *) &pts[i] + offset);
      double px = LEFT + (pts[i].iter - x0) / (x1 - x0) * (WIDTH - LEFT - RIGHT);
      double py = HEIGHT - BOTTOM - (v - y0) / (y1 - y0) * (HEIGHT - TOP - BOTTOM);
      if (isfinite (px) && isfinite (py))
        g_string_append_printf (svg, "%.1f,%.1f ", px, py);
    }
  g_string_append (svg, "\"/>\n");
}

gboolean
loss_plot_write_svg (const char *path, const LossPoint *pts, guint n, GError **error)
{
  double x0 = n ? pts[0].iter : 0, x1 = n ? pts[n - 1].iter : 1, y1 = 0;
  for (guint i = 0; i < n; i++)
    if (isfinite (pts[i].loss))
      y1 = MAX (y1, pts[i].loss);
  if (x1 <= x0)
    x1 = x0 + 1;
  if (y1 <= 0)
    y1 = 1;
  double ystep = tick_step (y1, 5), xstep = tick_step (x1 - x0, 8);
  y1 = ceil (y1 / ystep) * ystep;
  const double y0 = 0;

  g_autoptr (GString) svg = g_string_new (NULL);
  g_string_append_printf (svg,
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
    "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n"
    "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
    "<text x=\"%d\" y=\"18\" font-size=\"14\">vk-adain-train: loss</text>\n",
    WIDTH, HEIGHT, WIDTH, HEIGHT, LEFT);
  /* axes */
  g_string_append_printf (svg, "<path d=\"M%d %d V%d H%d\" stroke=\"black\" fill=\"none\"/>\n",
                          LEFT, TOP, HEIGHT - BOTTOM, WIDTH - RIGHT);
  for (double y = y0; y <= y1 + ystep / 2; y += ystep)
    {
      double py = HEIGHT - BOTTOM - (y - y0) / (y1 - y0) * (HEIGHT - TOP - BOTTOM);
      g_string_append_printf (svg, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
                              "stroke=\"#ddd\"/><text x=\"%d\" y=\"%.1f\" "
                              "text-anchor=\"end\">%g</text>\n",
                              LEFT, py, WIDTH - RIGHT, py, LEFT - 6, py + 4, y);
    }
  for (double x = ceil (x0 / xstep) * xstep; x <= x1 + xstep / 1e6; x += xstep)
    {
      double px = LEFT + (x - x0) / (x1 - x0) * (WIDTH - LEFT - RIGHT);
      g_string_append_printf (svg, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
                              "stroke=\"black\"/><text x=\"%.1f\" y=\"%d\" "
                              "text-anchor=\"middle\">%g</text>\n",
                              px, HEIGHT - BOTTOM, px, HEIGHT - BOTTOM + 5, px,
                              HEIGHT - BOTTOM + 20, x);
    }
  g_string_append_printf (svg, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">iteration"
                          "</text>\n", (LEFT + WIDTH - RIGHT) / 2, HEIGHT - 10);
  polyline (svg, pts, n, G_STRUCT_OFFSET (LossPoint, loss), "black", x0, x1, y0, y1);
  polyline (svg, pts, n, G_STRUCT_OFFSET (LossPoint, content), "#1f77b4", x0, x1, y0, y1);
  polyline (svg, pts, n, G_STRUCT_OFFSET (LossPoint, style), "#d62728", x0, x1, y0, y1);
  /* legend */
  static const char *const names[3] = { "loss", "content", "style × weight" };
  static const char *const colours[3] = { "black", "#1f77b4", "#d62728" };
  for (int i = 0; i < 3; i++)
    g_string_append_printf (svg, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
                            "stroke=\"%s\" stroke-width=\"2\"/><text x=\"%d\" y=\"%d\">%s"
                            "</text>\n", WIDTH - 180, TOP + 10 + 18 * i, WIDTH - 155,
                            TOP + 10 + 18 * i, colours[i], WIDTH - 148, TOP + 14 + 18 * i,
                            names[i]);
  g_string_append (svg, "</svg>\n");
  return vka_file_write_atomic (path, svg->str, svg->len, error);
}
