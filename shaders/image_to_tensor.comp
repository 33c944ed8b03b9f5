#version 450
#extension GL_GOOGLE_include_directive : require
/* image_to_tensor: interleaved pixels (1–4 channels) -> 1×3×H×W planes; gray
 * is replicated to RGB and alpha is dropped. Grid: x = W, y = H. */
#define VKA_PUSH_IMAGE
#include "common.glsl"
#include "push-constants.h"

layout (local_size_x = 16, local_size_y = 16, local_size_z = 1) in;

layout (std430, binding = 0) readonly buffer Image { float image[]; };
layout (std430, binding = 1) writeonly buffer Output { float out_data[]; };

void main ()
{
  uint x = gl_GlobalInvocationID.x, y = gl_GlobalInvocationID.y;
  if (x >= pc.image_width || y >= pc.image_height)
    return;
  uint pos = y * pc.tensor_width + x;
  uint plane = pc.tensor_width * pc.tensor_height;
  uint src = (y * pc.image_width + x) * pc.image_channels;
  bool gray = pc.image_channels < 3u;
  for (uint c = 0u; c < 3u; c++)
    out_data[c * plane + pos] = image[src + (gray ? 0u : c)];
}
