/* The CPU backend's arena (compute/cpu/arena.c): blocks are 2 MiB-aligned
 * and writable, a freed block joins its neighbours and is handed out again
 * before the range grows, a repeated pattern of mixed sizes stops growing
 * after its first round, trim gives the free top back, and a pointer that
 * is not the arena's is refused. */
#include "arena.h"

#include <string.h>

#define MiB ((gsize) 1 << 20)

static void
test_alloc_release (void)
{
  VkaCpuArena *a = vka_cpu_arena_new ();
  gsize g1, g2, g3;
  guint8 *p1 = vka_cpu_arena_alloc (a, 5 * MiB, &g1);
  guint8 *p2 = vka_cpu_arena_alloc (a, 2 * MiB, &g2);
  guint8 *p3 = vka_cpu_arena_alloc (a, 4 * MiB + 1, &g3);
  g_assert_nonnull (p1);
  g_assert_nonnull (p2);
  g_assert_nonnull (p3);
  g_assert_cmpuint (g1, ==, 6 * MiB);
  g_assert_cmpuint (g2, ==, 2 * MiB);
  g_assert_cmpuint (g3, ==, 6 * MiB);
  g_assert_cmpuint ((guintptr) p1 % (2 * MiB), ==, 0);
  g_assert_true (p2 == p1 + g1 && p3 == p2 + g2);
  memset (p1, 1, g1);
  memset (p3, 3, g3);
  g_assert_cmpuint (vka_cpu_arena_footprint (a), ==, 14 * MiB);

  /* p1 and p2 freed: one 8 MiB run, which an 8 MiB request takes whole */
  g_assert_cmpuint (vka_cpu_arena_release (a, p2), ==, 2 * MiB);
  g_assert_cmpuint (vka_cpu_arena_release (a, p1), ==, 6 * MiB);
  gsize g4;
  guint8 *p4 = vka_cpu_arena_alloc (a, 8 * MiB, &g4);
  g_assert_true (p4 == p1);
  g_assert_cmpuint (vka_cpu_arena_footprint (a), ==, 14 * MiB);
  g_assert_cmpuint (p3[g3 - 1], ==, 3);

  /* not the arena's */
  int local;
  g_assert_cmpuint (vka_cpu_arena_release (a, &local), ==, 0);

  /* everything freed and trimmed: nothing kept */
  g_assert_cmpuint (vka_cpu_arena_release (a, p4), ==, 8 * MiB);
  g_assert_cmpuint (vka_cpu_arena_release (a, p3), ==, 6 * MiB);
  vka_cpu_arena_trim (a);
  g_assert_cmpuint (vka_cpu_arena_footprint (a), ==, 0);
  vka_cpu_arena_free (a);
}

/* The smallest run that fits is taken, not the first. */
static void
test_best_fit (void)
{
  VkaCpuArena *a = vka_cpu_arena_new ();
  gsize g;
  guint8 *big = vka_cpu_arena_alloc (a, 10 * MiB, &g);
  guint8 *sep1 = vka_cpu_arena_alloc (a, 2 * MiB, &g);
  guint8 *small = vka_cpu_arena_alloc (a, 4 * MiB, &g);
  guint8 *sep2 = vka_cpu_arena_alloc (a, 2 * MiB, &g);
  vka_cpu_arena_release (a, big);
  vka_cpu_arena_release (a, small);
  g_assert_true (vka_cpu_arena_alloc (a, 4 * MiB, &g) == small);
  g_assert_true (vka_cpu_arena_alloc (a, 6 * MiB, &g) == big);
  (void) sep1;
  (void) sep2;
  vka_cpu_arena_free (a);
}

/* A tile's worth of maps, in a stack-like order with mixed sizes, again and
 * again with slightly different sizes (edge tiles): the footprint of the
 * first round is not exceeded by much later on. */
static void
test_repeated_pattern (void)
{
  VkaCpuArena *a = vka_cpu_arena_new ();
  static const gsize sizes[] = { 76, 76, 19, 38, 38, 9, 19, 6, 7, 4, 9, 8, 14 };
  gsize first = 0;
  for (int round = 0; round < 12; round++)
    {
      double scale = round % 3 == 2 ? 0.9 : 1.0;
      void *live[2] = { NULL, NULL };
      for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
        {
          gsize g;
          void *p = vka_cpu_arena_alloc (a, (gsize) (sizes[i] * scale * MiB), &g);
          g_assert_nonnull (p);
          memset (p, (int) i, MiB);
          /* each map lives until the one after next is made */
          if (live[i % 2])
            vka_cpu_arena_release (a, live[i % 2]);
          live[i % 2] = p;
        }
      vka_cpu_arena_release (a, live[0]);
      vka_cpu_arena_release (a, live[1]);
      if (round == 0)
        first = vka_cpu_arena_footprint (a);
    }
  g_test_message ("footprint after one round %zu MiB, after twelve %zu MiB", first / MiB,
                  vka_cpu_arena_footprint (a) / MiB);
  g_assert_cmpuint (vka_cpu_arena_footprint (a), <=, first + first / 4);
  vka_cpu_arena_free (a);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/arena/alloc-release", test_alloc_release);
  g_test_add_func ("/arena/best-fit", test_best_fit);
  g_test_add_func ("/arena/repeated-pattern", test_repeated_pattern);
  return g_test_run ();
}
