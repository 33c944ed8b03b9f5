#!/usr/bin/env python3
"""Procedural style pictures: mosaics, brush strokes, woodcut hatching and
pointillism, each from a seed (the same seed gives the same bytes).

    make-styles.py OUT_DIR [--count N] [--size 512]

Python 3 standard library only (PNG written with zlib). The pictures are
the vk-adain project's own work, under its MIT licence. build-dataset.py
--procedural N adds them to the style set.
"""

import argparse
import colorsys
import math
import os
import random
import struct
import zlib

KINDS = ("mosaic", "strokes", "woodcut", "pointillism")


def write_png(path, width, height, rows):
    """rows: height bytearrays of width·3 RGB bytes."""
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    raw = b"".join(b"\x00" + bytes(r) for r in rows)
    png = (b"\x89PNG\r\n\x1a\n"
           + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(png)
    os.replace(tmp, path)


def palette(rng, n=6):
    """Colours around one or two hues, of varied value: a painter's limited palette."""
    base = rng.random()
    second = (base + rng.choice((0.08, 0.33, 0.5))) % 1.0
    out = []
    for i in range(n):
        hue = (base if i % 2 == 0 else second) + rng.uniform(-0.04, 0.04)
        r, g, b = colorsys.hsv_to_rgb(hue % 1.0, rng.uniform(0.25, 0.9), rng.uniform(0.2, 1.0))
        out.append((r * 255, g * 255, b * 255))
    return out


class Noise:
    """Smooth value noise: bilinear interpolation of a random grid."""

    def __init__(self, rng, cells):
        self.cells = cells
        self.grid = [[rng.random() for _ in range(cells + 2)] for _ in range(cells + 2)]

    def at(self, u, v):
        x, y = u * self.cells, v * self.cells
        i, j = int(x), int(y)
        fx, fy = x - i, y - j
        fx, fy = fx * fx * (3 - 2 * fx), fy * fy * (3 - 2 * fy)
        g = self.grid
        top = g[j][i] * (1 - fx) + g[j][i + 1] * fx
        bottom = g[j + 1][i] * (1 - fx) + g[j + 1][i + 1] * fx
        return top * (1 - fy) + bottom * fy


def clamp(v):
    return 0 if v < 0 else 255 if v > 255 else int(v)


def mosaic(rng, size):
    """Tiles (a jittered grid of Voronoi cells) in palette colours, with grout."""
    cell = rng.choice((12, 16, 22, 30))
    n = size // cell + 2
    pal = palette(rng)
    noise = Noise(rng, 4)
    seeds = {}
    for gy in range(-1, n):
        for gx in range(-1, n):
            sx = (gx + rng.uniform(0.15, 0.85)) * cell
            sy = (gy + rng.uniform(0.15, 0.85)) * cell
            # colour follows a smooth field, so tiles form larger shapes
            k = int(noise.at(min(max(sx / size, 0), 0.999), min(max(sy / size, 0), 0.999))
                    * len(pal)) % len(pal)
            c = pal[k]
            jitter = rng.uniform(-18, 18)
            seeds[gx, gy] = (sx, sy, tuple(clamp(v + jitter) for v in c))
    grout = tuple(clamp(v * 0.35 + 40) for v in pal[rng.randrange(len(pal))])
    width = rng.uniform(1.2, 2.5)
    rows = []
    for y in range(size):
        row = bytearray(size * 3)
        gy = y // cell
        for x in range(size):
            gx = x // cell
            best = second = 1e18
            colour = None
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    s = seeds.get((gx + dx, gy + dy))
                    if s is None:
                        continue
                    d = (x - s[0]) ** 2 + (y - s[1]) ** 2
                    if d < best:
                        best, second, colour = d, best, s[2]
                    elif d < second:
                        second = d
            edge = math.sqrt(second) - math.sqrt(best)
            row[x * 3:x * 3 + 3] = bytes(grout if edge < width else colour)
        rows.append(row)
    return rows


def strokes(rng, size):
    """Short thick strokes along a swirling flow field, in layers, on a toned ground."""
    pal = palette(rng)
    ground = pal[rng.randrange(len(pal))]
    img = [[list(ground) for _ in range(size)] for _ in range(size)]
    angle = Noise(rng, rng.choice((2, 3, 4)))
    colour_field = Noise(rng, 3)
    turn = rng.uniform(2, 6)
    for layer, (count, radius) in enumerate(((900, 7), (1800, 4), (2500, 2))):
        for _ in range(count):
            x, y = rng.uniform(0, size), rng.uniform(0, size)
            k = int(colour_field.at(x / size * 0.999, y / size * 0.999) * len(pal)
                    + rng.uniform(-0.8, 0.8)) % len(pal)
            c = [v + rng.uniform(-20, 20) for v in pal[k]]
            length = rng.uniform(10, 30)
            step = 0
            while step < length:
                a = angle.at(min(max(x / size, 0), 0.999), min(max(y / size, 0), 0.999)) * turn
                x += math.cos(a) * 1.5
                y += math.sin(a) * 1.5
                step += 1.5
                for py in range(int(y - radius), int(y + radius) + 1):
                    if not 0 <= py < size:
                        continue
                    for px in range(int(x - radius), int(x + radius) + 1):
                        if 0 <= px < size and (px - x) ** 2 + (py - y) ** 2 <= radius * radius:
                            img[py][px] = c
    return [bytearray(clamp(v) for p in r for v in p) for r in img]


def woodcut(rng, size):
    """Black lines on paper whose thickness follows a smooth tone, the lines
    bent by the tone as a gouge follows a shape."""
    tone = Noise(rng, rng.choice((3, 4, 5)))
    warp = Noise(rng, 2)
    theta = rng.uniform(0, math.pi)
    ct, st = math.cos(theta), math.sin(theta)
    period = rng.uniform(5, 9)
    ink = (rng.uniform(10, 40),) * 3 if rng.random() < 0.6 else palette(rng)[0]
    ink = tuple(v * 0.4 for v in ink)
    paper = (rng.uniform(225, 245), rng.uniform(215, 235), rng.uniform(190, 215))
    rows = []
    for y in range(size):
        row = bytearray(size * 3)
        v = y / size * 0.999
        for x in range(size):
            u = x / size * 0.999
            t = tone.at(u, v)
            phase = (x * ct + y * st) / period + warp.at(u, v) * 6 + t * 3
            line = 0.5 + 0.5 * math.cos(2 * math.pi * phase)
            c = ink if line < t * 0.9 else paper
            row[x * 3:x * 3 + 3] = bytes(clamp(a) for a in c)
        rows.append(row)
    return rows


def pointillism(rng, size):
    """Dots of pure palette colours whose mix follows a smooth field."""
    pal = palette(rng, 8)
    ground = (rng.uniform(220, 250),) * 3
    img = [[list(ground) for _ in range(size)] for _ in range(size)]
    fields = [Noise(rng, rng.choice((2, 3, 4))) for _ in range(len(pal))]
    radius = rng.uniform(2.5, 4.5)
    r2 = radius * radius
    for _ in range(int(size * size / (radius * radius) * 0.9)):
        x, y = rng.uniform(0, size), rng.uniform(0, size)
        u, v = x / size * 0.999, y / size * 0.999
        weights = [f.at(u, v) ** 4 for f in fields]
        pick = rng.uniform(0, sum(weights))
        k = 0
        while pick > weights[k] and k < len(pal) - 1:
            pick -= weights[k]
            k += 1
        c = pal[k]
        for py in range(int(y - radius), int(y + radius) + 1):
            if not 0 <= py < size:
                continue
            for px in range(int(x - radius), int(x + radius) + 1):
                if 0 <= px < size and (px - x) ** 2 + (py - y) ** 2 <= r2:
                    img[py][px] = c
    return [bytearray(clamp(v) for p in r for v in p) for r in img]


def generate(out_dir, count, size=512, seed=15):
    """Writes count pictures (the kinds in turn); returns their paths."""
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for i in range(count):
        kind = KINDS[i % len(KINDS)]
        path = os.path.join(out_dir, f"procedural-{kind}-{i:03d}.png")
        rng = random.Random(seed * 100003 + i)
        write_png(path, size, size, globals()[kind](rng, size))
        paths.append(path)
    return paths


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--count", type=int, default=40)
    ap.add_argument("--size", type=int, default=512)
    args = ap.parse_args()
    for path in generate(args.out_dir, args.count, args.size):
        print(path)


if __name__ == "__main__":
    main()
