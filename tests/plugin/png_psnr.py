#!/usr/bin/env python3
"""PSNR of two 8-bit PNG files over RGB (gray is replicated), standard library only.

    png_psnr.py [--to-8bit] A.png B.png MIN_DB

prints "PSNR X dB (max |diff| D/255)" and exits 0 when the sizes match and
PSNR >= MIN_DB ("inf" for identical pixels), 1 otherwise, 2 on a bad file.
Fully transparent pixels (alpha 0 in either file) are left out: their colour
is invisible, and exporters differ in what they store there.
--to-8bit accepts 16-bit PNGs (the gegl program saves float buffers so) and
rounds their samples to 8 bits first; without it they are refused.
"""
import math
import struct
import sys
import zlib

from pngread import read_png


def to_8(pixels):
    return [tuple((v * 255 + 32767) // 65535 for v in p) for p in pixels]


def main():
    args = sys.argv[1:]
    to_8bit = bool(args) and args[0] == "--to-8bit"
    if to_8bit:
        args = args[1:]
    if len(args) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        wa, ha, da, a = read_png(args[0])
        wb, hb, db, b = read_png(args[1])
        if 16 in (da, db) and not to_8bit:
            raise ValueError("16-bit PNGs: use png_precision.py")
        a, b = (to_8(p) if d == 16 else p for d, p in ((da, a), (db, b)))
    except (OSError, ValueError, zlib.error, TypeError, struct.error) as e:
        print(f"png_psnr: {e}", file=sys.stderr)
        return 2
    if (wa, ha) != (wb, hb):
        print(f"png_psnr: sizes differ: {wa}x{ha} vs {wb}x{hb}")
        return 1
    se = mx = n = 0
    for pa, pb in zip(a, b):
        if pa[3] == 0 or pb[3] == 0:
            continue
        n += 1
        for u, v in zip(pa[:3], pb[:3]):
            se += (u - v) ** 2
            mx = max(mx, abs(u - v))
    mse = se / (3 * max(n, 1) * 255.0 ** 2)
    psnr = 10 * math.log10(1 / mse) if mse > 0 else math.inf
    shown = "inf" if math.isinf(psnr) else f"{psnr:.2f}"
    print(f"PSNR {shown} dB (max |diff| {mx}/255)")
    return 0 if psnr >= float(args[2]) else 1


if __name__ == "__main__":
    sys.exit(main())
