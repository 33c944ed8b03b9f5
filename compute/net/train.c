/* train.c — one training iteration of the AdaIN decoder: encode, AdaIN,
 * decode, re-encode, the content and style losses, backpropagation through
 * the frozen encoder into the decoder, and an Adam or SGD update. */
#include "vka-train.h"
#include "context-private.h"
#include "network.h"
#include "train-private.h"

#include <string.h>

/* The encoder layers whose outputs the style loss compares:
 * relu1_1, relu2_1, relu3_1, relu4_1 (conv indices 2, 9, 16, 29). */
static const int style_taps[4] = { 2, 9, 16, 29 };

struct VkaTrainer
{
  VkaBackend     *backend;
  VkaNetwork     *encoder;
  VkaNetwork     *decoder;
  VkaTrainOptions options;
  int             iteration;
  int             taps[4];       /* layer positions of style_taps */
  GPtrArray      *m, *v;         /* Adam moments, one per decoder parameter */
};

void
vka_trainer_free (VkaTrainer *trainer)
{
  if (!trainer)
    return;
  if (trainer->m)
    g_ptr_array_unref (trainer->m);
  if (trainer->v)
    g_ptr_array_unref (trainer->v);
  vka_network_free (trainer->encoder);
  vka_network_free (trainer->decoder);
  g_free (trainer);
}

static VkaTensor *
zeros_like (VkaBackend *b, VkaTensor *t, GError **error)
{
  VkaTensor *z = vka_tensor_new (b, t->n, t->c, t->h, t->w, error);
  if (!z)
    return NULL;
  g_autofree float *data = g_new0 (float, vka_tensor_numel (t));
  if (!b->ops->tensor_write (z, data, error))
    g_clear_pointer (&z, vka_tensor_free);
  return z;
}

VkaTrainer *
vka_trainer_new (VkaContext *context, const VkaWeights *encoder, const VkaWeights *decoder,
                 const VkaTrainOptions *options, GError **error)
{
  VkaTrainOptions defaults = VKA_TRAIN_OPTIONS_DEFAULT;
  g_autoptr (VkaTrainer) t = g_new0 (VkaTrainer, 1);
  t->backend = vka_context_backend (context);
  t->options = options ? *options : defaults;
  if (!t->backend->ops->optimizer_step)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                   "the %s backend cannot train; choose a Vulkan device or the CPU backend",
                   t->backend->ops->name);
      return NULL;
    }
  /* a resumed run must repeat an uninterrupted one bit for bit */
  if (t->backend->ops->set_reproducible)
    t->backend->ops->set_reproducible (t->backend);
  t->encoder = vka_network_new (t->backend, VKA_NETWORK_ENCODER, encoder, 3, "encoder",
                                error);
  if (!t->encoder)
    return NULL;
  t->decoder = vka_network_new (t->backend, VKA_NETWORK_DECODER, decoder,
                                vka_network_out_channels (t->encoder), "decoder", error);
  if (!t->decoder)
    return NULL;
  for (int i = 0; i < 4; i++)
    t->taps[i] = vka_network_layer_of (t->encoder, style_taps[i]);
  t->m = g_ptr_array_new_with_free_func ((GDestroyNotify) vka_tensor_free);
  t->v = g_ptr_array_new_with_free_func ((GDestroyNotify) vka_tensor_free);
  for (guint i = 0; i < vka_network_n_params (t->decoder); i++)
    {
      VkaTensor *p;
      vka_network_param (t->decoder, i, NULL, &p, NULL);
      VkaTensor *m = zeros_like (t->backend, p, error);
      VkaTensor *v = m ? zeros_like (t->backend, p, error) : NULL;
      if (m)
        g_ptr_array_add (t->m, m);
      if (v)
        g_ptr_array_add (t->v, v);
      if (!v)
        return NULL;
    }
  return g_steal_pointer (&t);
}

int
vka_trainer_iteration (VkaTrainer *trainer)
{
  return trainer->iteration;
}

static VkaTensor *
upload (VkaBackend *b, const float *data, int n, int c, int h, int w, GError **error)
{
  VkaTensor *t = vka_tensor_new (b, n, c, h, w, error);
  if (t && !b->ops->tensor_write (t, data, error))
    g_clear_pointer (&t, vka_tensor_free);
  return t;
}

static VkaTensor *
stats_of (VkaBackend *b, VkaTensor *x, GError **error)
{
  VkaTensor *s = vka_tensor_new (b, x->n, x->c, 1, 2, error);
  if (s && !b->ops->channel_stats (b, x, s, error))
    g_clear_pointer (&s, vka_tensor_free);
  return s;
}

static gboolean
mse_on_host (VkaTensor *a, VkaTensor *b, double *mse, GError **error)
{
  gsize n = vka_tensor_numel (a);
  g_autofree float *x = g_try_new (float, n);
  g_autofree float *y = g_try_new (float, n);
  if (!x || !y)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_OUT_OF_MEMORY, "cannot read back the loss");
      return FALSE;
    }
  if (!a->backend->ops->tensor_read (a, x, error) || !b->backend->ops->tensor_read (b, y, error))
    return FALSE;
  double sum = 0;
  for (gsize i = 0; i < n; i++)
    sum += ((double) x[i] - y[i]) * ((double) x[i] - y[i]);
  *mse = sum / (double) n;
  return TRUE;
}

/* f(c), the style's statistics at the four taps (s_stats, the caller's to
 * free) and t = AdaIN (f(c), f(s)) (*target, the caller's). */
static gboolean
adain_target (VkaBackend *b, VkaNetwork *encoder, const int taps[4], VkaTensor *c_in,
              VkaTensor *s_in, VkaTensor *s_stats[4], VkaTensor **target, GError **error)
{
  g_autoptr (VkaTape) style_tape = NULL;
  g_autoptr (VkaTensor) fc = vka_network_forward (encoder, c_in, NULL, NULL, error);
  if (!fc || !vka_network_forward_tape (encoder, s_in, &style_tape, error))
    return FALSE;
  for (int i = 0; i < 4; i++)
    if (!(s_stats[i] = stats_of (b, vka_tape_output (style_tape, taps[i]), error)))
      return FALSE;
  g_autoptr (VkaTensor) fc_stats = stats_of (b, fc, error);
  if (!fc_stats || !(*target = vka_tensor_new (b, fc->n, fc->c, fc->h, fc->w, error)))
    return FALSE;
  return b->ops->adain (b, fc, fc_stats, s_stats[3], 1.0f, *target, error);
}

/* The unweighted losses of a picture whose features at the taps are
 * g_stats (statistics) and g4 (relu4_1): MSE(g4, t) and the sum over the
 * taps of MSE(μ) + MSE(σ), which is 2·MSE over the interleaved (μ, σ). */
static gboolean
losses_on_host (VkaTensor *g4, VkaTensor *target, VkaTensor *const g_stats[4],
                VkaTensor *const s_stats[4], VkaTrainLosses *losses, GError **error)
{
  losses->style = 0;
  for (int i = 0; i < 4; i++)
    {
      double l;
      if (!mse_on_host (g_stats[i], s_stats[i], &l, error))
        return FALSE;
      losses->style_layers[i] = 2 * l;
      losses->style += 2 * l;
    }
  return mse_on_host (g4, target, &losses->content, error);
}

gboolean
vka_trainer_compute_gradients (VkaTrainer *t, const float *content, const float *style,
                               int n, int h, int w, VkaTrainLosses *losses, GError **error)
{
  VkaBackend *b = t->backend;
  const VkaTrainOptions *o = &t->options;
  gboolean ok = FALSE;
  guint n_enc = vka_network_n_layers (t->encoder);
  /* extra gradients at the encoder's layers: the style loss's, at the taps */
  g_autofree VkaTensor **inject = g_new0 (VkaTensor *, n_enc);

  g_autoptr (VkaTensor) c_in = upload (b, content, n, 3, h, w, error);
  g_autoptr (VkaTensor) s_in = c_in ? upload (b, style, n, 3, h, w, error) : NULL;
  if (!s_in)
    return FALSE;
  VkaTensor *s_stats[4] = { NULL };
  g_autoptr (VkaTensor) target = NULL;
  g_autoptr (VkaTape) dec_tape = NULL, enc_tape = NULL;
  VkaTensor *g_stats[4] = { NULL };
  VkaTensor *d_stats[4] = { NULL };
  g_autoptr (VkaTensor) d_content = NULL;
  g_autoptr (VkaTensor) d_image = NULL;
  if (!adain_target (b, t->encoder, t->taps, c_in, s_in, s_stats, &target, error))
    goto out;

  /* g(t) and φ(g(t)) */
  VkaTensor *image = vka_network_forward_tape (t->decoder, target, &dec_tape, error);
  if (!image || !vka_network_forward_tape (t->encoder, image, &enc_tape, error))
    goto out;

  /* losses and their gradients at the taps */
  VkaTensor *g4 = vka_tape_output (enc_tape, t->taps[3]);
  d_content = vka_tensor_new (b, g4->n, g4->c, g4->h, g4->w, error);
  if (!d_content || !b->ops->mse_backward (b, g4, target, (float) o->content_weight,
                                           d_content, error))
    goto out;
  for (int i = 0; i < 4; i++)
    {
      VkaTensor *gi = vka_tape_output (enc_tape, t->taps[i]);
      if (!(g_stats[i] = stats_of (b, gi, error))
          || !(d_stats[i] = vka_tensor_new (b, gi->n, gi->c, 1, 2, error))
          /* MSE(μ) + MSE(σ) = 2·MSE over the interleaved (μ, σ) pairs */
          || !b->ops->mse_backward (b, g_stats[i], s_stats[i], (float) (2 * o->style_weight),
                                    d_stats[i], error)
          || !(inject[t->taps[i]] = vka_tensor_new (b, gi->n, gi->c, gi->h, gi->w, error))
          || !b->ops->channel_stats_backward (b, gi, g_stats[i], d_stats[i],
                                              inject[t->taps[i]], error))
        goto out;
    }
  if (losses && !losses_on_host (g4, target, g_stats, s_stats, losses, error))
    goto out;
  /* relu4_1 is the encoder's last layer: the content gradient enters there */
  if (!vka_network_backward (t->encoder, enc_tape, d_content, inject, FALSE, &d_image, error)
      || !vka_network_backward (t->decoder, dec_tape, d_image, NULL, TRUE, NULL, error))
    goto out;
  if (losses)
    losses->loss = o->content_weight * losses->content + o->style_weight * losses->style;
  ok = TRUE;

out:
  for (int i = 0; i < 4; i++)
    {
      vka_tensor_free (s_stats[i]);
      vka_tensor_free (g_stats[i]);
      vka_tensor_free (d_stats[i]);
    }
  for (guint i = 0; i < n_enc; i++)
    vka_tensor_free (inject[i]);
  return ok;
}

gboolean
vka_trainer_apply_gradients (VkaTrainer *t, VkaTrainLosses *losses, GError **error)
{
  const VkaTrainOptions *o = &t->options;
  VkaOptimizer opt = {
    .sgd = o->sgd,
    .lr = o->lr / (1.0 + o->lr_decay * t->iteration),
    .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8,
  };
  for (guint i = 0; i < vka_network_n_params (t->decoder); i++)
    {
      VkaTensor *p, *g;
      vka_network_param (t->decoder, i, NULL, &p, &g);
      if (!g)
        {
          g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                       "no gradients to apply: compute them first");
          return FALSE;
        }
      if (!t->backend->ops->optimizer_step (t->backend, p, g, t->m->pdata[i], t->v->pdata[i],
                                            &opt, t->iteration + 1, error))
        return FALSE;
    }
  if (!vka_backend_flush (t->backend, error))
    return FALSE;
  if (losses)
    losses->lr = opt.lr;
  t->iteration++;
  return TRUE;
}

gboolean
vka_trainer_step (VkaTrainer *t, const float *content, const float *style, int n, int h,
                  int w, VkaTrainLosses *losses, GError **error)
{
  return vka_trainer_compute_gradients (t, content, style, n, h, w, losses, error)
         && vka_trainer_apply_gradients (t, losses, error);
}

gsize
vka_trainer_n_gradient_values (VkaTrainer *t)
{
  gsize n = 0;
  for (guint i = 0; i < vka_network_n_params (t->decoder); i++)
    {
      VkaTensor *p;
      vka_network_param (t->decoder, i, NULL, &p, NULL);
      n += vka_tensor_numel (p);
    }
  return n;
}

/* Copies the gradients to or from a flat buffer, parameter by parameter. */
static gboolean
copy_gradients (VkaTrainer *t, float *buffer, gboolean write, GError **error)
{
  gsize at = 0;
  for (guint i = 0; i < vka_network_n_params (t->decoder); i++)
    {
      VkaTensor *p, *g;
      vka_network_param (t->decoder, i, NULL, &p, &g);
      if (!g)
        {
          g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                       "no gradients yet: compute them first");
          return FALSE;
        }
      if (!(write ? t->backend->ops->tensor_write (g, buffer + at, error)
                  : t->backend->ops->tensor_read (g, buffer + at, error)))
        return FALSE;
      at += vka_tensor_numel (p);
    }
  return TRUE;
}

gboolean
vka_trainer_read_gradients (VkaTrainer *t, float *dst, GError **error)
{
  return copy_gradients (t, dst, FALSE, error);
}

gboolean
vka_trainer_write_gradients (VkaTrainer *t, const float *src, GError **error)
{
  return copy_gradients (t, (float *) src, TRUE, error);
}

/* ---- the objective of a finished picture ----------------------------------- */

struct VkaObjective
{
  VkaBackend     *backend;
  VkaNetwork     *encoder;
  VkaTrainOptions options;
  int             taps[4];
};

VkaObjective *
vka_objective_new (VkaContext *context, const VkaWeights *encoder,
                   const VkaTrainOptions *options, GError **error)
{
  VkaTrainOptions defaults = VKA_TRAIN_OPTIONS_DEFAULT;
  g_autoptr (VkaObjective) o = g_new0 (VkaObjective, 1);
  o->backend = vka_context_backend (context);
  o->options = options ? *options : defaults;
  o->encoder = vka_network_new (o->backend, VKA_NETWORK_ENCODER, encoder, 3, "encoder",
                                error);
  if (!o->encoder)
    return NULL;
  for (int i = 0; i < 4; i++)
    o->taps[i] = vka_network_layer_of (o->encoder, style_taps[i]);
  return g_steal_pointer (&o);
}

void
vka_objective_free (VkaObjective *objective)
{
  if (!objective)
    return;
  vka_network_free (objective->encoder);
  g_free (objective);
}

/* A batch of one, planar RGB, as the trainer's data loader makes it: gray
 * replicated, alpha left out. */
static VkaTensor *
upload_image (VkaBackend *b, const VkaImage *image, GError **error)
{
  gsize hw = (gsize) image->width * image->height;
  g_autofree float *planar = g_try_new (float, 3 * hw);
  if (!planar)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_OUT_OF_MEMORY,
                   "no memory for a %d×%d picture", image->width, image->height);
      return NULL;
    }
  for (gsize i = 0; i < hw; i++)
    for (int c = 0; c < 3; c++)
      planar[c * hw + i] = image->pixels[i * image->channels + (image->channels >= 3 ? c : 0)];
  return upload (b, planar, 1, 3, image->height, image->width, error);
}

gboolean
vka_objective_evaluate (VkaObjective *o, const VkaImage *content, const VkaImage *style,
                        const VkaImage *output, VkaTrainLosses *losses, GError **error)
{
  if (output->width != content->width || output->height != content->height)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                   "the output is %d×%d, the content %d×%d: they must be the same size",
                   output->width, output->height, content->width, content->height);
      return FALSE;
    }
  VkaBackend *b = o->backend;
  g_autoptr (VkaTensor) c_in = upload_image (b, content, error);
  g_autoptr (VkaTensor) s_in = c_in ? upload_image (b, style, error) : NULL;
  g_autoptr (VkaTensor) o_in = s_in ? upload_image (b, output, error) : NULL;
  if (!o_in)
    return FALSE;
  VkaTensor *s_stats[4] = { NULL }, *g_stats[4] = { NULL };
  g_autoptr (VkaTensor) target = NULL;
  g_autoptr (VkaTape) tape = NULL;
  gboolean ok = adain_target (b, o->encoder, o->taps, c_in, s_in, s_stats, &target, error)
                && vka_network_forward_tape (o->encoder, o_in, &tape, error);
  for (int i = 0; ok && i < 4; i++)
    ok = (g_stats[i] = stats_of (b, vka_tape_output (tape, o->taps[i]), error)) != NULL;
  if (ok)
    ok = losses_on_host (vka_tape_output (tape, o->taps[3]), target, g_stats, s_stats, losses,
                         error);
  for (int i = 0; i < 4; i++)
    {
      vka_tensor_free (s_stats[i]);
      vka_tensor_free (g_stats[i]);
    }
  if (!ok)
    return FALSE;
  losses->loss = o->options.content_weight * losses->content
                 + o->options.style_weight * losses->style;
  losses->lr = 0;
  return TRUE;
}

VkaWeights *
vka_trainer_decoder_weights (VkaTrainer *t, GError **error)
{
  g_autoptr (VkaWeights) weights = vka_weights_new ();
  for (guint i = 0; i < vka_network_n_params (t->decoder); i++)
    {
      const char *name;
      VkaTensor *p;
      vka_network_param (t->decoder, i, &name, &p, NULL);
      float *data = g_new (float, vka_tensor_numel (p));
      if (!t->backend->ops->tensor_read (p, data, error))
        {
          g_free (data);
          return NULL;
        }
      /* weights (Cout, Cin, k, k); biases 1-D, as PyTorch keeps them */
      gint64 wshape[4] = { p->n, p->c, p->h, p->w }, bshape[1] = { p->c };
      gboolean is_bias = g_str_has_suffix (name, ".bias");
      if (!vka_weights_insert (weights, name, is_bias ? 1 : 4, is_bias ? bshape : wshape,
                               data, error))
        return NULL;
    }
  if (vka_network_bilinear (t->decoder) && !vka_decoder_mark_bilinear (weights, error))
    return NULL;
  if (!vka_decoder_set_content_noise (weights, vka_network_content_noise (t->decoder), error))
    return NULL;
  return g_steal_pointer (&weights);
}

VkaTensor *
vka_trainer_param_grad (VkaTrainer *t, guint i, VkaTensor **param)
{
  VkaTensor *g;
  vka_network_param (t->decoder, i, NULL, param, &g);
  return g;
}

guint
vka_trainer_n_params (VkaTrainer *t)
{
  return vka_network_n_params (t->decoder);
}

VkaWeights *
vka_trainer_get_state (VkaTrainer *t, int *iteration, GError **error)
{
  g_autoptr (VkaWeights) state = vka_weights_new ();
  for (guint i = 0; i < vka_network_n_params (t->decoder); i++)
    {
      const char *name;
      VkaTensor *p;
      vka_network_param (t->decoder, i, &name, &p, NULL);
      for (int which = 0; which < 2; which++)
        {
          VkaTensor *moment = (which ? t->v : t->m)->pdata[i];
          float *data = g_try_new (float, vka_tensor_numel (moment));
          if (!data)
            {
              g_set_error (error, VKA_ERROR, VKA_ERROR_OUT_OF_MEMORY,
                           "no memory to read the optimiser state of %s", name);
              return NULL;
            }
          if (!t->backend->ops->tensor_read (moment, data, error))
            {
              g_free (data);
              return NULL;
            }
          g_autofree char *key = g_strdup_printf ("%c.%s", which ? 'v' : 'm', name);
          gint64 shape[1] = { (gint64) vka_tensor_numel (moment) };
          if (!vka_weights_insert (state, key, 1, shape, data, error))
            return NULL;
        }
    }
  if (iteration)
    *iteration = t->iteration;
  return g_steal_pointer (&state);
}

gboolean
vka_trainer_set_state (VkaTrainer *t, const VkaWeights *state, int iteration, GError **error)
{
  if (iteration < 0)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                   "optimiser state: negative iteration %d", iteration);
      return FALSE;
    }
  guint n = vka_network_n_params (t->decoder);
  /* every moment is found and checked first, so that a bad state changes
   * nothing; moments[i] is m (even i) or v (odd i) of parameter i / 2 */
  g_autofree const VkaTensorData **moments = g_new (const VkaTensorData *, n * 2);
  for (guint i = 0; i < n * 2; i++)
    {
      const char *name;
      VkaTensor *p;
      vka_network_param (t->decoder, i / 2, &name, &p, NULL);
      g_autofree char *key = g_strdup_printf ("%c.%s", i % 2 ? 'v' : 'm', name);
      moments[i] = vka_weights_get (state, key);
      if (!moments[i] || vka_tensor_data_numel (moments[i]) != (gint64) vka_tensor_numel (p))
        {
          g_set_error (error, VKA_ERROR, VKA_ERROR_MODEL,
                       "optimiser state: %s is %s (expected %" G_GSIZE_FORMAT " values)",
                       key, moments[i] ? "of another size" : "missing", vka_tensor_numel (p));
          return FALSE;
        }
    }
  for (guint i = 0; i < n * 2; i++)
    if (!t->backend->ops->tensor_write ((i % 2 ? t->v : t->m)->pdata[i / 2], moments[i]->data,
                                        error))
      return FALSE;
  t->iteration = iteration;
  return TRUE;
}

VkaWeights *
vka_decoder_init_weights (const VkaWeights *encoder, GRand *rand, GError **error)
{
  static const char *const taps[4] = { "2.weight", "9.weight", "16.weight", "29.weight" };
  int widths[4];
  for (int i = 0; i < 4; i++)
    {
      const VkaTensorData *d = vka_weights_get (encoder, taps[i]);
      if (!d || d->ndim != 4 || d->shape[0] < 1 || d->shape[0] > G_MAXINT)
        {
          g_set_error (error, VKA_ERROR, VKA_ERROR_MODEL,
                       "encoder: %s is missing or not a convolution weight", taps[i]);
          return NULL;
        }
      widths[i] = (int) d->shape[0];
    }
  return vka_network_pytorch_init_weights (VKA_NETWORK_DECODER, widths, rand);
}

VkaContext *
vka_context_new_for_training (const VkaContextOptions *options, GError **error)
{
  /* the same order as for stylising: GPU > CPU backend > lavapipe */
  return vka_context_new (options, error);
}
