/* common.glsl — helpers shared by the compute shaders. */

/* Reflection padding index (PyTorch ReflectionPad): -1 -> 1, n -> n-2.
 * Clamped so that a map of size 1 reads its only element. */
int reflect_index (int i, int n)
{
  i = abs (i);
  i = (n - 1) - abs (i - (n - 1));
  return clamp (i, 0, n - 1);
}

/* The input index that output index i of a reflection-padded 3×3
 * convolution reads along an axis of n outputs. With
 * VKA_CONV3X3_UPSAMPLED the input is the half-size map that a nearest ×2
 * upsampling would have made the convolution's input: the upsampling is
 * folded into the loads (UPSCALE: outputs per input along an axis). */
#ifdef VKA_CONV3X3_UPSAMPLED
#define UPSCALE 2
#else
#define UPSCALE 1
#endif
int conv_source (int i, int n)
{
  return reflect_index (i, n) / UPSCALE;
}
