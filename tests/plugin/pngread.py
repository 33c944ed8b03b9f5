"""Reads non-interlaced 8- and 16-bit gray/RGB(A) PNG files with the standard
library only, for the plug-in tests' comparison scripts."""
import struct
import zlib

CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}  # PNG colour type -> samples per pixel


def _unfilter(raw, h, stride, bpp):
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, d = prev[i], prev[i - bpp] if i >= bpp else 0
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
    return rows


def read_png(path):
    """(width, height, depth, [(r, g, b, a)] with samples in [0, 2^depth - 1];
    gray is replicated, a missing alpha is opaque)"""
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
    if head is None:
        raise ValueError(f"{path}: no IHDR chunk")
    w, h, depth, ctype, _, _, interlace = head
    if depth not in (8, 16) or ctype not in CHANNELS or interlace:
        raise ValueError(f"{path}: only 8/16-bit non-interlaced gray/RGB(A) PNGs are handled")
    c, size = CHANNELS[ctype], depth // 8
    rows = _unfilter(zlib.decompress(idat), h, w * c * size, c * size)
    top = (1 << depth) - 1
    px = []
    for line in rows:
        vals = struct.unpack(f">{w * c}{'H' if size == 2 else 'B'}", bytes(line))
        for x in range(w):
            s = vals[x * c:(x + 1) * c]
            rgb = tuple(s[:3]) if c >= 3 else (s[0],) * 3
            px.append(rgb + ((s[c - 1],) if c in (2, 4) else (top,)))
    return w, h, depth, px
