/* jobs.h — vk-adain's job list (every content picture with every style, or
 * with the one mix) and the part of it that one task of a job array takes:
 * --shard I/N, or --shard slurm for the task's Slurm array variables. */
#pragma once

#include <glib.h>

/* Adds path to out, or for a folder its image files (by extension: .png
 * .jpg .jpeg .tif .tiff .webp .safetensors; not recursive) sorted by name:
 * the same list for every task of an array. what names the folder in the
 * error for one without images. */
gboolean cli_collect_images (const char *path, const char *what, GPtrArray *out,
                             GError **error);

/* Part index (1-based) of count parts; { 1, 1 } is the whole job list. */
typedef struct
{
  guint64 index, count;
} CliShard;

/* Parses "I/N" (1 ≤ I ≤ N) or "slurm" (I and N from SLURM_ARRAY_TASK_ID,
 * SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_COUNT: the array must be one
 * range with step 1, such as --array=1-8 or 0-7). Errors (G_OPTION_ERROR)
 * start with option, the name the user typed. */
gboolean cli_shard_parse (const char *option, const char *text, CliShard *shard,
                          GError **error);

/* The jobs [*first, *end) of the total that shard takes: the job list cut
 * into count contiguous blocks, whose lengths differ by one at most. The
 * blocks are disjoint and together are the whole list. */
void     cli_shard_range (const CliShard *shard, guint64 total, guint64 *first,
                          guint64 *end);
