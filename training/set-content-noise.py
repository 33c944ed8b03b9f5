#!/usr/bin/env python3
"""set-content-noise.py — set the content noise a decoder asks vk-adain for.

    training/set-content-noise.py IN.safetensors OUT.safetensors SIGMA

Writes IN's tensors to OUT with `input.noise` = [SIGMA]: vk-adain then adds
Gaussian noise of that standard deviation (RGB in [0, 1]) to each content
picture, at the size it is stylised at, before encoding it (compute/vka.h,
VKA_DECODER_NOISE_KEY). vk-adain-train --content-noise trains a decoder with
it and writes the key itself; this is for a decoder trained without, whose
pictures the noise improves too (bench/RESULTS.md). SIGMA 0 removes the key.
Standard library only; OUT is written to a temporary file and renamed.
"""
import array
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
avg = __import__("average-checkpoints")

KEY = "input.noise"


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__.strip().splitlines()[2].strip())
    src, dst, text = sys.argv[1:]
    try:
        sigma = float(text)
    except ValueError:
        sys.exit(f"SIGMA {text!r} is not a number")
    if not 0 <= sigma <= 1:
        sys.exit(f"SIGMA {sigma} is outside [0, 1]")
    tensors = avg.read(src)
    tensors.pop(KEY, None)
    if sigma > 0:
        tensors[KEY] = ([1], array.array("f", [sigma]))
    avg.write(dst, tensors)


if __name__ == "__main__":
    main()
