/* stylize-run.h — one attempt at a stylisation with its tiles chosen
 * (stylize.c), in two steps: every tile but the last done and the last
 * one's picture read back in a read that is begun, not waited for; then
 * that read finished and handed to the sink. vka_stylize_submit and
 * vka_stylize_finish (stylize-pending.c) make the attempts. */
#pragma once

#include "model-private.h"

/* What stays the same over the attempts at one stylisation. */
typedef struct
{
  VkaModel                *model;
  const VkaImageSource    *content;
  const VkaStylizeOptions *options;
  float *const            *targets;   /* AdaIN's target statistics, per mask region */
  const VkaImageSink      *out;
  VkaProgressFunc          progress;
  gpointer                 progress_data;
  GCancellable            *cancellable;
} VkaStylizeJob;

typedef struct VkaStylizeRun VkaStylizeRun;

/* tile: the interior forced (0: chosen from the budget); keep_on_device
 * FALSE keeps pass-1 features in host memory only (after the device ran
 * out of memory). *interior: the tiles' interior once chosen, else 0.
 * NULL on failure. */
VkaStylizeRun *vka_stylize_run_submit (const VkaStylizeJob *job, int tile,
                                       gboolean keep_on_device, int *interior,
                                       GError **error);
/* Waits for the last tile's picture, writes it, reports the end; frees run. */
gboolean       vka_stylize_run_finish (VkaStylizeRun *run, GError **error);
/* Drops a run that was submitted and will not be finished. */
void           vka_stylize_run_free (VkaStylizeRun *run);

/* FALSE, with an error naming the image (what), unless it has pixels and
 * 1 to 4 channels. */
gboolean       vka_check_image (const char *what, const VkaImage *image, GError **error);
