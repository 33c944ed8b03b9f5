#!/usr/bin/python3
"""Check vka_weights_save_pth's files with PyTorch itself (not run in CI,
which has no torch).

    /usr/bin/python3 tests/weights/check_pth_with_torch.py BUILD_DIR

Runs the /weights/save-pth tests of BUILD_DIR's test-weights with
VKA_WEIGHTS_KEEP_DIR set, so they leave each .pth they write next to a
safetensors twin of the same weights; then every .pth must pass zipfile's
CRC check, and torch.load (weights_only=True and False) must give a plain
OrderedDict with the twin's keys in the twin's order, float32 contiguous
tensors of the same shapes and the same bits.
"""
import collections
import json
import os
import struct
import subprocess
import sys
import tempfile
import zipfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def read_safetensors(path):
    with open(path, 'rb') as f:
        data = f.read()
    (n,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + n], object_pairs_hook=collections.OrderedDict)
    header.pop('__metadata__', None)
    payload = data[8 + n:]
    out = collections.OrderedDict()
    for name, info in header.items():
        assert info['dtype'] == 'F32', info
        begin, end = info['data_offsets']
        out[name] = np.frombuffer(payload[begin:end], '<f4').reshape(info['shape'])
    return out


def check(pth):
    twin = read_safetensors(pth + '.safetensors')
    with zipfile.ZipFile(pth) as z:
        assert z.testzip() is None, 'bad CRC'
        assert all(i.compress_type == zipfile.ZIP_STORED for i in z.infolist())
        names = z.namelist()
    for weights_only in (True, False):
        sd = torch.load(pth, weights_only=weights_only)
        assert type(sd) is collections.OrderedDict, type(sd)
        assert list(sd) == list(twin), (list(sd), list(twin))
        for name, want in twin.items():
            t = sd[name]
            assert t.dtype == torch.float32 and t.is_contiguous(), name
            assert tuple(t.shape) == want.shape, (name, t.shape, want.shape)
            assert not t.requires_grad
            got = t.numpy().view(np.uint32)
            assert np.array_equal(got, want.view(np.uint32)), name + ' differs'
    print('%s: %d tensors, %d entries (%s ...), torch.load ok with weights_only '
          'True and False, bit-identical' % (os.path.basename(pth), len(twin),
                                             len(names), names[0]))


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else '/tmp/build-pth'
    exe = os.path.join(build, 'tests', 'weights', 'test-weights')
    print('torch', torch.__version__)
    with tempfile.TemporaryDirectory() as keep:
        env = dict(os.environ, VKA_WEIGHTS_KEEP_DIR=keep,
                   VKA_WEIGHTS_FIXTURES=os.path.join(HERE, 'fixtures'))
        subprocess.run([exe, '-p', '/weights/save-pth'], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        files = sorted(f for f in os.listdir(keep) if f.endswith('.pth'))
        assert files, 'the tests left no files'
        for f in files:
            check(os.path.join(keep, f))
    print('all good')


if __name__ == '__main__':
    main()
