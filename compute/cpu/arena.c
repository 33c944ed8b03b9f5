/* arena.c — see arena.h. */
#include "arena.h"

#include <sys/mman.h>
#include <unistd.h>

#define GRAIN ((gsize) 2 << 20)

typedef struct
{
  gsize offset, size;
} Run;

struct VkaCpuArena
{
  guint8     *base;       /* GRAIN-aligned start of the reserved range */
  void       *mapping;    /* what mmap returned, and its length */
  gsize       mapped;
  gsize       reserved;   /* usable bytes from base */
  gboolean    unavailable;
  gsize       top;        /* nothing at or above it has been handed out since the last trim */
  GArray     *free_runs;  /* Run, sorted by offset, never touching each other */
  GHashTable *used;       /* offset + 1 → size */
};

gboolean
vka_cpu_arena_huge_pages (void)
{
  return g_strcmp0 (g_getenv ("VKA_CPU_HUGEPAGES"), "1") == 0;
}

VkaCpuArena *
vka_cpu_arena_new (void)
{
  VkaCpuArena *a = g_new0 (VkaCpuArena, 1);
  a->free_runs = g_array_new (FALSE, FALSE, sizeof (Run));
  a->used = g_hash_table_new (NULL, NULL);
  return a;
}

void
vka_cpu_arena_free (VkaCpuArena *a)
{
  if (!a)
    return;
  if (a->mapping)
    munmap (a->mapping, a->mapped);
  g_array_unref (a->free_runs);
  g_hash_table_unref (a->used);
  g_free (a);
}

/* Address space as large as the machine's memory: no picture's working set
 * can be larger, and untouched pages cost nothing. */
static gboolean
reserve (VkaCpuArena *a)
{
  if (a->base || a->unavailable)
    return a->base != NULL;
  long pages = sysconf (_SC_PHYS_PAGES), page = sysconf (_SC_PAGESIZE);
  gsize want = pages > 0 && page > 0 ? (gsize) pages * (gsize) page : (gsize) 8 << 30;
  want = (want + GRAIN - 1) / GRAIN * GRAIN;
  void *p = mmap (NULL, want + GRAIN, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    {
      a->unavailable = TRUE;
      return FALSE;
    }
  a->mapping = p;
  a->mapped = want + GRAIN;
  a->base = (guint8 *) (((guintptr) p + GRAIN - 1) / GRAIN * GRAIN);
  a->reserved = want;
#ifdef MADV_HUGEPAGE
  if (vka_cpu_arena_huge_pages ())
    madvise (a->base, a->reserved, MADV_HUGEPAGE);
#endif
  return TRUE;
}

static Run *
run_at (VkaCpuArena *a, guint i)
{
  return &g_array_index (a->free_runs, Run, i);
}

void *
vka_cpu_arena_alloc (VkaCpuArena *a, gsize bytes, gsize *granted)
{
  if (bytes == 0 || bytes > G_MAXSIZE - GRAIN || !reserve (a))
    return NULL;
  gsize size = (bytes + GRAIN - 1) / GRAIN * GRAIN;
  /* the smallest free run that fits */
  guint best = G_MAXUINT;
  for (guint i = 0; i < a->free_runs->len; i++)
    if (run_at (a, i)->size >= size
        && (best == G_MAXUINT || run_at (a, i)->size < run_at (a, best)->size))
      best = i;
  gsize offset;
  if (best != G_MAXUINT)
    {
      Run *r = run_at (a, best);
      offset = r->offset;
      r->offset += size;
      r->size -= size;
      if (r->size == 0)
        g_array_remove_index (a->free_runs, best);
    }
  else
    {
      /* grow from the top, starting inside a free run that ends there */
      gsize start = a->top;
      guint last = a->free_runs->len;
      if (last > 0 && run_at (a, last - 1)->offset + run_at (a, last - 1)->size == a->top)
        start = run_at (a, last - 1)->offset;
      if (size > a->reserved - start)
        return NULL;
      if (start < a->top)
        g_array_remove_index (a->free_runs, last - 1);
      offset = start;
      a->top = start + size;
    }
  g_hash_table_insert (a->used, GSIZE_TO_POINTER (offset + 1), GSIZE_TO_POINTER (size));
  *granted = size;
  return a->base + offset;
}

gsize
vka_cpu_arena_release (VkaCpuArena *a, void *p)
{
  if (!a->base || (guint8 *) p < a->base || (guint8 *) p >= a->base + a->reserved)
    return 0;
  gsize offset = (gsize) ((guint8 *) p - a->base);
  gpointer size_p;
  if (!g_hash_table_steal_extended (a->used, GSIZE_TO_POINTER (offset + 1), NULL, &size_p))
    g_error ("vka_cpu_arena_release: %p was not handed out", p);
  Run run = { offset, GPOINTER_TO_SIZE (size_p) };
  guint i = 0;
  while (i < a->free_runs->len && run_at (a, i)->offset < offset)
    i++;
  /* join the neighbours */
  if (i < a->free_runs->len && run.offset + run.size == run_at (a, i)->offset)
    {
      run.size += run_at (a, i)->size;
      g_array_remove_index (a->free_runs, i);
    }
  if (i > 0 && run_at (a, i - 1)->offset + run_at (a, i - 1)->size == run.offset)
    run_at (a, i - 1)->size += run.size;
  else
    g_array_insert_val (a->free_runs, i, run);
  return GPOINTER_TO_SIZE (size_p);
}

void
vka_cpu_arena_trim (VkaCpuArena *a)
{
  for (guint i = 0; i < a->free_runs->len; i++)
    madvise (a->base + run_at (a, i)->offset, run_at (a, i)->size, MADV_DONTNEED);
  guint last = a->free_runs->len;
  if (last > 0 && run_at (a, last - 1)->offset + run_at (a, last - 1)->size == a->top)
    {
      a->top = run_at (a, last - 1)->offset;
      g_array_remove_index (a->free_runs, last - 1);
    }
}

gsize
vka_cpu_arena_footprint (VkaCpuArena *a)
{
  return a->top;
}
