/* model-load.c — a model from its two weight files. */
#include "vka-prepare.h"
#include "vka-i18n.h"

VkaModel *
vka_model_load (VkaContext *context, const char *encoder_path, const char *decoder_path,
                GError **error)
{
  g_autoptr (VkaWeights) encoder = vka_weights_load (encoder_path, NULL, error);
  if (!encoder)
    return NULL;
  g_autoptr (VkaWeights) decoder = vka_weights_load (decoder_path, NULL, error);
  if (!decoder)
    return NULL;
  g_autoptr (GError) e = NULL;
  VkaModel *model = vka_model_new (context, encoder, decoder, &e);
  if (!model)
    {
      g_autofree char *enc = g_filename_display_name (encoder_path);
      g_autofree char *dec = g_filename_display_name (decoder_path);
      g_set_error (error, e->domain, e->code, _("model %s + %s: %s"), enc, dec, e->message);
    }
  return model;
}
