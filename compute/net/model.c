/* model.c — a model: the encoder and decoder networks on a context's
 * backend, and what the tiling and the tests ask of them. */
#include "model-private.h"
#include "stylize-private.h"
#include "tiling.h"

#include <string.h>

/* The tensors the encoder reads: "{i}.weight" / "{i}.bias" up to relu4_1's
 * conv (index 29); the deeper layers a full VGG file holds do not count. */
static char *
encoder_fingerprint (const VkaWeights *encoder)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  for (guint i = 0; i < vka_weights_count (encoder); i++)
    {
      const VkaTensorData *t = vka_weights_nth (encoder, i);
      char *end = NULL;
      gint64 index = g_ascii_strtoll (t->name, &end, 10);
      if (end == t->name || *end != '.' || index > 29)
        continue;
      g_checksum_update (sum, (const guchar *) t->name, (gssize) strlen (t->name) + 1);
      g_checksum_update (sum, (const guchar *) t->shape, t->ndim * sizeof t->shape[0]);
      g_checksum_update (sum, (const guchar *) t->data,
                         vka_tensor_data_numel (t) * (gssize) sizeof (float));
    }
  return g_strdup (g_checksum_get_string (sum));
}

const char *
vka_model_encoder_fingerprint (VkaModel *model)
{
  return model->encoder_fingerprint;
}

VkaModel *
vka_model_new (VkaContext *context, const VkaWeights *encoder, const VkaWeights *decoder,
               GError **error)
{
  VkaModel *model = g_new0 (VkaModel, 1);
  model->context = context;
  model->backend = vka_context_backend (context);
  model->encoder_fingerprint = encoder_fingerprint (encoder);
  model->cpu_memory = vka_context_device (context)->type == VKA_DEVICE_CPU;
  model->encoder = vka_network_new_encoder_for_inference (model->backend, encoder, "encoder",
                                                          error);
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
  model->content_noise = vka_network_content_noise (model->decoder);
  return model;
}

float
vka_model_content_noise (VkaModel *model)
{
  return model->content_noise;
}

void
vka_model_set_content_noise (VkaModel *model, float sigma)
{
  model->content_noise = CLAMP (sigma, 0.0f, 1.0f);
}

void
vka_model_free (VkaModel *model)
{
  if (!model)
    return;
  vka_network_free (model->encoder);
  vka_network_free (model->decoder);
  g_free (model->encoder_fingerprint);
  g_free (model);
}

void
vka_model_set_keep_budget (VkaModel *model, guint64 device_bytes, guint64 host_bytes)
{
  model->keep_fixed = TRUE;
  model->keep_device_bytes = device_bytes;
  model->keep_host_bytes = host_bytes;
}

guint64
vka_model_tile_working_bytes (VkaModel *model, int channels, int ww, int wh, int iw, int ih)
{
  return vka_tile_working_bytes (model->backend, model->encoder, model->decoder, channels,
                                 ww, wh, iw, ih);
}

guint64
vka_model_default_memory_limit (VkaModel *model)
{
  guint64 available = vka_host_available_bytes ();
  guint64 device = vka_context_device (model->context)->memory_bytes;
  /* 64 MiB at least: less than that holds no tile worth the halo */
  if (model->cpu_memory || device == 0)
    return MAX ((guint64) 64 << 20, MIN ((guint64) 1 << 30, available / 4));
  return MAX ((guint64) 64 << 20, MIN ((guint64) 4 << 30, device / 2));
}

guint
vka_model_encoder_runs (VkaModel *model)
{
  return model->encoder_runs;
}

int
vka_model_feature_channels (VkaModel *model)
{
  return vka_network_out_channels (model->encoder);
}

VkaTensor *
vka_model_encode (VkaModel *model, const VkaImage *image, VkaLayerHook hook,
                  gpointer hook_data, GError **error)
{
  VkaBackend *b = model->backend;
  model->encoder_runs++;
  g_autoptr (VkaTensor) pixels = vka_tensor_new (b, 1, 1, image->height,
                                                 image->width * image->channels, error);
  if (!pixels || !b->ops->tensor_write (pixels, image->pixels, error))
    return NULL;
  g_autoptr (VkaTensor) rgb = vka_tensor_new (b, 1, 3, image->height, image->width, error);
  if (!rgb || !b->ops->image_to_tensor (b, pixels, image->channels, rgb, error))
    return NULL;
  g_clear_pointer (&pixels, vka_tensor_free);
  return vka_network_forward_take (model->encoder, g_steal_pointer (&rgb), hook, hook_data,
                                   error);
}

VkaNetwork *
vka_model_decoder (VkaModel *model)
{
  return model->decoder;
}
