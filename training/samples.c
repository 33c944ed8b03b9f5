/* samples.c — see samples.h. */
#include "samples.h"
#include "data-loader.h"
#include "vka-imageio.h"
#include "vka-prepare.h"

gboolean
samples_write (VkaContext *context, const VkaWeights *encoder, VkaTrainer *trainer,
               const char *content_path, const char *style_path, int size, const char *dir,
               int iteration, GError **error)
{
  g_autoptr (VkaWeights) decoder = vka_trainer_decoder_weights (trainer, error);
  if (!decoder)
    return FALSE;
  g_autoptr (VkaModel) model = vka_model_new (context, encoder, decoder, error);
  if (!model)
    return FALSE;
  g_autoptr (VkaImage) content = data_loader_load_rgb (content_path, size, error);
  if (!content)
    return FALSE;
  /* Encoded as the CLI encodes a style (gray replicated, alpha ignored),
   * bypassing the style cache: the decoder changes, the encoder does not,
   * and a sample's style is one picture. */
  g_autoptr (VkaStyleSource) source = vka_style_source_new_file (style_path, size, FALSE,
                                                                 error);
  VkaStyleEncodeOptions encode = VKA_STYLE_ENCODE_OPTIONS_DEFAULT;
  encode.cache = FALSE;
  g_autoptr (VkaStyle) style = source ? vka_style_source_encode (model, source, &encode, NULL,
                                                                 error) : NULL;
  if (!style)
    return FALSE;
  g_autoptr (VkaImage) out = vka_image_new (content->width, content->height, 3, error);
  VkaStylizeOptions opts = VKA_STYLIZE_OPTIONS_DEFAULT;
  const VkaStyle *styles[1] = { style };
  double weights[1] = { 1 };
  if (!out || !vka_stylize (model, content, styles, weights, 1, &opts, out, NULL, NULL, NULL,
                            error))
    return FALSE;
  g_autofree char *name = g_strdup_printf ("sample_iter_%d.png", iteration);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  return vka_image_save (out, path, error);
}
