/* arena.h — large host blocks carved from one reserved address range.
 *
 * A tiled stylisation makes and drops the same few large maps tile after
 * tile, in sizes that differ between layers and between edge and inner
 * tiles. Freed to the C library they go back to the kernel (they are
 * mmaps), and every fresh one is faulted in and zeroed again: at 12 MP that
 * was 7.5 GB of fresh blocks and a quarter of the CPU time. The arena keeps
 * the pages: a freed block joins its free neighbours, and the next request
 * takes the smallest free run that fits, so any mix of sizes reuses memory
 * that is already resident. Resident memory is the highest address ever
 * handed out; vka_cpu_arena_trim gives the free pages back.
 *
 * Sizes are rounded up to 2 MiB. The range is not asked for as transparent
 * huge pages unless $VKA_CPU_HUGEPAGES=1: pages are faulted in once per
 * process, and on the VMs measured (bench/RESULTS.md, session 10) a fresh
 * huge page cost 0.5–2.4 s per GiB to fault in, by the state of the host,
 * 4 KiB pages a steady 0.35 s. Not thread-safe: the backend allocates from
 * one thread. */
#pragma once

#include <glib.h>

typedef struct VkaCpuArena VkaCpuArena;

/* Whether large blocks are asked for as transparent huge pages. */
gboolean     vka_cpu_arena_huge_pages (void);

/* Reserves nothing yet: address space is reserved at the first request. */
VkaCpuArena *vka_cpu_arena_new (void);
void         vka_cpu_arena_free (VkaCpuArena *arena);

/* A block of at least bytes, 2 MiB-aligned; *granted gets its real size.
 * NULL when the reserved range has no room (the caller then allocates
 * elsewhere). */
void        *vka_cpu_arena_alloc (VkaCpuArena *arena, gsize bytes, gsize *granted);
/* Returns p's block to the arena and its size, or 0 if p is not from it. */
gsize        vka_cpu_arena_release (VkaCpuArena *arena, void *p);
/* Gives the pages of free blocks back to the kernel. */
void         vka_cpu_arena_trim (VkaCpuArena *arena);
/* Bytes from the range's start to the end of the highest block handed out
 * since the last trim: an upper bound of what the arena keeps resident. */
gsize        vka_cpu_arena_footprint (VkaCpuArena *arena);
