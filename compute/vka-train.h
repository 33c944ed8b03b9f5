/* vka-train.h — training an AdaIN decoder (part of the public API). The
 * encoder is frozen; the loss is the reference's:
 *   content_weight · MSE(relu4_1(g(t)), t)
 *   + style_weight · Σ_{relu1_1..relu4_1} MSE(μ(φ(g(t))), μ(φ(s))) + MSE(σ(φ(g(t))), σ(φ(s)))
 * with t = AdaIN(f(c), f(s)) per sample. */
#pragma once

#include "vka.h"

G_BEGIN_DECLS

typedef struct VkaTrainer VkaTrainer;

typedef struct
{
  double   lr;              /* 1e-4 */
  double   lr_decay;        /* lr_i = lr / (1 + lr_decay·i); 5e-5 */
  double   content_weight;  /* 1 */
  double   style_weight;    /* 10 */
  gboolean sgd;             /* plain SGD instead of Adam (β 0.9/0.999, ε 1e-8) */
} VkaTrainOptions;

#define VKA_TRAIN_OPTIONS_DEFAULT { 1e-4, 5e-5, 1.0, 10.0, FALSE }

typedef struct
{
  double loss, content, style;   /* style: the sum over the four layers, unweighted */
  double lr;                     /* the rate this step used */
} VkaTrainLosses;

VkaTrainer *vka_trainer_new (VkaContext *context, const VkaWeights *encoder,
                             const VkaWeights *decoder, const VkaTrainOptions *options,
                             GError **error);
void        vka_trainer_free (VkaTrainer *trainer);
/* One iteration on a batch: content and style are n × 3 × h × w floats
 * (NCHW, RGB in [0,1]); the decoder is updated. */
gboolean    vka_trainer_step (VkaTrainer *trainer, const float *content, const float *style,
                              int n, int h, int w, VkaTrainLosses *losses, GError **error);
/* Iterations done so far. */
int         vka_trainer_iteration (VkaTrainer *trainer);
/* The decoder's weights as they are now, with the reference's keys. */
VkaWeights *vka_trainer_decoder_weights (VkaTrainer *trainer, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VkaTrainer, vka_trainer_free)

G_END_DECLS
