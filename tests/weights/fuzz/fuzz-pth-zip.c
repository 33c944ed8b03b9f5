/* fuzz-pth-zip.c — libFuzzer target for one reader, bypassing detection. */
#include "weights/weights-private.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GError *error = NULL;
  VkaWeights *w = vka_pth_zip_load (data, size, "fuzz", &error);
  if (!w && (!error || error->domain != VKA_ERROR))
    __builtin_trap ();
  vka_weights_free (w);
  g_clear_error (&error);
  return 0;
}
