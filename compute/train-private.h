/* train-private.h — trainer internals for tests. */
#pragma once

#include "vka-train.h"
#include "backend.h"

/* The loss and the decoder's gradients without an update. */
gboolean   vka_trainer_compute_gradients (VkaTrainer *trainer, const float *content,
                                          const float *style, int n, int h, int w,
                                          VkaTrainLosses *losses, GError **error);
guint      vka_trainer_n_params (VkaTrainer *trainer);
/* Gradient of decoder parameter i (NULL before a backward pass). */
VkaTensor *vka_trainer_param_grad (VkaTrainer *trainer, guint i, VkaTensor **param);
