#!/usr/bin/env python3
"""widen-decoder.py — more channels between two decoder layers, same output.

    training/widen-decoder.py IN_DIR OUT_DIR LAYER=WIDTH [LAYER=WIDTH ...]

IN_DIR is a training run's save folder; its newest checkpoint (the .ini, the
decoder and the optimiser's moments) is written to OUT_DIR with the output of
each named decoder convolution (its module index, e.g. 21 or 25) grown to
WIDTH channels, so that `vk-adain-train --save-dir OUT_DIR --resume` goes on
with the wider decoder (the run's train_log.csv is copied too).

Each new channel copies an existing one (the first ones in turn) and the next
layer's weights on every copy of a channel are divided by the number of
copies, so before noise the decoder computes exactly what it did (ReLU
commutes with copying a channel; the sum over the copies gives the old
weight). Then the incoming weights of every channel that has copies (the
original's too) get noise of NOISE (default 0.01) times the layer's weight
spread, which lets the copies learn different things; the optimiser's moments are carried the same way (the first moment
divided like the weights, the second by the square). Standard library only.
"""
import configparser
import math
import os
import random
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
avg = __import__("average-checkpoints")

CONVS = [1, 5, 8, 11, 14, 18, 21, 25, 28]   # the decoder's convolutions, in order


def widen(tensors, layer, width, share, noise, prefix=""):
    """Grows conv `layer`'s output channels in tensors (names with prefix);
    share(copies) scales the next layer's weights on each copy."""
    nxt = CONVS[CONVS.index(layer) + 1]
    wname, bname = f"{prefix}{layer}.weight", f"{prefix}{layer}.bias"
    nname = f"{prefix}{nxt}.weight"
    (cout, cin, k, _), w = tensors[wname]
    (_,), b = tensors[bname]
    (nout, nin, nk, _), nw = tensors[nname]
    if nin != cout:
        sys.exit(f"layer {nxt} takes {nin} channels, layer {layer} gives {cout}")
    if width <= cout:
        sys.exit(f"layer {layer} has {cout} channels already: give a larger width than that")
    source = [c if c < cout else (c - cout) % cout for c in range(width)]
    copies = [source.count(c) for c in range(cout)]
    per_out = cin * k * k
    new_w = []
    for c in range(width):
        new_w.extend(w[source[c] * per_out:(source[c] + 1) * per_out])
    new_b = [b[source[c]] for c in range(width)]
    per_in = nk * nk
    new_nw = []
    for o in range(nout):
        row = nw[o * nin * per_in:(o + 1) * nin * per_in]
        for c in range(width):
            s = source[c]
            scale = share(copies[s])
            new_nw.extend(v * scale for v in row[s * per_in:(s + 1) * per_in])
    if noise is not None:
        spread = math.sqrt(sum(v * v for v in w) / len(w))
        gen = random.Random(layer)
        for c in range(width):
            if c >= cout or copies[c] > 1:
                for i in range(c * per_out, (c + 1) * per_out):
                    new_w[i] += gen.gauss(0.0, noise * spread)
    tensors[wname] = ([width, cin, k, k], avg.array.array("f", new_w))
    tensors[bname] = ([width], avg.array.array("f", new_b))
    tensors[nname] = ([nout, width, nk, nk], avg.array.array("f", new_nw))


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__.strip().split("\n\n")[1])
    src, dst = sys.argv[1], sys.argv[2]
    try:
        plan = [tuple(int(x) for x in a.split("=")) for a in sys.argv[3:]]
        if any(len(step) != 2 for step in plan):
            raise ValueError
    except ValueError:
        sys.exit("give each layer to widen as LAYER=WIDTH, e.g. 25=32")
    for layer, _ in plan:
        if layer not in CONVS[:-1]:
            sys.exit(f"{layer} is not a decoder convolution before the last: one of "
                     + ", ".join(str(c) for c in CONVS[:-1]))
    noise = float(os.environ.get("NOISE", "0.01"))
    try:
        inis = [f for f in os.listdir(src) if f.startswith("resume_iter_") and f.endswith(".ini")]
    except OSError as e:
        sys.exit(f"{src}: {e.strerror}")
    if not inis:
        sys.exit(f"{src}: no checkpoint (resume_iter_*.ini)")
    ini_name = max(inis, key=lambda f: int(f[len("resume_iter_"):-4]))
    ini = configparser.ConfigParser()
    ini.read(os.path.join(src, ini_name))
    dec_name = ini["checkpoint"]["decoder"]
    state_name = ini["checkpoint"]["optimizer-state"]
    decoder = avg.read(os.path.join(src, dec_name))
    state = avg.read(os.path.join(src, state_name))
    # the moments are stored flat: give them the decoder's shapes meanwhile
    for name, (shape, _) in decoder.items():
        for p in ("m.", "v."):
            state[p + name] = (shape, state[p + name][1])
    for layer, width in plan:
        widen(state, layer, width, lambda n: 1.0 / n, None, "m.")
        widen(state, layer, width, lambda n: 1.0 / (n * n), None, "v.")
        widen(decoder, layer, width, lambda n: 1.0 / n, noise)
    for name, (shape, values) in state.items():
        state[name] = ([len(values)], values)
    os.makedirs(dst, exist_ok=True)
    avg.write(os.path.join(dst, dec_name), decoder)
    avg.write(os.path.join(dst, state_name), state)
    # the run's log goes on in the new folder (the trainer appends to it)
    if os.path.exists(os.path.join(src, "train_log.csv")):
        shutil.copyfile(os.path.join(src, "train_log.csv"), os.path.join(dst, "train_log.csv"))
    shutil.copyfile(os.path.join(src, ini_name), os.path.join(dst, ini_name))


if __name__ == "__main__":
    main()
