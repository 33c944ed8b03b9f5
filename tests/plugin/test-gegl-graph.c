/* test-gegl-graph.c — the GEGL operation vk-adain:style-transfer inside a
 * GEGL graph, as GIMP drives it: loaded from GEGL_PATH, asked for parts of
 * its output, watched through its node's progress signal.
 *   test-gegl-graph GOLDEN_DIR MODEL_DIR [--tap]
 * Needs GEGL_PATH naming the module's folder (and GEGL's own). */
#include <gegl.h>
#include <math.h>
#include <string.h>

#define OP "vk-adain:style-transfer"

static const char *golden_dir;

typedef struct
{
  int    calls;
  double first, last;
} Progress;

static void
on_progress (GeglNode *node, double fraction, Progress *p)
{
  if (p->calls++ == 0)
    p->first = fraction;
  p->last = fraction;
}

/* load -> OP (style.png, style size 48) -> buffer-sink */
typedef struct
{
  GeglNode   *graph, *op, *sink;
  GeglBuffer *out;
  Progress    progress;
} Graph;

static void
graph_make (Graph *g, const char *style)
{
  memset (g, 0, sizeof *g);
  g_autofree char *content = g_build_filename (golden_dir, "content.png", NULL);
  g->graph = gegl_node_new ();
  GeglNode *load = gegl_node_new_child (g->graph, "operation", "gegl:load", "path", content,
                                        NULL);
  g->op = gegl_node_new_child (g->graph, "operation", OP, "style-file", style,
                               "style-size", 48, NULL);
  g->sink = gegl_node_new_child (g->graph, "operation", "gegl:buffer-sink", "buffer", &g->out,
                                 NULL);
  gegl_node_link_many (load, g->op, g->sink, NULL);
  g_signal_connect (g->op, "progress", G_CALLBACK (on_progress), &g->progress);
}

static void
graph_free (Graph *g)
{
  g_clear_object (&g->out);
  g_clear_object (&g->graph);
}

static float *
read_rect (GeglNode *node, const GeglRectangle *rect)
{
  float *px = g_new (float, (gsize) rect->width * rect->height * 4);
  gegl_node_blit (node, 1.0, rect, babl_format ("R'G'B'A float"), px, GEGL_AUTO_ROWSTRIDE,
                  GEGL_BLIT_CACHE);
  return px;
}

static void
test_registered (void)
{
  g_assert_true (gegl_has_operation (OP));
  const char *categories = gegl_operation_get_key (OP, "categories");
  g_assert_nonnull (categories);
  g_assert_nonnull (strstr (categories, "artistic"));
}

/* A part of the output equals that part of the whole result: the operation
 * asks for the whole input (global statistics), not only the part's. And
 * once rendered, other parts come from the cache: no second render. */
static void
test_part_equals_whole (void)
{
  g_autofree char *style = g_build_filename (golden_dir, "style.png", NULL);
  Graph whole, part;
  graph_make (&whole, style);
  GeglRectangle box = gegl_node_get_bounding_box (whole.op);
  g_assert_cmpint (box.width, >, 16);
  g_autofree float *all = read_rect (whole.op, &box);
  g_assert_cmpint (whole.progress.calls, >=, 2);

  graph_make (&part, style);
  GeglRectangle r = { box.x + 9, box.y + 7, 12, 10 };
  g_autofree float *piece = read_rect (part.op, &r);
  int renders = part.progress.calls;
  double max_diff = 0;
  for (int y = 0; y < r.height; y++)
    for (int x = 0; x < r.width * 4; x++)
      {
        float a = piece[(gsize) y * r.width * 4 + x];
        float b = all[(gsize) (y + r.y - box.y) * box.width * 4 + (r.x - box.x) * 4 + x];
        max_diff = MAX (max_diff, fabs (a - b));
      }
  g_test_message ("part vs whole: max |diff| %g", max_diff);
  g_assert_cmpfloat (max_diff, <, 1e-6);

  /* Another part of the same graph: from the cache. */
  GeglRectangle r2 = { box.x, box.y + box.height - 5, 5, 5 };
  g_autofree float *piece2 = read_rect (part.op, &r2);
  g_assert_cmpint (part.progress.calls, ==, renders);
  graph_free (&whole);
  graph_free (&part);
}

/* Progress through the node's signal, from 0 to 1. */
static void
test_progress (void)
{
  g_autofree char *style = g_build_filename (golden_dir, "style.png", NULL);
  Graph g;
  graph_make (&g, style);
  gegl_node_process (g.sink);
  g_test_message ("progress: %d reports, %g .. %g", g.progress.calls, g.progress.first,
                  g.progress.last);
  g_assert_cmpint (g.progress.calls, >=, 3);
  g_assert_cmpfloat (g.progress.first, ==, 0.0);
  g_assert_cmpfloat (g.progress.last, ==, 1.0);
  g_assert_nonnull (g.out);
  graph_free (&g);
}

/* No style chosen yet (the operation's state when a user first picks it):
 * the input passes through, quietly. */
static void
test_no_style_passes_through (void)
{
  Graph g;
  graph_make (&g, "");
  g_autofree char *content = g_build_filename (golden_dir, "content.png", NULL);
  GeglNode *graph = gegl_node_new ();
  GeglNode *load = gegl_node_new_child (graph, "operation", "gegl:load", "path", content, NULL);
  GeglRectangle box = gegl_node_get_bounding_box (g.op);
  g_autofree float *out = read_rect (g.op, &box);
  g_autofree float *in = read_rect (load, &box);
  g_assert_cmpmem (out, sizeof (float) * box.width * box.height * 4, in,
                   sizeof (float) * box.width * box.height * 4);
  g_object_unref (graph);
  graph_free (&g);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (argc < 3)
    {
      g_printerr ("usage: test-gegl-graph GOLDEN_DIR MODEL_DIR [--tap]\n");
      return 2;
    }
  golden_dir = argv[1];
  g_setenv ("VK_ADAIN_MODELS", argv[2], TRUE);
  gegl_init (NULL, NULL);
  g_test_add_func ("/gegl-op/registered", test_registered);
  g_test_add_func ("/gegl-op/part-equals-whole", test_part_equals_whole);
  g_test_add_func ("/gegl-op/progress", test_progress);
  g_test_add_func ("/gegl-op/no-style-passes-through", test_no_style_passes_through);
  int status = g_test_run ();
  gegl_exit ();
  return status;
}
