#version 450
#extension GL_GOOGLE_include_directive : require
/* tensor_to_image: the W×H window at (origin_x, origin_y) of 1×3×TH×TW planes
 * -> interleaved RGB clamped to [0,1]. Grid: x = W, y = H. */
#define VKA_PUSH_IMAGE
#include "common.glsl"
#include "push-constants.h"

layout (local_size_x = 16, local_size_y = 16, local_size_z = 1) in;

layout (std430, binding = 0) readonly buffer Input { float in_data[]; };
layout (std430, binding = 1) writeonly buffer Image { float image[]; };

void main ()
{
  uint x = gl_GlobalInvocationID.x, y = gl_GlobalInvocationID.y;
  if (x >= pc.image_width || y >= pc.image_height)
    return;
  uint pos = (y + pc.origin_y) * pc.tensor_width + x + pc.origin_x;
  uint plane = pc.tensor_width * pc.tensor_height;
  uint dst = (y * pc.image_width + x) * 3u;
  for (uint c = 0u; c < 3u; c++)
    image[dst + c] = clamp (in_data[c * plane + pos], 0.0, 1.0);
}
