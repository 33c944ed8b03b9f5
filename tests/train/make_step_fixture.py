#!/usr/bin/python3
"""Make the PyTorch reference fixture of one AdaIN training step
(tests/test-train-torch.c compares our trainer with it).

Run with Debian's python3 (python3-torch, python3-numpy):
    /usr/bin/python3 tests/train/make_step_fixture.py [OUT_DIR]
The output is committed, so the test needs no PyTorch.

The network is the reference one with narrow widths (WIDTHS for the
relu1_1..relu4_1 blocks): the normalised VGG-19 up to relu4_1 (leading 1x1
conv, reflection padding, ceil-mode max-pools) and the mirrored decoder,
as sequential containers so the state-dict keys are the official ones.
The loss is pytorch-AdaIN's net.py / train.py:
    t = AdaIN(f(c), f(s));  g_t = decoder(t)
    loss_c = MSE(relu4_1(g_t), t)
    loss_s = sum over relu1_1..relu4_1 of MSE(mean) + MSE(std)
             (std = sqrt(unbiased var + 1e-5) over each channel)
    loss = CONTENT_WEIGHT * loss_c + STYLE_WEIGHT * loss_s
and lr_i = lr / (1 + LR_DECAY * i) is set before step i, as train.py does.
Everything is computed in float64 from the float32 values stored here.

Files (safetensors, float32):
  step-encoder.safetensors  encoder weights ("0.weight" ... "29.bias")
  step-decoder.safetensors  the decoder before any step ("1.weight" ... "28.bias")
  step-batches.safetensors  content0, style0, content1, style1: N x 3 x H x W
  step-sgd.safetensors      the decoder after one SGD step on batch 0, and
                            "losses" [1, 3]: (loss, loss_c, loss_s) before it
  step-adam.safetensors     the decoder after two Adam steps (batch 0, then
                            batch 1), and "losses" [2, 3]
"""
import collections
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn

WIDTHS = (8, 8, 16, 16)
N, H, W = 2, 20, 28          # odd-ish: ceil-mode pooling keeps partial windows
LR_SGD = 1e-2
LR_ADAM = 1e-3
LR_DECAY = 0.5               # large, so that step 1's rate differs visibly
CONTENT_WEIGHT = 1.0
STYLE_WEIGHT = 10.0
SEED = 20261128


def encoder(w):
    """vgg_normalised modules 0..30 (relu4_1 is module 30)."""
    c1, c2, c3, c4 = w
    pad = lambda: nn.ReflectionPad2d(1)
    conv = lambda a, b: nn.Conv2d(a, b, 3)
    pool = lambda: nn.MaxPool2d(2, 2, 0, ceil_mode=True)
    return nn.Sequential(
        nn.Conv2d(3, 3, 1),
        pad(), conv(3, c1), nn.ReLU(),            # 3: relu1_1
        pad(), conv(c1, c1), nn.ReLU(), pool(),
        pad(), conv(c1, c2), nn.ReLU(),           # 10: relu2_1
        pad(), conv(c2, c2), nn.ReLU(), pool(),
        pad(), conv(c2, c3), nn.ReLU(),           # 17: relu3_1
        pad(), conv(c3, c3), nn.ReLU(),
        pad(), conv(c3, c3), nn.ReLU(),
        pad(), conv(c3, c3), nn.ReLU(), pool(),
        pad(), conv(c3, c4), nn.ReLU())           # 30: relu4_1


def decoder(w):
    c1, c2, c3, c4 = w
    pad = lambda: nn.ReflectionPad2d(1)
    conv = lambda a, b: nn.Conv2d(a, b, 3)
    up = lambda: nn.Upsample(scale_factor=2, mode='nearest')
    return nn.Sequential(
        pad(), conv(c4, c3), nn.ReLU(), up(),
        pad(), conv(c3, c3), nn.ReLU(),
        pad(), conv(c3, c3), nn.ReLU(),
        pad(), conv(c3, c3), nn.ReLU(),
        pad(), conv(c3, c2), nn.ReLU(), up(),
        pad(), conv(c2, c2), nn.ReLU(),
        pad(), conv(c2, c1), nn.ReLU(), up(),
        pad(), conv(c1, c1), nn.ReLU(),
        pad(), conv(c1, 3))


def init(net, rng, last_bias):
    """He-uniform weights, small biases (the last one near last_bias), all
    exactly representable in float32."""
    convs = [m for m in net if isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        for i, m in enumerate(convs):
            fan_in = m.in_channels * m.kernel_size[0] * m.kernel_size[1]
            bound = np.sqrt(6.0 / fan_in)
            m.weight.copy_(torch.from_numpy(
                rng.uniform(-bound, bound, m.weight.shape).astype(np.float32)))
            centre = last_bias if i == len(convs) - 1 else 0.0
            m.bias.copy_(torch.from_numpy(
                rng.uniform(centre - 0.1, centre + 0.1, m.bias.shape).astype(np.float32)))


def batch(rng):
    """Smooth patterns plus noise in [0, 1], as float32."""
    y, x = np.mgrid[0:H, 0:W]
    out = np.empty((N, 3, H, W))
    for n in range(N):
        for c in range(3):
            fx, fy, ph = rng.uniform(0.1, 0.6), rng.uniform(0.1, 0.6), rng.uniform(0, 6)
            out[n, c] = 0.5 + 0.3 * np.sin(x * fx + y * fy + ph) \
                + rng.uniform(-0.1, 0.1, (H, W))
    return torch.from_numpy(np.clip(out, 0, 1).astype(np.float32))


# ---- pytorch-AdaIN's function.py / net.py ---------------------------------

def calc_mean_std(feat, eps=1e-5):
    n, c = feat.shape[:2]
    var = feat.reshape(n, c, -1).var(dim=2) + eps
    return feat.reshape(n, c, -1).mean(dim=2).view(n, c, 1, 1), var.sqrt().view(n, c, 1, 1)


def adain(content_feat, style_feat):
    s_mean, s_std = calc_mean_std(style_feat)
    c_mean, c_std = calc_mean_std(content_feat)
    return (content_feat - c_mean) / c_std * s_std + s_mean


SLICES = [(0, 4), (4, 11), (11, 18), (18, 31)]   # to relu1_1 .. relu4_1


def encode_with_intermediate(enc, x):
    feats = []
    for begin, end in SLICES:
        x = enc[begin:end](x)
        feats.append(x)
    return feats


def losses(enc, dec, content, style):
    mse = nn.MSELoss()
    style_feats = encode_with_intermediate(enc, style)
    content_feat = encode_with_intermediate(enc, content)[-1]
    t = adain(content_feat, style_feats[-1])
    assert not t.requires_grad
    g_t_feats = encode_with_intermediate(enc, dec(t))
    loss_c = mse(g_t_feats[-1], t)
    loss_s = 0
    for g, s in zip(g_t_feats, style_feats):
        gm, gs = calc_mean_std(g)
        sm, ss = calc_mean_std(s)
        loss_s = loss_s + mse(gm, sm) + mse(gs, ss)
    return CONTENT_WEIGHT * loss_c + STYLE_WEIGHT * loss_s, loss_c, loss_s


# ---- training steps --------------------------------------------------------

def train(enc, dec_state, batches, make_optimizer, lr):
    dec = decoder(WIDTHS).double()
    dec.load_state_dict(dec_state)
    optimizer = make_optimizer(dec.parameters())
    recorded = []
    for i, (content, style) in enumerate(batches):
        for group in optimizer.param_groups:   # train.py's adjust_learning_rate
            group['lr'] = lr / (1.0 + LR_DECAY * i)
        loss, loss_c, loss_s = losses(enc, dec, content, style)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        recorded.append([loss.item(), loss_c.item(), loss_s.item()])
        print('  step %d: loss %.9g (content %.9g, style %.9g)' % (i, *recorded[-1]))
    return dec, recorded


def state_f32(net):
    return collections.OrderedDict((k, v.detach().float().contiguous())
                                   for k, v in net.state_dict().items())


def write_safetensors(path, tensors):
    header = {'__metadata__': {'source': 'tests/train/make_step_fixture.py'}}
    blobs, offset = [], 0
    for name, t in tensors.items():
        raw = t.detach().float().contiguous().numpy().astype('<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(t.shape),
                        'data_offsets': [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b' ' * (-len(text) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text + b''.join(blobs))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    torch.set_default_dtype(torch.float64)
    rng = np.random.default_rng(SEED)
    enc = encoder(WIDTHS)
    dec = decoder(WIDTHS)
    init(enc, rng, 0.0)
    init(dec, rng, 0.5)
    enc = enc.double().requires_grad_(False)
    dec_state = collections.OrderedDict((k, v.double()) for k, v in dec.state_dict().items())
    raw = collections.OrderedDict()
    for i in range(2):
        raw['content%d' % i] = batch(rng)
        raw['style%d' % i] = batch(rng)
    batches = [(raw['content%d' % i].double(), raw['style%d' % i].double()) for i in range(2)]

    print('SGD, lr %g:' % LR_SGD)
    sgd, sgd_losses = train(enc, dec_state, batches[:1],
                            lambda p: torch.optim.SGD(p, lr=LR_SGD), LR_SGD)
    print('Adam, lr %g, decay %g:' % (LR_ADAM, LR_DECAY))
    adam, adam_losses = train(enc, dec_state, batches,
                              lambda p: torch.optim.Adam(p, lr=LR_ADAM), LR_ADAM)

    p = lambda name: os.path.join(out, name)
    enc_state = collections.OrderedDict((k, v) for k, v in state_f32(enc).items())
    write_safetensors(p('step-encoder.safetensors'), enc_state)
    write_safetensors(p('step-decoder.safetensors'), state_f32(dec))
    write_safetensors(p('step-batches.safetensors'), raw)
    sgd_out = state_f32(sgd)
    sgd_out['losses'] = torch.tensor(sgd_losses)
    write_safetensors(p('step-sgd.safetensors'), sgd_out)
    adam_out = state_f32(adam)
    adam_out['losses'] = torch.tensor(adam_losses)
    write_safetensors(p('step-adam.safetensors'), adam_out)
    files = [f for f in os.listdir(out) if f.startswith('step-')]
    print('wrote %d files, %d bytes' % (len(files), sum(os.path.getsize(p(f)) for f in files)))


if __name__ == '__main__':
    main()
