#!/usr/bin/env python3
"""PSNR of two 8-bit PNG files over RGB (gray is replicated), standard library only.

    png_psnr.py A.png B.png MIN_DB

prints "PSNR X dB (max |diff| D/255)" and exits 0 when the sizes match and
PSNR >= MIN_DB ("inf" for identical pixels), 1 otherwise, 2 on a bad file.
Fully transparent pixels (alpha 0 in either file) are left out: their colour
is invisible, and exporters differ in what they store there.
"""
import math
import struct
import sys
import zlib

CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}  # PNG colour type -> samples per pixel


def read_png(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG file")
    pos, idat, head = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            head = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    w, h, depth, ctype, _, _, interlace = head
    if depth != 8 or ctype not in CHANNELS or interlace:
        raise ValueError(f"{path}: only 8-bit non-interlaced gray/RGB(A) PNGs are handled")
    c = CHANNELS[ctype]
    raw, stride = zlib.decompress(idat), w * c
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - c] if i >= c else 0
            b, d = prev[i], prev[i - c] if i >= c else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - d
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - d)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else d)) & 255
        rows.append(line)
        prev = line
    rgb = []
    for line in rows:
        for x in range(w):
            px = line[x * c:(x + 1) * c]
            alpha = px[c - 1] if c in (2, 4) else 255
            rgb.append((tuple(px[:3]) if c >= 3 else (px[0],) * 3, alpha))
    return w, h, rgb


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        wa, ha, a = read_png(sys.argv[1])
        wb, hb, b = read_png(sys.argv[2])
    except (OSError, ValueError, zlib.error, TypeError) as e:
        print(f"png_psnr: {e}", file=sys.stderr)
        return 2
    if (wa, ha) != (wb, hb):
        print(f"png_psnr: sizes differ: {wa}x{ha} vs {wb}x{hb}")
        return 1
    se = mx = n = 0
    for (pa, aa), (pb, ab) in zip(a, b):
        if aa == 0 or ab == 0:
            continue
        n += 1
        for u, v in zip(pa, pb):
            se += (u - v) ** 2
            mx = max(mx, abs(u - v))
    mse = se / (3 * max(n, 1) * 255.0 ** 2)
    psnr = 10 * math.log10(1 / mse) if mse > 0 else math.inf
    shown = "inf" if math.isinf(psnr) else f"{psnr:.2f}"
    print(f"PSNR {shown} dB (max |diff| {mx}/255)")
    return 0 if psnr >= float(sys.argv[3]) else 1


if __name__ == "__main__":
    sys.exit(main())
