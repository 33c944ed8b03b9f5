/* stylize.c — models, styles and one stylisation:
 * image -> encoder -> AdaIN (strength, style mix) -> decoder -> image. */
#include "context-private.h"
#include "network.h"
#include "stylize-private.h"

#include <math.h>
#include <string.h>

struct VkaModel
{
  VkaContext *context;
  VkaBackend *backend;
  VkaNetwork *encoder;
  VkaNetwork *decoder;
};

struct VkaStyle
{
  int    channels;
  float *mean;
  float *std;
};

VkaModel *
vka_model_new (VkaContext *context, const VkaWeights *encoder, const VkaWeights *decoder,
               GError **error)
{
  VkaModel *model = g_new0 (VkaModel, 1);
  model->context = context;
  model->backend = vka_context_backend (context);
  model->encoder = vka_network_new (model->backend, VKA_NETWORK_ENCODER, encoder, 3,
                                    "encoder", error);
  if (model->encoder)
    model->decoder = vka_network_new (model->backend, VKA_NETWORK_DECODER, decoder,
                                      vka_network_out_channels (model->encoder),
                                      "decoder", error);
  if (!model->decoder)
    {
      vka_model_free (model);
      return NULL;
    }
  if (vka_network_out_channels (model->decoder) != 3)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_MODEL,
                   "decoder: the last layer gives %d channels, an RGB image needs 3",
                   vka_network_out_channels (model->decoder));
      vka_model_free (model);
      return NULL;
    }
  return model;
}

void
vka_model_free (VkaModel *model)
{
  if (!model)
    return;
  vka_network_free (model->encoder);
  vka_network_free (model->decoder);
  g_free (model);
}

int
vka_model_feature_channels (VkaModel *model)
{
  return vka_network_out_channels (model->encoder);
}

VkaStyle *
vka_style_new (int channels, const float *mean, const float *std)
{
  g_return_val_if_fail (channels > 0, NULL);
  VkaStyle *style = g_new0 (VkaStyle, 1);
  style->channels = channels;
  style->mean = g_memdup2 (mean, sizeof (float) * channels);
  style->std = g_memdup2 (std, sizeof (float) * channels);
  return style;
}

void
vka_style_free (VkaStyle *style)
{
  if (!style)
    return;
  g_free (style->mean);
  g_free (style->std);
  g_free (style);
}

int
vka_style_channels (const VkaStyle *style)
{
  return style->channels;
}

const float *
vka_style_mean (const VkaStyle *style)
{
  return style->mean;
}

const float *
vka_style_std (const VkaStyle *style)
{
  return style->std;
}

static gboolean
check_image (const char *what, const VkaImage *image, GError **error)
{
  if (image && image->pixels && image->width > 0 && image->height > 0
      && image->channels >= 1 && image->channels <= 4)
    return TRUE;
  g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
               "the %s image is empty or has an unsupported channel count", what);
  return FALSE;
}

static gboolean
check_cancel (GCancellable *cancellable, GError **error)
{
  if (!g_cancellable_is_cancelled (cancellable))
    return TRUE;
  g_set_error (error, VKA_ERROR, VKA_ERROR_CANCELLED, "cancelled");
  return FALSE;
}

VkaTensor *
vka_model_encode (VkaModel *model, const VkaImage *image, VkaLayerHook hook,
                  gpointer hook_data, GError **error)
{
  VkaBackend *b = model->backend;
  g_autoptr (VkaTensor) pixels = vka_tensor_new (b, 1, 1, image->height,
                                                 image->width * image->channels, error);
  if (!pixels || !b->ops->tensor_write (pixels, image->pixels, error))
    return NULL;
  g_autoptr (VkaTensor) rgb = vka_tensor_new (b, 1, 3, image->height, image->width, error);
  if (!rgb || !b->ops->image_to_tensor (b, pixels, image->channels, rgb, error))
    return NULL;
  return vka_network_forward (model->encoder, rgb, hook, hook_data, error);
}

VkaStyle *
vka_style_from_image (VkaModel *model, const VkaImage *image, GCancellable *cancellable,
                      GError **error)
{
  if (!check_image ("style", image, error) || !check_cancel (cancellable, error))
    return NULL;
  VkaBackend *b = model->backend;
  g_autoptr (VkaTensor) features = vka_model_encode (model, image, NULL, NULL, error);
  if (!features)
    return NULL;
  g_autoptr (VkaTensor) stats = vka_tensor_new (b, 1, features->c, 1, 2, error);
  if (!stats || !b->ops->channel_stats (b, features, stats, error))
    return NULL;
  g_autofree float *values = g_new (float, 2 * features->c);
  if (!b->ops->tensor_read (stats, values, error))
    return NULL;
  VkaStyle *style = g_new0 (VkaStyle, 1);
  style->channels = features->c;
  style->mean = g_new (float, features->c);
  style->std = g_new (float, features->c);
  for (int c = 0; c < features->c; c++)
    {
      style->mean[c] = values[2 * c];
      style->std[c] = values[2 * c + 1];
    }
  return style;
}

/* The mix of several styles is AdaIN with the weighted mean of their means
 * and of their stds (the normalised content is shared). */
static float *
mix_styles (const VkaStyle *const *styles, const double *weights, int n_styles,
            int channels, GError **error)
{
  double total = 0;
  for (int i = 0; i < n_styles; i++)
    {
      double w = weights ? weights[i] : 1.0;
      if (!(w >= 0) || !isfinite (w))
        {
          g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                       "style weight %d is %g; weights must be finite and >= 0", i + 1, w);
          return NULL;
        }
      if (styles[i]->channels != channels)
        {
          g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                       "style %d has %d channels of statistics, the model's encoder "
                       "gives %d", i + 1, styles[i]->channels, channels);
          return NULL;
        }
      total += w;
    }
  if (total <= 0)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                   "the style weights add up to 0");
      return NULL;
    }
  float *target = g_new0 (float, 2 * channels);
  for (int c = 0; c < channels; c++)
    {
      double mean = 0, std = 0;
      for (int i = 0; i < n_styles; i++)
        {
          double w = (weights ? weights[i] : 1.0) / total;
          mean += w * styles[i]->mean[c];
          std += w * styles[i]->std[c];
        }
      target[2 * c] = (float) mean;
      target[2 * c + 1] = (float) std;
    }
  return target;
}

static void
write_output (const VkaImage *content, const float *rgb, VkaImage *out)
{
  gsize n = (gsize) out->width * out->height;
  for (gsize i = 0; i < n; i++)
    {
      float *dst = out->pixels + i * out->channels;
      memcpy (dst, rgb + 3 * i, 3 * sizeof (float));
      if (out->channels == 4)
        dst[3] = content->channels == 2 || content->channels == 4
               ? content->pixels[i * content->channels + content->channels - 1]
               : 1.0f;
    }
}

gboolean
vka_stylize (VkaModel *model, const VkaImage *content, const VkaStyle *const *styles,
             const double *weights, int n_styles, const VkaStylizeOptions *options,
             VkaImage *out, VkaProgressFunc progress, gpointer progress_data,
             GCancellable *cancellable, GError **error)
{
  VkaStylizeOptions defaults = VKA_STYLIZE_OPTIONS_DEFAULT;
  if (!options)
    options = &defaults;
  if (!check_image ("content", content, error) || !check_image ("output", out, error))
    return FALSE;
  if (out->width != content->width || out->height != content->height
      || out->channels < 3)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                   "the output image must be %d×%d with 3 or 4 channels",
                   content->width, content->height);
      return FALSE;
    }
  if (n_styles < 1)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT, "no style given");
      return FALSE;
    }
  if (!(options->alpha >= 0.0 && options->alpha <= 1.0))
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_INVALID_ARGUMENT,
                   "strength %g is outside [0, 1]", options->alpha);
      return FALSE;
    }
  int channels = vka_model_feature_channels (model);
  g_autofree float *target = mix_styles (styles, weights, n_styles, channels, error);
  if (!target || !check_cancel (cancellable, error))
    return FALSE;

  VkaBackend *b = model->backend;
  g_autoptr (VkaTensor) features = vka_model_encode (model, content, NULL, NULL, error);
  if (!features || !vka_backend_flush (b, error))
    return FALSE;
  if (progress)
    progress (0.4, progress_data);
  if (!check_cancel (cancellable, error))
    return FALSE;

  g_autoptr (VkaTensor) stats = vka_tensor_new (b, 1, channels, 1, 2, error);
  g_autoptr (VkaTensor) target_stats = vka_tensor_new (b, 1, channels, 1, 2, error);
  g_autoptr (VkaTensor) t = vka_tensor_new (b, 1, channels, features->h, features->w,
                                            error);
  if (!stats || !target_stats || !t
      || !b->ops->tensor_write (target_stats, target, error)
      || !b->ops->channel_stats (b, features, stats, error)
      || !b->ops->adain (b, features, stats, target_stats, (float) options->alpha, t, error))
    return FALSE;
  g_clear_pointer (&features, vka_tensor_free);

  g_autoptr (VkaTensor) decoded = vka_network_forward (model->decoder, t, NULL, NULL, error);
  g_autoptr (VkaTensor) rgb = vka_tensor_new (b, 1, 1, content->height, content->width * 3,
                                              error);
  if (!decoded || !rgb || !b->ops->tensor_to_image (b, decoded, 0, 0, rgb, error))
    return FALSE;
  g_autofree float *pixels = g_try_new (float, vka_tensor_numel (rgb));
  if (!pixels)
    {
      g_set_error (error, VKA_ERROR, VKA_ERROR_OUT_OF_MEMORY,
                   "cannot allocate the %d×%d output", content->width, content->height);
      return FALSE;
    }
  if (!b->ops->tensor_read (rgb, pixels, error))
    return FALSE;
  write_output (content, pixels, out);
  if (progress)
    progress (1.0, progress_data);
  return TRUE;
}

VkaNetwork *
vka_model_decoder (VkaModel *model)
{
  return model->decoder;
}
