#!/usr/bin/env python3
"""average-checkpoints.py — the mean of several decoders, tensor by tensor.

    training/average-checkpoints.py OUT.safetensors A.safetensors B.safetensors ...

Every input must hold the same float32 tensors (names and shapes), as the
trainer's decoder_iter_{i}.safetensors of one run do. Single checkpoints of a
run swing from one to the next; their mean is often better than any of them.
Standard library only; the output is written to a temporary file and renamed.
"""
import array
import json
import os
import struct
import sys


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        sys.exit(f"{path}: too short for a safetensors file")
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        sys.exit(f"{path}: its header runs past the end of the file")
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    tensors = {}
    for name, info in header.items():
        if info["dtype"] != "F32":
            sys.exit(f"{path}: {name} is {info['dtype']}, not F32")
        begin, end = info["data_offsets"]
        values = array.array("f")
        values.frombytes(data[8 + n + begin:8 + n + end])
        if sys.byteorder != "little":
            values.byteswap()
        tensors[name] = (info["shape"], values)
    return tensors


def write(path, tensors):
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        shape, values = tensors[name]
        blob = values.tobytes() if sys.byteorder == "little" else None
        if blob is None:
            copy = array.array("f", values)
            copy.byteswap()
            blob = copy.tobytes()
        header[name] = {"dtype": "F32", "shape": shape,
                        "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for blob in blobs:
            f.write(blob)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__.strip().split("\n\n")[1])
    out, inputs = sys.argv[1], sys.argv[2:]
    first = read(inputs[0])
    sums = {k: (shape, [float(v) for v in values]) for k, (shape, values) in first.items()}
    for path in inputs[1:]:
        other = read(path)
        if other.keys() != first.keys():
            sys.exit(f"{path}: holds other tensors than {inputs[0]}")
        for name, (shape, values) in other.items():
            if shape != sums[name][0]:
                sys.exit(f"{path}: {name} is {shape}, not {sums[name][0]}")
            acc = sums[name][1]
            for i, v in enumerate(values):
                acc[i] += v
    k = 1.0 / len(inputs)
    write(out, {name: (shape, array.array("f", (v * k for v in acc)))
                for name, (shape, acc) in sums.items()})
    print(f"{out}: the mean of {len(inputs)} decoders ({len(sums)} tensors)")


if __name__ == "__main__":
    main()
