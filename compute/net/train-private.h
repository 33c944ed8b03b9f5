/* train-private.h — trainer internals for tests. */
#pragma once

#include "vka-train.h"
#include "backend.h"

guint      vka_trainer_n_params (VkaTrainer *trainer);
/* Gradient of decoder parameter i (NULL before a backward pass). */
VkaTensor *vka_trainer_param_grad (VkaTrainer *trainer, guint i, VkaTensor **param);
