#!/usr/bin/env python3
"""Draws two of the sample pictures (ours, MIT like the rest of vk-adain):
style.jpg, the pattern of coloured brush strokes the README's main command
uses, and drawing.jpg, a flat drawing of a landscape (the contact sheet's
example of what AdaIN does with flat colours and 8-bit gradients). Run:
python3 make_samples.py (needs numpy and Pillow); the output is
deterministic up to the JPEG encoder. content.jpg is a photograph, see
SOURCES.md."""
import math
import numpy as np
from PIL import Image, ImageDraw, ImageFilter

rng = np.random.default_rng(2024)

# The drawing: sky, sun, three hill ranges, a lake, a house.
W, H = 512, 384
img = Image.new("RGB", (W, H))
d = ImageDraw.Draw(img)
for y in range(H):
    t = y / H
    d.line([(0, y), (W, y)], fill=(int(90 + 120 * t), int(150 + 70 * t), int(230 - 30 * t)))
d.ellipse([380, 50, 450, 120], fill=(255, 230, 150))
for k, (base, amp, col) in enumerate([(220, 40, (70, 120, 80)), (250, 30, (50, 100, 60)),
                                      (285, 20, (40, 80, 45))]):
    phase = rng.uniform(0, 6.28)
    pts = [(x, base + amp * math.sin(x / (60 + 25 * k) + phase)) for x in range(0, W + 8, 8)]
    d.polygon(pts + [(W, H), (0, H)], fill=col)
d.rectangle([0, 310, W, H], fill=(60, 110, 170))
for i in range(40):
    y = rng.uniform(315, H)
    x = rng.uniform(0, W)
    d.line([(x, y), (x + rng.uniform(10, 40), y)], fill=(150, 190, 230), width=1)
d.rectangle([140, 240, 200, 290], fill=(200, 80, 60))
d.polygon([(132, 242), (170, 212), (208, 242)], fill=(110, 50, 40))
d.rectangle([162, 265, 178, 290], fill=(80, 50, 30))
img = img.filter(ImageFilter.GaussianBlur(0.7))
img.save("drawing.jpg", quality=90)

# Style: layered strokes in a warm/cool palette.
S = 384
palette = [(230, 90, 40), (250, 200, 60), (40, 90, 160), (20, 40, 90), (240, 240, 220),
           (180, 40, 80), (60, 150, 120)]
st = Image.new("RGB", (S, S), (30, 50, 90))
d = ImageDraw.Draw(st)
for i in range(900):
    x, y = rng.uniform(-20, S + 20, 2)
    ang = rng.normal(math.pi / 4 if (x + y) % 200 < 100 else -math.pi / 5, 0.4)
    L = rng.uniform(15, 50)
    c = np.array(palette[rng.integers(len(palette))]) + rng.integers(-25, 25, 3)
    c = tuple(int(v) for v in np.clip(c, 0, 255))
    d.line([(x, y), (x + L * math.cos(ang), y + L * math.sin(ang))], fill=c,
           width=int(rng.integers(3, 9)))
st = st.filter(ImageFilter.SMOOTH)
st.save("style.jpg", quality=90)
