/* options.h — vk-adain's command line: what each option holds, parsed
 * and checked (options.c). */
#pragma once

#include "vka.h"
#include "vka-color.h"
#include "jobs.h"

typedef struct
{
  char        *vgg, *decoder, *content, *style, *style_weights;
  char        *output_dir, *output_file, *save_ext, *save_style, *device, *mask;
  char        *style_cache;   /* NULL: the user's cache folder */
  double       alpha;
  double       content_noise;   /* < 0: the decoder's */
  int          content_size, style_size, tile, threads;
  guint64      memory_limit;
  gboolean     crop, list_devices, quiet, skip_existing;
  VkaColorMode color;
  CliShard     shard;
  gboolean     progress;
} Options;

/* Parses and checks the options (and does --list-devices): -1 to go on,
 * else the exit status. */
int  cli_options_parse (Options *o, int *argc, char ***argv);
void cli_options_clear (Options *o);
