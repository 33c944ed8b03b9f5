#!/usr/bin/env python3
"""average-checkpoints.py and widen-decoder.py on small generated decoders:
the mean is the mean; a widened decoder computes what the narrow one did
(a plain-Python forward pass of its last three convolutions); the optimiser's
moments follow the weights; noise touches only the copies' incoming weights."""
import array
import configparser
import importlib.util
import os
import random
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from tap import check, finish  # noqa: E402
TRAINING = os.path.join(HERE, "..", "..", "training")


def load(name):
    spec = importlib.util.spec_from_file_location(name.replace("-", "_"),
                                                  os.path.join(TRAINING, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


avg = load("average-checkpoints")
widen = load("widen-decoder")


# widths as the decoder's convolutions see them: (out, in) per module index
SHAPES = {1: (6, 8), 5: (6, 6), 8: (6, 6), 11: (6, 6), 14: (5, 6), 18: (5, 5),
          21: (3, 5), 25: (3, 3), 28: (3, 3)}


def random_decoder(seed):
    gen = random.Random(seed)
    tensors = {}
    for index, (cout, cin) in SHAPES.items():
        tensors[f"{index}.weight"] = ([cout, cin, 3, 3],
                                      array.array("f", [gen.uniform(-0.5, 0.5)
                                                        for _ in range(cout * cin * 9)]))
        tensors[f"{index}.bias"] = ([cout], array.array("f", [gen.uniform(-0.1, 0.1)
                                                               for _ in range(cout)]))
    return tensors


def conv3x3(x, tensors, index, relu):
    """x: [channels][rows][cols]; reflection padding, as the decoder's."""
    (cout, cin, _, _), w = tensors[f"{index}.weight"]
    _, b = tensors[f"{index}.bias"]
    h, wd = len(x[0]), len(x[0][0])

    def at(c, i, j):
        i = -i if i < 0 else (2 * (h - 1) - i if i >= h else i)
        j = -j if j < 0 else (2 * (wd - 1) - j if j >= wd else j)
        return x[c][i][j]

    out = []
    for o in range(cout):
        plane = []
        for i in range(h):
            row = []
            for j in range(wd):
                s = b[o]
                for c in range(cin):
                    base = (o * cin + c) * 9
                    for di in range(3):
                        for dj in range(3):
                            s += w[base + di * 3 + dj] * at(c, i + di - 1, j + dj - 1)
                row.append(max(s, 0.0) if relu else s)
            plane.append(row)
        out.append(plane)
    return out


def tail(tensors, x):
    """The decoder's last three convolutions (21, 25 with ReLU; 28 without)."""
    return conv3x3(conv3x3(conv3x3(x, tensors, 21, True), tensors, 25, True), tensors, 28, False)


def max_diff(a, b):
    return max(abs(u - v) for pa, pb in zip(a, b) for ra, rb in zip(pa, pb)
               for u, v in zip(ra, rb))


def write_run(folder, decoder, iteration=40):
    os.makedirs(folder, exist_ok=True)
    avg.write(os.path.join(folder, f"decoder_iter_{iteration}.safetensors"), decoder)
    state = {}
    gen = random.Random(7)
    for name, (shape, values) in decoder.items():
        n = len(values)
        state["m." + name] = ([n], array.array("f", [gen.uniform(-1, 1) for _ in range(n)]))
        state["v." + name] = ([n], array.array("f", [gen.uniform(0, 1) for _ in range(n)]))
    avg.write(os.path.join(folder, f"resume_iter_{iteration}.safetensors"), state)
    with open(os.path.join(folder, f"resume_iter_{iteration}.ini"), "w") as f:
        f.write(f"[checkpoint]\nformat-version=1\niteration={iteration}\n"
                f"decoder=decoder_iter_{iteration}.safetensors\n"
                f"optimizer-state=resume_iter_{iteration}.safetensors\noptimizer=adam\n")
    return state


def run_widen(src, dst, noise, *plan):
    env = dict(os.environ, NOISE=str(noise))
    return subprocess.run([sys.executable, os.path.join(TRAINING, "widen-decoder.py"), src, dst,
                           *plan], env=env, capture_output=True, text=True)


with tempfile.TemporaryDirectory() as tmp:
    # the mean of two decoders, tensor by tensor
    a, b = random_decoder(1), random_decoder(2)
    pa, pb, pm = (os.path.join(tmp, n) for n in ("a.safetensors", "b.safetensors", "m.safetensors"))
    avg.write(pa, a)
    avg.write(pb, b)
    r = subprocess.run([sys.executable, os.path.join(TRAINING, "average-checkpoints.py"),
                        pm, pa, pb], capture_output=True, text=True)
    m = avg.read(pm) if r.returncode == 0 else {}
    check("average-checkpoints.py runs", r.returncode == 0)
    check("the mean holds the same tensors", m.keys() == a.keys())
    check("each value is the mean of the two",
          all(abs(m[k][1][i] - (a[k][1][i] + b[k][1][i]) / 2) < 1e-6
              for k in a for i in range(len(a[k][1]))))
    other = dict(a)
    other["25.bias"] = ([4], array.array("f", [0.0] * 4))
    avg.write(pb, other)
    r = subprocess.run([sys.executable, os.path.join(TRAINING, "average-checkpoints.py"),
                        pm, pa, pb], capture_output=True, text=True)
    check("a tensor of another shape is an error naming the file and the tensor",
          r.returncode != 0 and pb in r.stderr and "25.bias" in r.stderr)

    # widening without noise: the same outputs, the moments carried
    src = os.path.join(tmp, "run")
    state = write_run(src, a)
    dst = os.path.join(tmp, "wide")
    r = run_widen(src, dst, 0, "21=5", "25=7")
    check("widen-decoder.py runs", r.returncode == 0)
    wide = avg.read(os.path.join(dst, "decoder_iter_40.safetensors"))
    wide_state = avg.read(os.path.join(dst, "resume_iter_40.safetensors"))
    check("the new widths", wide["21.weight"][0] == [5, 5, 3, 3] and wide["21.bias"][0] == [5]
          and wide["25.weight"][0] == [7, 5, 3, 3] and wide["28.weight"][0] == [3, 7, 3, 3])
    check("the other layers unchanged",
          all(wide[k] == a[k] for k in a if k.split(".")[0] not in ("21", "25", "28")))
    check("the moments as long as their weights",
          all(len(wide_state[p + k][1]) == len(wide[k][1]) for k in wide for p in ("m.", "v.")))
    gen = random.Random(3)
    x = [[[gen.uniform(0, 1) for _ in range(5)] for _ in range(4)] for _ in range(5)]
    narrow_out, wide_out = tail(a, x), tail(wide, x)
    check("the widened decoder computes the same output", max_diff(narrow_out, wide_out) < 1e-5)
    # 28's input channel 3 is a copy of channel 0 (3 channels → 7: 0 1 2 0 1 2 0):
    # channel 0 has three copies, so its weights and first moments are divided by 3
    # and its second moments by 9
    w28, m28, v28 = a["28.weight"][1], state["m.28.weight"][1], state["v.28.weight"][1]
    ww, wm, wv = wide["28.weight"][1], wide_state["m.28.weight"][1], wide_state["v.28.weight"][1]
    check("a copied channel's outgoing weights divided by its copies",
          all(abs(ww[(o * 7 + c) * 9 + t] - w28[(o * 3) * 9 + t] / 3) < 1e-6
              for o in range(3) for c in (0, 3, 6) for t in range(9)))
    check("first moments divided like the weights, second moments by the square",
          all(abs(wm[(o * 7 + 3) * 9 + t] - m28[o * 27 + t] / 3) < 1e-6
              and abs(wv[(o * 7 + 3) * 9 + t] - v28[o * 27 + t] / 9) < 1e-6
              for o in range(3) for t in range(9)))
    ini = configparser.ConfigParser()
    ini.read(os.path.join(dst, "resume_iter_40.ini"))
    check("the checkpoint's .ini copied", ini["checkpoint"]["iteration"] == "40")

    # with noise: only the copies' incoming weights move
    noisy_dst = os.path.join(tmp, "noisy")
    r = run_widen(src, noisy_dst, 0.01, "25=5")
    noisy = avg.read(os.path.join(noisy_dst, "decoder_iter_40.safetensors"))
    w25, n25 = a["25.weight"][1], noisy["25.weight"][1]
    per = 3 * 9   # 25 takes 21's 3 channels
    check("an original channel's incoming weights kept when it has no copy",
          n25[2 * per:3 * per] == w25[2 * per:3 * per])
    check("a copy's incoming weights get noise",
          n25[3 * per:4 * per] != w25[0:per]
          and max(abs(u - v) for u, v in zip(n25[3 * per:4 * per], w25[0:per])) < 0.1)
    out = tail(noisy, x)
    check("noise changes the output a little", 0 < max_diff(out, narrow_out) < 0.5)

    r = run_widen(src, os.path.join(tmp, "bad"), 0, "21=2")
    check("a narrower width is an error", r.returncode != 0 and "21" in r.stderr)
    r = run_widen(os.path.join(tmp, "nothing"), os.path.join(tmp, "bad"), 0, "21=8")
    check("a folder without a checkpoint is an error naming it",
          r.returncode != 0 and "nothing" in r.stderr)

    # set-content-noise.py: the key set, the weights untouched; 0 removes it
    def set_noise(src, dst, sigma):
        return subprocess.run([sys.executable, os.path.join(TRAINING, "set-content-noise.py"),
                               src, dst, sigma], capture_output=True, text=True)
    plain_path = os.path.join(tmp, "plain.safetensors")
    noisy_path = os.path.join(tmp, "noisy.safetensors")
    avg.write(plain_path, a)
    r = set_noise(plain_path, noisy_path, "0.06")
    marked = avg.read(noisy_path)
    check("set-content-noise.py writes input.noise",
          r.returncode == 0 and marked["input.noise"][0] == [1]
          and abs(marked["input.noise"][1][0] - 0.06) < 1e-7)
    check("set-content-noise.py keeps every weight",
          all(marked[k][1] == a[k][1] and marked[k][0] == a[k][0] for k in a))
    again = os.path.join(tmp, "again.safetensors")
    r = set_noise(noisy_path, again, "0")
    check("SIGMA 0 removes the key", r.returncode == 0 and "input.noise" not in avg.read(again))
    r = set_noise(plain_path, again, "1.5")
    check("a SIGMA outside [0, 1] is an error", r.returncode != 0 and "1.5" in r.stderr)

finish()
