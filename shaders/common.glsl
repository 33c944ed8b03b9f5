/* common.glsl — helpers shared by the compute shaders. */

/* Reflection padding index (PyTorch ReflectionPad): -1 -> 1, n -> n-2.
 * Clamped so that a map of size 1 reads its only element. */
int reflect_index (int i, int n)
{
  i = abs (i);
  i = (n - 1) - abs (i - (n - 1));
  return clamp (i, 0, n - 1);
}
