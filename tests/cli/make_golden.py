#!/usr/bin/python3
"""Makes the golden end-to-end data of tests/cli: a small random-weight AdaIN
network (encoder widths 4/8/8/16, the official layouts), small generated
pictures, and the outputs of the reference PyTorch inference maths
(pytorch-AdaIN's test.py: test_transform with torchvision's Resize /
CenterCrop on PIL images, calc_mean_std, adaptive_instance_normalization,
alpha blend, interpolation weights, coral), for each case that test-cli.c
runs through vk-adain. Also PIL resize results for the resize test.

Run once with /usr/bin/python3 (python3-torch, python3-torchvision,
python3-pil; never needed by the tests): cd tests/cli && ./make_golden.py
Writes golden/*. Float outputs are "VKAG" + int32 width, height, channels +
float32 pixels (interleaved, little-endian), cropped to the content's size
and clamped to [0,1] as saved by the reference.
"""
import os
import struct

import numpy as np
import torch
import torch.nn as nn
import torchvision.transforms as T
from PIL import Image, ImageOps

torch.manual_seed(5)
rng = np.random.default_rng(5)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden")
os.makedirs(OUT, exist_ok=True)
W1, W2, W3, W4 = 4, 8, 8, 16


def pad():
    return nn.ReflectionPad2d((1, 1, 1, 1))


def conv(i, o, k=3):
    return nn.Conv2d(i, o, (k, k))


vgg = nn.Sequential(
    conv(3, 3, 1), pad(), conv(3, W1), nn.ReLU(), pad(), conv(W1, W1), nn.ReLU(),
    nn.MaxPool2d(2, 2, 0, ceil_mode=True),
    pad(), conv(W1, W2), nn.ReLU(), pad(), conv(W2, W2), nn.ReLU(),
    nn.MaxPool2d(2, 2, 0, ceil_mode=True),
    pad(), conv(W2, W3), nn.ReLU(), pad(), conv(W3, W3), nn.ReLU(),
    pad(), conv(W3, W3), nn.ReLU(), pad(), conv(W3, W3), nn.ReLU(),
    nn.MaxPool2d(2, 2, 0, ceil_mode=True),
    pad(), conv(W3, W4), nn.ReLU())
decoder = nn.Sequential(
    pad(), conv(W4, W3), nn.ReLU(), nn.Upsample(scale_factor=2, mode="nearest"),
    pad(), conv(W3, W3), nn.ReLU(), pad(), conv(W3, W3), nn.ReLU(),
    pad(), conv(W3, W3), nn.ReLU(), pad(), conv(W3, W2), nn.ReLU(),
    nn.Upsample(scale_factor=2, mode="nearest"),
    pad(), conv(W2, W2), nn.ReLU(), pad(), conv(W2, W1), nn.ReLU(),
    nn.Upsample(scale_factor=2, mode="nearest"),
    pad(), conv(W1, W1), nn.ReLU(), pad(), conv(W1, 3))
with torch.no_grad():
    for m in list(vgg) + list(decoder):
        if isinstance(m, nn.Conv2d):
            fan_in = m.weight[0].numel()
            m.weight.normal_(0, (2.0 / fan_in) ** 0.5)
            m.bias.uniform_(-0.1, 0.1)
vgg.eval()
decoder.eval()


# ---- the reference maths (pytorch-AdaIN function.py / test.py) --------------
def calc_mean_std(feat, eps=1e-5):
    N, C = feat.size()[:2]
    var = feat.view(N, C, -1).var(dim=2) + eps
    return feat.view(N, C, -1).mean(dim=2).view(N, C, 1, 1), var.sqrt().view(N, C, 1, 1)


def adain(content_feat, style_feat):
    size = content_feat.size()
    s_mean, s_std = calc_mean_std(style_feat)
    c_mean, c_std = calc_mean_std(content_feat)
    normalized = (content_feat - c_mean.expand(size)) / c_std.expand(size)
    return normalized * s_std.expand(size) + s_mean.expand(size)


def _flat_mean_std(feat):
    f = feat.view(3, -1)
    return f, f.mean(dim=-1, keepdim=True), f.std(dim=-1, keepdim=True)


def _mat_sqrt(x):
    U, D, V = torch.svd(x)
    return torch.mm(torch.mm(U, D.pow(0.5).diag()), V.t())


def coral(source, target):
    sf, sm, ss = _flat_mean_std(source)
    sn = (sf - sm.expand_as(sf)) / ss.expand_as(sf)
    scov = torch.mm(sn, sn.t()) + torch.eye(3)
    tf, tm, ts = _flat_mean_std(target)
    tn = (tf - tm.expand_as(tf)) / ts.expand_as(tf)
    tcov = torch.mm(tn, tn.t()) + torch.eye(3)
    st = torch.mm(_mat_sqrt(tcov), torch.mm(torch.inverse(_mat_sqrt(scov)), sn))
    return (st * ts.expand_as(sn) + tm.expand_as(sn)).view(source.size())


def test_transform(size, crop):
    t = []
    if size != 0:
        t.append(T.Resize(size))
    if crop:
        t.append(T.CenterCrop(size))
    t.append(T.ToTensor())
    return T.Compose(t)


def stylise(content_path, style_paths, weights=None, alpha=1.0, csize=512, ssize=512,
            crop=False, color=None):
    content = test_transform(csize, crop)(Image.open(content_path).convert("RGB"))
    styles = [test_transform(ssize, crop)(Image.open(p).convert("RGB")) for p in style_paths]
    if color == "coral":
        styles = [coral(s, content) for s in styles]
    if weights is None:
        weights = [1.0]
    weights = [w / sum(weights) for w in weights]
    with torch.no_grad():
        cf = vgg(content.unsqueeze(0))
        feat = sum(w * adain(cf, vgg(s.unsqueeze(0))) for w, s in zip(weights, styles))
        feat = feat * alpha + cf * (1 - alpha)
        out = decoder(feat)[0]
    H, W = content.shape[1:]
    out = out[:, :H, :W].clamp(0, 1)
    if color == "luminance":
        y = lambda im: 0.299 * im[0] + 0.587 * im[1] + 0.114 * im[2]
        out = (content + (y(out) - y(content))).clamp(0, 1)
    return out.permute(1, 2, 0).contiguous().numpy()


def write_float(name, arr):
    arr = np.asarray(arr, dtype="<f4")
    if arr.ndim == 2:
        arr = arr[:, :, None]
    h, w, c = arr.shape
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(b"VKAG" + struct.pack("<3i", w, h, c) + arr.tobytes())


# ---- inputs ------------------------------------------------------------------
def smooth_picture(w, h, seed):
    r = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w] / max(w, h)
    chans = []
    for c in range(3):
        a, b, p = r.uniform(2, 9, 3)
        chans.append(0.5 + 0.3 * np.sin(a * x + b * y + p) + 0.15 * r.standard_normal((h, w)))
    return (np.clip(np.stack(chans, -1), 0, 1) * 255 + 0.5).astype(np.uint8)


def path(name):
    return os.path.join(OUT, name)


Image.fromarray(smooth_picture(37, 29, 1)).save(path("content.png"))
Image.fromarray(smooth_picture(24, 32, 2)).save(path("style.png"))
Image.fromarray(smooth_picture(30, 22, 3)).save(path("style2.png"))
Image.fromarray(smooth_picture(31, 23, 4)[:, :, 1]).save(path("gray.png"))
rgba = np.concatenate([smooth_picture(27, 21, 5),
                       (np.linspace(0, 255, 27)[None, :].repeat(21, 0) + 0.5)
                       .astype(np.uint8)[:, :, None]], -1)
Image.fromarray(rgba, "RGBA").save(path("rgba.png"))

# Scale the decoder's last layer so that outputs spread around 0.5 (random
# weights otherwise saturate the clamp and the test would see little).
with torch.no_grad():
    c = T.ToTensor()(Image.open(path("content.png")).convert("RGB")).unsqueeze(0)
    s = T.ToTensor()(Image.open(path("style.png")).convert("RGB")).unsqueeze(0)
    o = decoder(adain(vgg(c), vgg(s)))
    decoder[-1].weight.mul_((0.15 / o[0].flatten(1).std(1)).view(3, 1, 1, 1))
    decoder[-1].bias.mul_(0.15 / o[0].flatten(1).std(1))
    o = decoder(adain(vgg(c), vgg(s)))
    decoder[-1].bias.add_(0.5 - o[0].flatten(1).mean(1))
torch.save(vgg.state_dict(), path("vgg.pth"))
torch.save(decoder.state_dict(), path("decoder.pth"))

# ---- cases: name, output ext, vk-adain args, reference call -------------------
C, S, S2 = path("content.png"), path("style.png"), path("style2.png")
cases = [
    ("plain", dict(content_path=C, style_paths=[S], csize=24, ssize=20)),
    ("alpha", dict(content_path=C, style_paths=[S], csize=24, ssize=20, alpha=0.5)),
    ("mix", dict(content_path=C, style_paths=[S, S2], weights=[1, 3], csize=24, ssize=20)),
    ("coral", dict(content_path=C, style_paths=[S], csize=24, ssize=20, color="coral")),
    ("luminance", dict(content_path=C, style_paths=[S], csize=24, ssize=20, color="luminance")),
    ("crop", dict(content_path=C, style_paths=[S], csize=20, ssize=16, crop=True)),
    ("odd", dict(content_path=C, style_paths=[S], csize=0, ssize=0)),
    ("upscale", dict(content_path=C, style_paths=[S], csize=40, ssize=36)),
    ("gray", dict(content_path=path("gray.png"), style_paths=[S], csize=0, ssize=0)),
    ("rgba", dict(content_path=path("rgba.png"), style_paths=[S], csize=0, ssize=0)),
]
for name, kw in cases:
    out = stylise(**kw)
    write_float(name + ".f32", out)
    print(name, out.shape, "mean %.3f std %.3f" % (out.mean(), out.std()))

# PIL resize (torchvision Resize on PIL) of content.png: shorter side -> N.
for n in (24, 13, 40, 5):
    im = T.Resize(n)(Image.open(C).convert("RGB"))
    write_float("resize%d.f32" % n, np.asarray(im, dtype=np.float32) / 255)

# A JPEG stored 16×8 (left half red, right half blue) with EXIF orientation 6
# (display rotated 90° clockwise): upright it is 8×16, red on top.
exif = Image.Exif()
exif[0x0112] = 6
pic = np.zeros((8, 16, 3), np.uint8)
pic[:, :8] = (220, 20, 20)
pic[:, 8:] = (20, 20, 220)
Image.fromarray(pic).save(path("exif6.jpg"), quality=95, exif=exif.tobytes())
up = np.asarray(ImageOps.exif_transpose(Image.open(path("exif6.jpg"))))
assert up.shape[:2] == (16, 8) and up[0, 0, 0] > 150 and up[-1, -1, 2] > 150

# A CMYK JPEG as Photoshop and PIL write them (Adobe marker, inverted
# samples), 16×8: left half C,M,Y,K = 100,30,200,50, right half K = 182
# alone; and the RGB pixels PIL reads from it (its multiplicative
# CMYK→RGB: (255 - C)(255 - K)/255 per channel).
cmyk = np.zeros((8, 16, 4), np.uint8)
cmyk[:, :8] = (100, 30, 200, 50)
cmyk[:, 8:] = (0, 0, 0, 182)
Image.fromarray(cmyk, "CMYK").save(path("cmyk.jpg"), quality=100, subsampling=0)
write_float("cmyk.f32", np.asarray(Image.open(path("cmyk.jpg")).convert("RGB"),
                                   dtype=np.float32) / 255)
