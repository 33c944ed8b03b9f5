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

/* Bilinear ×2 upsampling, align_corners=False, along an axis of n inputs:
 * output index o reads input o/2 with weight 0.75 and its neighbour on o's
 * side (o/2 − 1 for even o, o/2 + 1 for odd, clamped) with 0.25. */
int bilinear2x_neighbour (int o, int n)
{
  return clamp ((o & 1) != 0 ? o / 2 + 1 : o / 2 - 1, 0, n - 1);
}

/* The weight input index i has in output index o (0: o does not read it). */
float bilinear2x_weight (int o, int i, int n)
{
  return (o / 2 == i ? 0.75 : 0.0) + (bilinear2x_neighbour (o, n) == i ? 0.25 : 0.0);
}
