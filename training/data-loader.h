/* data-loader.h — training batches from two folders of pictures.
 *
 * Content and style are sampled independently, each folder reshuffled on
 * every pass. Loader threads decode, resize and crop ahead of the device
 * into a bounded queue of batches. The order is a function of the seed and
 * the iteration alone (sample k of a stream is drawn from a generator seeded
 * by (seed, stream, k)), so a run resumed at iteration i sees the same
 * batches as an uninterrupted one, whatever the threads' timing.
 *
 * A file that cannot be read is skipped with a warning, counted, and
 * replaced by another file chosen the same deterministic way. */
#pragma once

#include "vka.h"

typedef struct DataLoader DataLoader;

typedef struct
{
  const char *content_dir;
  const char *style_dir;
  int         batch;     /* images per batch */
  int         resize;    /* squash to resize × resize first; 0: keep the size */
  int         crop;      /* random crop crop × crop */
  /* Style pictures squashed to a size drawn from [¾, 1½]·resize instead of
   * resize (at least crop), flipped or turned by one of the square's eight
   * symmetries, and half of them with their hues turned by a random angle;
   * contents mirrored left to right half the time. */
  gboolean    augment;
  /* The standard deviation of Gaussian noise added to each content sample
   * (clamped to [0, 1]), as vk-adain adds it to a content picture before
   * encoding for a decoder whose file asks for it; 0: none. */
  float       content_noise;
  int         threads;   /* loader threads */
  guint64     seed;
  /* Data-parallel training: this process's share of a larger batch. The
   * order is that of batches of global_batch pictures, of which this
   * loader gives samples [first_sample, first_sample + batch) of each
   * iteration. 0, 0: the whole batch (global_batch = batch). */
  int         global_batch;
  int         first_sample;
} DataLoaderOptions;

/* Lists both folders and checks that each holds at least one picture that
 * loads (the error names the folder otherwise), then starts the threads on
 * the batches from iteration first_iteration on. */
DataLoader *data_loader_new (const DataLoaderOptions *options, int first_iteration,
                             GError **error);
void        data_loader_free (DataLoader *loader);
/* The next iteration's batch: batch × 3 × crop × crop floats each (NCHW,
 * RGB in [0,1]), valid until the next call. Blocks until it is ready. */
gboolean    data_loader_next (DataLoader *loader, const float **content,
                              const float **style, GError **error);
/* Files skipped so far because they could not be read (each counted once). */
guint       data_loader_skipped (DataLoader *loader);
/* The first picture of each folder that loads (for sample stylisations). */
const char *data_loader_first_file (DataLoader *loader, gboolean style);

/* A picture as the loader reads it (RGB, alpha dropped, gray spread to three
 * channels), its shorter side resized to `shorter` (0: as it is); safe to
 * call while the loader's threads run. */
VkaImage   *data_loader_load_rgb (const char *path, int shorter, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DataLoader, data_loader_free)
