#version 450
#extension GL_GOOGLE_include_directive : require
/* optimizer_step: one Adam step as PyTorch takes it —
 * m = β1·m + (1−β1)·g, v = β2·v + (1−β2)·g², p −= step_size·m/(sqrt(v)·inv_sqrt_bc2 + ε)
 * with step_size = lr/(1−β1^t) — or, with sgd, p −= lr·g.
 * Grid: 256 per workgroup over a 2-D grid of pc.row invocations per row. */
#define VKA_PUSH_OPTIMIZER
#include "common.glsl"
#include "push-constants.h"

layout (local_size_x = 256, local_size_y = 1, local_size_z = 1) in;

layout (std430, binding = 0) buffer Param { float param[]; };
layout (std430, binding = 1) readonly buffer Grad { float grad[]; };
layout (std430, binding = 2) buffer M { float m[]; };
layout (std430, binding = 3) buffer V { float v[]; };

void main ()
{
  uint i = gl_GlobalInvocationID.y * pc.row + gl_GlobalInvocationID.x;
  if (i >= pc.count)
    return;
  float g = grad[i];
  if (pc.sgd != 0u)
    {
      param[i] -= pc.step_size * g;
      return;
    }
  float mi = pc.beta1 * m[i] + pc.one_minus_beta1 * g;
  float vi = pc.beta2 * v[i] + pc.one_minus_beta2 * g * g;
  m[i] = mi;
  v[i] = vi;
  param[i] -= pc.step_size * mi / (sqrt (vi) * pc.inv_sqrt_bc2 + pc.eps);
}
