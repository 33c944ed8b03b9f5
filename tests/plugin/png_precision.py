#!/usr/bin/env python3
"""Checks that a high-precision result kept its precision and its alpha.

    png_precision.py RESULT.png CLI.png INPUT.png MIN_DB

RESULT is GIMP's export of a 16-bit or float image (a 16-bit PNG), CLI the
CLI's 8-bit result for the same settings, INPUT the 8-bit RGBA picture the
image was made from. Prints one line and exits 0 when RESULT has 16-bit
samples, at least a quarter of its visible colour samples lie between two
8-bit levels (a result quantised to 8 bits has none there), its PSNR
against the CLI is >= MIN_DB, and its alpha is INPUT's exactly; 1 when not,
2 on a bad file. Standard library only.
"""
import math
import struct
import sys
import zlib

from pngread import read_png


def main():
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        res, cli, inp = (read_png(p) for p in sys.argv[1:4])
    except (OSError, ValueError, zlib.error, TypeError, struct.error) as e:
        print(f"png_precision: {e}", file=sys.stderr)
        return 2
    if res[2] != 16:
        print(f"png_precision: {sys.argv[1]} has {res[2]}-bit samples, not 16")
        return 1
    if not (res[:2] == cli[:2] == inp[:2]):
        print("png_precision: sizes differ")
        return 1
    se = n = between = samples = alpha_diff = 0
    for r, c, i in zip(res[3], cli[3], inp[3]):
        alpha_diff = max(alpha_diff, abs(r[3] - i[3] * 257))
        if i[3] == 0:
            continue  # invisible colour: exporters differ in what they keep
        n += 1
        for k in range(3):
            samples += 1
            between += r[k] % 257 != 0
            se += (r[k] / 65535 - c[k] / 255) ** 2
    mse = se / max(3 * n, 1)
    psnr = 10 * math.log10(1 / mse) if mse > 0 else math.inf
    frac = between / max(samples, 1)
    print(f"PSNR {psnr:.2f} dB vs the CLI; {100 * frac:.0f}% of colour samples between "
          f"8-bit levels; alpha max |diff| {alpha_diff}/65535")
    ok = psnr >= float(sys.argv[4]) and frac >= 0.25 and alpha_diff == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
