#!/usr/bin/python3
"""Check a vk-adain-train checkpoint with PyTorch itself (not run in CI,
which has no torch).

    /usr/bin/python3 training/check_checkpoint_with_torch.py SAVE_DIR/decoder_iter_N.pth

torch.load (weights_only=True and False) must give a plain OrderedDict equal,
bit for bit, to the .safetensors twin; the dict must load with strict=True
into the reference decoder (the PyTorch port's nn.Sequential, widths taken
from the shapes) and run a forward pass with finite output of the expected
size. A bilinear decoder (vk-adain-train --upsample bilinear) must carry
upsample.bilinear = [1.0], which the strict load refuses; the rest loads into
the decoder with bilinear upsamplings. A decoder trained with
--content-noise carries input.noise = [sigma] (the noise vk-adain adds to
the content before encoding), in [0, 1]; it is set aside the same way.
"""
import collections
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests',
                                'weights'))
from check_pth_with_torch import read_safetensors  # noqa: E402


def reference_decoder(c4, c3, c2, c1, mode='nearest'):
    """The PyTorch port's decoder layout with the given widths (mode: its
    upsamplings', 'bilinear' for vk-adain's bilinear decoders)."""
    def conv(i, o):
        return [nn.ReflectionPad2d((1, 1, 1, 1)), nn.Conv2d(i, o, (3, 3))]

    def up():
        if mode == 'bilinear':
            return nn.Upsample(scale_factor=2, mode='bilinear', align_corners=False)
        return nn.Upsample(scale_factor=2, mode='nearest')
    return nn.Sequential(
        *conv(c4, c3), nn.ReLU(), up(),
        *conv(c3, c3), nn.ReLU(), *conv(c3, c3), nn.ReLU(), *conv(c3, c3), nn.ReLU(),
        *conv(c3, c2), nn.ReLU(), up(),
        *conv(c2, c2), nn.ReLU(), *conv(c2, c1), nn.ReLU(), up(),
        *conv(c1, c1), nn.ReLU(), *conv(c1, 3))


def main(path):
    twin = read_safetensors(path[:-len('.pth')] + '.safetensors')
    for weights_only in (True, False):
        sd = torch.load(path, map_location='cpu', weights_only=weights_only)
        assert type(sd) is collections.OrderedDict, type(sd)
        assert list(sd.keys()) == list(twin.keys()), (list(sd.keys()), list(twin.keys()))
        for k, t in sd.items():
            assert t.dtype == torch.float32 and t.is_contiguous(), k
            assert tuple(t.shape) == twin[k].shape, k
            assert (t.numpy().view('<u4') == twin[k].view('<u4')).all(), k
    c4 = sd['1.weight'].shape[1]
    c3 = sd['1.weight'].shape[0]
    c2 = sd['14.weight'].shape[0]
    c1 = sd['21.weight'].shape[0]
    mode = 'nearest'
    if 'input.noise' in sd:
        assert sd['input.noise'].numel() == 1 and 0 <= sd['input.noise'].item() <= 1, \
            sd['input.noise']
        sd = collections.OrderedDict((k, t) for k, t in sd.items() if k != 'input.noise')
    if 'upsample.bilinear' in sd:
        assert sd['upsample.bilinear'].tolist() == [1.0], sd['upsample.bilinear']
        try:
            reference_decoder(c4, c3, c2, c1).load_state_dict(sd, strict=True)
        except RuntimeError:
            pass
        else:
            raise AssertionError('the strict load took the bilinear marker')
        sd = collections.OrderedDict((k, t) for k, t in sd.items() if k != 'upsample.bilinear')
        mode = 'bilinear'
    dec = reference_decoder(c4, c3, c2, c1, mode)
    dec.load_state_dict(sd, strict=True)
    with torch.no_grad():
        out = dec(torch.rand(1, c4, 4, 5))
    assert out.shape == (1, 3, 32, 40) and torch.isfinite(out).all(), out.shape
    n = sum(t.numel() for t in sd.values())
    print(f'{path}: torch {torch.__version__} loads {len(sd)} tensors ({n} values), '
          f'identical to the safetensors twin; strict load into the reference decoder '
          f'(widths {c4}/{c3}/{c2}/{c1}, {mode} upsampling) and a forward pass: OK')


if __name__ == '__main__':
    for p in sys.argv[1:]:
        main(p)
