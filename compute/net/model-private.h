/* model-private.h — what a model holds (model.c makes it, stylize.c runs it). */
#pragma once

#include "context-private.h"
#include "network.h"

struct VkaModel
{
  VkaContext *context;
  VkaBackend *backend;
  VkaNetwork *encoder;
  VkaNetwork *decoder;
  char       *encoder_fingerprint;
  guint       encoder_runs;
  gboolean    cpu_memory;   /* the device's memory is the host's */
  float       content_noise;   /* vka_model_content_noise */
  /* set by vka_model_set_keep_budget: bytes of pass-1 features a tiled
   * stylisation may keep for pass 2 whatever the memory budget leaves */
  gboolean    keep_fixed;
  guint64     keep_device_bytes, keep_host_bytes;
};
