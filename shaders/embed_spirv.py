#!/usr/bin/env python3
"""Write the C side of shader_table (shaders/meson.build): the compiled SPIR-V
modules as uint32_t arrays, the enum of shader ids (vka-shaders.h), and two
tables indexed by it (vka-shaders.c): vka_shader_blobs (name and code) and
vka_vk_kernel_specs (what the pipeline layout needs: the kind of each binding
and the size of the push-constant block).

Before writing, each row's bindings and push block are checked against its
module: the bound variables must be bindings 0..n-1 of set 0, a storage
buffer where the row says s and a texel buffer (float texels for f and v,
uint texels for u) elsewhere; the push-constant block must be VkaPush<push>.
(f and v differ only in the view's format, which SPIR-V does not say.)

usage: embed_spirv.py OUT.h OUT.c ID:BINDINGS:PUSH=FILE.spv ...
"""
import struct
import sys

# A letter of the bindings column: the VkaVkBindingKind it stands for.
KINDS = {
    "s": "VKA_VK_STORAGE",
    "f": "VKA_VK_TEXELS_R32F",
    "v": "VKA_VK_TEXELS_RGBA32F",
    "u": "VKA_VK_TEXELS_RG32UI",
}
MAX_BINDINGS = 8

# SPIR-V opcodes, decorations, storage classes and dimensions read below
OP_NAME, OP_TYPE_INT, OP_TYPE_FLOAT, OP_TYPE_IMAGE = 5, 21, 22, 25
OP_TYPE_SAMPLED_IMAGE, OP_TYPE_STRUCT, OP_TYPE_POINTER = 27, 30, 32
OP_VARIABLE, OP_DECORATE = 59, 71
DEC_BLOCK, DEC_BUFFER_BLOCK, DEC_BINDING, DEC_SET = 2, 3, 33, 34
SC_UNIFORM, SC_PUSH_CONSTANT, SC_STORAGE_BUFFER = 2, 9, 12
DIM_BUFFER = 5


def read_module(path):
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) % 4 or len(blob) < 20:
        sys.exit(f"{path}: not a SPIR-V module ({len(blob)} bytes)")
    words = struct.unpack(f"<{len(blob) // 4}I", blob)
    if words[0] != 0x07230203:
        sys.exit(f"{path}: bad SPIR-V magic 0x{words[0]:08x}")
    return words


def instructions(words):
    i = 5
    while i < len(words):
        count, opcode = words[i] >> 16, words[i] & 0xFFFF
        if count == 0:
            sys.exit("malformed SPIR-V: an instruction of 0 words")
        yield opcode, words[i + 1:i + count]
        i += count


def literal_string(operands):
    raw = struct.pack(f"<{len(operands)}I", *operands)
    return raw.split(b"\0", 1)[0].decode()


def reflect(words):
    """The module's bound variables as {binding: letter class} ('s' storage,
    'f' float texels, 'u' uint texels), and its push block's name."""
    names, types, decorations, variables = {}, {}, {}, []
    for op, args in instructions(words):
        if op == OP_NAME:
            names[args[0]] = literal_string(args[1:])
        elif op in (OP_TYPE_INT, OP_TYPE_FLOAT, OP_TYPE_IMAGE, OP_TYPE_SAMPLED_IMAGE,
                    OP_TYPE_STRUCT, OP_TYPE_POINTER):
            types[args[0]] = (op, args[1:])
        elif op == OP_DECORATE:
            decorations.setdefault(args[0], {})[args[1]] = args[2:]
        elif op == OP_VARIABLE:
            variables.append((args[1], args[0], args[2]))
    bindings, push = {}, None
    for var, pointer, storage in variables:
        pointee_id = types[pointer][1][1]
        pointee = types.get(pointee_id, (None, ()))
        if storage == SC_PUSH_CONSTANT:
            push = names.get(pointee_id)
            continue
        dec = decorations.get(var, {})
        if DEC_BINDING not in dec:
            continue
        if dec.get(DEC_SET, [0])[0] != 0:
            sys.exit(f"binding {dec[DEC_BINDING][0]} is not in descriptor set 0")
        binding = dec[DEC_BINDING][0]
        if pointee[0] == OP_TYPE_SAMPLED_IMAGE:
            image = types[pointee[1][0]]
            sampled = types[image[1][0]][0]
            if image[1][1] != DIM_BUFFER:
                sys.exit(f"binding {binding} is an image, not a texel buffer")
            kind = "u" if sampled == OP_TYPE_INT else "f"
        elif pointee[0] == OP_TYPE_STRUCT and (
                storage == SC_STORAGE_BUFFER
                or DEC_BUFFER_BLOCK in decorations.get(pointee_id, {})):
            kind = "s"
        else:
            sys.exit(f"binding {binding} is neither a storage buffer nor a texel buffer")
        bindings[binding] = kind
    return bindings, push


def check(name, letters, push, words):
    bindings, block = reflect(words)
    expected = {i: "f" if c == "v" else c for i, c in enumerate(letters)}
    if bindings != expected:
        seen = "".join(bindings.get(i, "-") for i in range(max(bindings, default=-1) + 1))
        sys.exit(f"shader_table row {name}: bindings '{letters}', but the module binds "
                 f"'{seen}' (s storage, f texels of floats, u of uints)")
    if block != f"VkaPush{push}Block":
        sys.exit(f"shader_table row {name}: push '{push}', but the module's push-constant "
                 f"block is {block}")


def parse_args(args):
    shaders = []
    for arg in args:
        row, path = arg.split("=", 1)
        name, letters, push = row.split(":")
        if not 0 < len(letters) <= MAX_BINDINGS or set(letters) - set(KINDS):
            sys.exit(f"shader_table row {name}: bindings '{letters}': 1 to {MAX_BINDINGS} "
                     f"of the letters {''.join(KINDS)}")
        words = read_module(path)
        check(name, letters, push, words)
        shaders.append((name, letters, push, words))
    return shaders


HEADER_TYPES = """\
typedef struct
{
  const char     *name;
  const uint32_t *code;
  size_t          size_bytes;
} VkaShaderBlob;

extern const VkaShaderBlob vka_shader_blobs[VKA_SHADER_COUNT];

/* How a shader sees a buffer (a letter of shader_table's bindings): a storage
 * buffer (s), or a uniform texel buffer of floats (f) or of vec4s (v)
 * (texelFetch is 2× faster than storage loads on lavapipe), or of uvec2s (u:
 * the fp16 Winograd scratch, vec4s of float16 as packHalf2x16 pairs). */
typedef enum
{
  VKA_VK_STORAGE,
  VKA_VK_TEXELS_R32F,
  VKA_VK_TEXELS_RGBA32F,
  VKA_VK_TEXELS_RG32UI,
  VKA_VK_BINDING_KINDS
} VkaVkBindingKind;

#define VKA_VK_MAX_BINDINGS %d

/* What each shader binds (in binding order) and pushes: its pipeline layout. */
typedef struct
{
  unsigned         n_bindings;
  unsigned         push_size;
  VkaVkBindingKind kinds[VKA_VK_MAX_BINDINGS];
} VkaVkKernelSpec;

extern const VkaVkKernelSpec vka_vk_kernel_specs[VKA_SHADER_COUNT];
"""

GENERATED = ("/* Generated by shaders/embed_spirv.py from shader_table in "
             "shaders/meson.build:\n * do not edit. */\n")


def write_header(path, shaders):
    with open(path, "w") as h:
        h.write(GENERATED)
        h.write("#pragma once\n#include <stddef.h>\n#include <stdint.h>\n\n")
        h.write("/* One id per row of shader_table. */\ntypedef enum\n{\n")
        for name, _, _, _ in shaders:
            h.write(f"  VKA_SHADER_{name.upper()},\n")
        h.write("  VKA_SHADER_COUNT\n} VkaShaderId;\n\n")
        h.write(HEADER_TYPES % MAX_BINDINGS)


def write_source(path, shaders):
    with open(path, "w") as c:
        c.write(GENERATED)
        c.write('#include "vka-shaders.h"\n#include "push-constants.h"\n\n')
        for name, _, _, words in shaders:
            c.write(f"static const uint32_t spirv_{name}[{len(words)}] = {{\n")
            for i in range(0, len(words), 8):
                c.write("  " + ", ".join(f"0x{w:08x}" for w in words[i:i + 8]) + ",\n")
            c.write("};\n\n")
        c.write("const VkaShaderBlob vka_shader_blobs[VKA_SHADER_COUNT] = {\n")
        for name, _, _, _ in shaders:
            c.write(f'  [VKA_SHADER_{name.upper()}] = {{ "{name}", spirv_{name}, '
                    f"sizeof spirv_{name} }},\n")
        c.write("};\n\n")
        c.write("const VkaVkKernelSpec vka_vk_kernel_specs[VKA_SHADER_COUNT] = {\n")
        for name, letters, push, _ in shaders:
            kinds = ", ".join(KINDS[k] for k in letters)
            c.write(f"  [VKA_SHADER_{name.upper()}] = {{  /* {letters} */\n"
                    f"    {len(letters)}, sizeof (VkaPush{push}),\n"
                    f"    {{ {kinds} }},\n  }},\n")
        c.write("};\n")


def main(argv):
    out_h, out_c = argv[1], argv[2]
    shaders = parse_args(argv[3:])
    write_header(out_h, shaders)
    write_source(out_c, shaders)


if __name__ == "__main__":
    main(sys.argv)
