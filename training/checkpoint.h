/* checkpoint.h — what a training run leaves in its save folder at each
 * checkpoint i, in the order it is written:
 *
 *   decoder_iter_{i}.pth          the decoder as a PyTorch state dict (zip)
 *   decoder_iter_{i}.safetensors  the same tensors
 *   resume_iter_{i}.safetensors   the optimiser's moments ("m.{key}", "v.{key}")
 *   resume_iter_{i}.ini           the rest (format version, iteration, seed,
 *                                 sampler position, settings), written last
 *
 * Each file is written to a temporary file, synced and renamed, and the
 * .ini names the others, so a checkpoint exists once its .ini does: a kill
 * at any moment leaves the previous checkpoint whole. */
#pragma once

#include "vka-train.h"

#define CHECKPOINT_FORMAT_VERSION 1

typedef struct
{
  int      iteration;
  guint64  seed;
  int      batch, resize, crop;
  gboolean sgd;
  /* the samplers are counter-based (see data-loader.h): the next sample of
   * each stream is iteration · batch, recorded for readers of the file */
} CheckpointInfo;

/* Writes checkpoint info->iteration of trainer into dir. */
gboolean checkpoint_save (const char *dir, VkaTrainer *trainer, const CheckpointInfo *info,
                          GError **error);

/* The newest complete checkpoint in dir: FALSE with *found = FALSE when
 * there is none, FALSE with an error when the newest cannot be read. On
 * success the decoder's weights and the optimiser's state are loaded. */
gboolean checkpoint_load_latest (const char *dir, CheckpointInfo *info, VkaWeights **decoder,
                                 VkaWeights **state, gboolean *found, GError **error);

/* Test hook: $VKA_TRAIN_FAULT=kill-after-pth:I sends the process SIGKILL
 * right after decoder_iter_I.pth is written (a kill during a save). */
