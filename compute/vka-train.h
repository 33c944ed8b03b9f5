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
  double style_layers[4];        /* its terms at relu1_1 … relu4_1 */
  double lr;                     /* the rate this step used */
} VkaTrainLosses;

/* vka_context_new for training: the automatic choice leaves out the CPU
 * backend, which has no backward ops (a Vulkan CPU driver such as lavapipe
 * still counts). */
VkaContext *vka_context_new_for_training (const VkaContextOptions *options, GError **error);

VkaTrainer *vka_trainer_new (VkaContext *context, const VkaWeights *encoder,
                             const VkaWeights *decoder, const VkaTrainOptions *options,
                             GError **error);
void        vka_trainer_free (VkaTrainer *trainer);
/* One iteration on a batch: content and style are n × 3 × h × w floats
 * (NCHW, RGB in [0,1]); the decoder is updated. */
gboolean    vka_trainer_step (VkaTrainer *trainer, const float *content, const float *style,
                              int n, int h, int w, VkaTrainLosses *losses, GError **error);
/* vka_trainer_step in two halves, for data-parallel training: the losses
 * and the decoder's gradients of a batch (no update), then the optimiser's
 * update from the gradients as they are then (losses->lr is set; the
 * iteration count advances). Between the two the gradients can be read
 * and replaced, e.g. by their average over several processes. */
gboolean    vka_trainer_compute_gradients (VkaTrainer *trainer, const float *content,
                                           const float *style, int n, int h, int w,
                                           VkaTrainLosses *losses, GError **error);
gboolean    vka_trainer_apply_gradients (VkaTrainer *trainer, VkaTrainLosses *losses,
                                         GError **error);
/* The number of gradient values (the decoder's parameter count), and the
 * gradients as one flat buffer of that many floats, the parameters in the
 * order of vka_trainer_decoder_weights. Both need a computed gradient. */
gsize       vka_trainer_n_gradient_values (VkaTrainer *trainer);
gboolean    vka_trainer_read_gradients (VkaTrainer *trainer, float *dst, GError **error);
gboolean    vka_trainer_write_gradients (VkaTrainer *trainer, const float *src,
                                         GError **error);
/* Iterations done so far. */
int         vka_trainer_iteration (VkaTrainer *trainer);
/* The decoder's weights as they are now, with the reference's keys. */
VkaWeights *vka_trainer_decoder_weights (VkaTrainer *trainer, GError **error);

/* The optimiser's state, for checkpoints: the Adam moments as tensors named
 * "m.{key}" and "v.{key}" (the decoder's keys; all zero under SGD, which
 * keeps none) and the iteration count. */
VkaWeights *vka_trainer_get_state (VkaTrainer *trainer, int *iteration, GError **error);
/* Restores what vka_trainer_get_state gave (the decoder's weights are given
 * to vka_trainer_new): every moment must be there with the parameter's
 * shape, else an error naming the tensor, and nothing changes. */
gboolean    vka_trainer_set_state (VkaTrainer *trainer, const VkaWeights *state,
                                   int iteration, GError **error);

/* The training objective of a finished picture: the losses the trainer
 * would give output as the decoder's result for content and style, with
 * the trainer's definitions (unweighted terms; loss = content_weight ·
 * content + style_weight · style from options, NULL for the defaults; lr
 * is 0). Forward passes only, so any backend works, the CPU one too. A
 * batch of one: output must have content's size, style may have its own;
 * pictures are taken as the trainer takes them (gray replicated, alpha
 * ignored). */
typedef struct VkaObjective VkaObjective;

VkaObjective *vka_objective_new      (VkaContext *context, const VkaWeights *encoder,
                                      const VkaTrainOptions *options, GError **error);
void          vka_objective_free     (VkaObjective *objective);
gboolean      vka_objective_evaluate (VkaObjective *objective, const VkaImage *content,
                                      const VkaImage *style, const VkaImage *output,
                                      VkaTrainLosses *losses, GError **error);

/* A decoder for an encoder, initialised as PyTorch initialises a fresh
 * nn.Conv2d (weights and biases uniform in ±1/sqrt(fan_in), fan_in =
 * in channels · k²): the reference's starting point. Widths follow the
 * encoder's relu1_1..relu4_1 convs (keys 2, 9, 16, 29). */
VkaWeights *vka_decoder_init_weights (const VkaWeights *encoder, GRand *rand,
                                      GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VkaTrainer, vka_trainer_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VkaObjective, vka_objective_free)

G_END_DECLS
