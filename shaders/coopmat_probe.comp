#version 450
#extension GL_KHR_cooperative_matrix : require
#extension GL_KHR_memory_scope_semantics : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
/* Compiled at configure time: whether glslang knows GL_KHR_cooperative_matrix
 * (shaders/meson.build builds conv3x3_coopmat only then). */
layout (local_size_x = 32) in;
layout (std430, binding = 0) buffer Data { float data[]; };

void main ()
{
  coopmat<float, gl_ScopeSubgroup, 16, 16, gl_MatrixUseAccumulator> c =
    coopmat<float, gl_ScopeSubgroup, 16, 16, gl_MatrixUseAccumulator> (0.0);
  coopMatStore (c, data, 0, 16, gl_CooperativeMatrixLayoutRowMajor);
}
