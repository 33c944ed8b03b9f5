#!/usr/bin/python3
"""Make the small weight-file fixtures of tests/weights/.

Run with Debian's python3 (python3-torch, python3-numpy):
    /usr/bin/python3 tests/weights/make_fixtures.py tests/weights/fixtures
The output is committed, so the tests need no PyTorch. Weights are random
but seeded; every format is compared bit-exactly with a ref-*.safetensors
written here by a writer that does not depend on the loader under test.

Encoder: the official 53-module VGG layout (keys 0..51, convolutions at the
official indices) with narrow widths 2/4/4/8 (relu1_1..relu4_1) and 4 after
relu4_1, so the files stay small.
Decoder: the official 29-module layout (keys 1..28) mirrored, 8 -> 3.
"""
import collections
import io
import json
import os
import struct
import sys
import zipfile

import numpy as np
import torch

RNG = np.random.default_rng(20240611)

ENC_CONVS = [(0, 3, 3, 1), (2, 3, 2, 3), (5, 2, 2, 3), (9, 2, 4, 3), (12, 4, 4, 3),
             (16, 4, 4, 3), (19, 4, 4, 3), (22, 4, 4, 3), (25, 4, 4, 3),
             (29, 4, 8, 3), (32, 8, 4, 3), (35, 4, 4, 3), (38, 4, 4, 3),
             (42, 4, 4, 3), (45, 4, 4, 3), (48, 4, 4, 3), (51, 4, 4, 3)]
ENC_POOLS = {7, 14, 27, 40}
ENC_LEN = 53
DEC_CONVS = [(1, 8, 4, 3), (5, 4, 4, 3), (8, 4, 4, 3), (11, 4, 4, 3), (14, 4, 2, 3),
             (18, 2, 2, 3), (21, 2, 2, 3), (25, 2, 2, 3), (28, 2, 3, 3)]
DEC_UPS = {3, 16, 23}
DEC_LEN = 29


def make_state(convs):
    sd = collections.OrderedDict()
    for idx, cin, cout, k in convs:
        sd['%d.weight' % idx] = torch.from_numpy(
            RNG.standard_normal((cout, cin, k, k)).astype(np.float32))
        sd['%d.bias' % idx] = torch.from_numpy(
            RNG.standard_normal(cout).astype(np.float32))
    return sd


# ---- safetensors (our own writer: the reference files) -------------------

ST_DTYPES = {torch.float32: 'F32', torch.float16: 'F16', torch.float64: 'F64',
             torch.bfloat16: 'BF16', torch.int64: 'I64'}


def write_safetensors(path, sd):
    header = {'__metadata__': {'format': 'pt'}}
    blobs, offset = [], 0
    for name, t in sd.items():
        t = t.contiguous()
        if t.dtype == torch.bfloat16:
            raw = t.view(torch.int16).numpy().tobytes()
        else:
            raw = t.numpy().tobytes()
        header[name] = {'dtype': ST_DTYPES[t.dtype], 'shape': list(t.shape),
                        'data_offsets': [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b' ' * (-len(text) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text + b''.join(blobs))


# ---- Torch7 (our own writer) ---------------------------------------------

class T7Class:
    def __init__(self, name, payload):
        self.name, self.payload = name, payload


class T7Tensor:
    """A tensor as Torch7 writes it; storage is shared by identity."""
    def __init__(self, array, storage=None, offset=0, size=None, stride=None,
                 kind='Float'):
        self.kind = kind
        self.storage = storage if storage is not None else T7Storage(array, kind)
        self.offset = offset
        self.size = list(array.shape) if size is None else size
        if stride is None:
            stride = [int(s // array.itemsize) for s in array.strides]
        self.stride = stride


class T7Storage:
    def __init__(self, array, kind='Float'):
        dtype = {'Float': '<f4', 'Double': '<f8'}[kind]
        self.kind = kind
        self.data = np.ascontiguousarray(array, dtype=dtype).ravel()


class T7Writer:
    def __init__(self):
        self.out = io.BytesIO()
        self.index = {}

    def i32(self, v):
        self.out.write(struct.pack('<i', v))

    def i64(self, v):
        self.out.write(struct.pack('<q', v))

    def raw_string(self, s):
        b = s.encode()
        self.i32(len(b))
        self.out.write(b)

    def ref(self, obj):
        """Writes the object index; True if already written (a reference)."""
        if id(obj) in self.index:
            self.i32(self.index[id(obj)][0])
            return True
        self.index[id(obj)] = (len(self.index) + 1, obj)
        self.i32(len(self.index))
        return False

    def class_header(self, obj, name):
        self.i32(4)
        if self.ref(obj):
            return False
        self.raw_string('V 1')
        self.raw_string(name)
        return True

    def obj(self, v):
        if v is None:
            self.i32(0)
        elif isinstance(v, bool):
            self.i32(5)
            self.i32(int(v))
        elif isinstance(v, (int, float)):
            self.i32(1)
            self.out.write(struct.pack('<d', float(v)))
        elif isinstance(v, str):
            self.i32(2)
            self.raw_string(v)
        elif isinstance(v, dict):
            self.i32(3)
            if self.ref(v):
                return
            self.i32(len(v))
            for k, x in v.items():
                self.obj(k)
                self.obj(x)
        elif isinstance(v, T7Tensor):
            if self.class_header(v, 'torch.%sTensor' % v.kind):
                self.i32(len(v.size))
                for s in v.size:
                    self.i64(s)
                for s in v.stride:
                    self.i64(s)
                self.i64(v.offset + 1)
                self.obj(v.storage)
        elif isinstance(v, T7Storage):
            if self.class_header(v, 'torch.%sStorage' % v.kind):
                self.i64(v.data.size)
                self.out.write(v.data.tobytes())
        elif isinstance(v, T7Class):
            if self.class_header(v, v.name):
                self.obj(v.payload)
        else:
            raise TypeError(v)


def empty_tensor():
    return T7Tensor(np.zeros(0, np.float32), storage=None, size=[], stride=[])


def t7_conv(w, b, variant):
    cout, cin, kh, kw = w.shape
    fields = {'nInputPlane': cin, 'nOutputPlane': cout, 'kW': kw, 'kH': kh,
              'dW': 1, 'dH': 1, 'output': empty_tensor()}
    name = 'nn.SpatialConvolution'
    if variant == 'mm':     # old SpatialConvolutionMM: 2D weight
        name = 'nn.SpatialConvolutionMM'
        fields['weight'] = T7Tensor(w.reshape(cout, cin * kh * kw))
    elif variant == 'double':
        fields['weight'] = T7Tensor(w.astype(np.float64), kind='Double')
    elif variant == 'cudnn':
        name = 'cudnn.SpatialConvolution'
        fields['weight'] = T7Tensor(w)
    elif variant == 'offset':   # weight placed inside a bigger storage
        flat = np.concatenate([RNG.standard_normal(5).astype(np.float32), w.ravel()])
        fields['weight'] = T7Tensor(w, storage=T7Storage(flat), offset=5)
    else:
        fields['weight'] = T7Tensor(w)
    fields['bias'] = T7Tensor(b, kind='Double' if variant == 'double' else 'Float')
    fields['gradWeight'] = fields['weight']     # a shared reference
    return T7Class(name, fields)


def write_t7(path, sd, length, convs, pools, ups, variants):
    modules = {}
    conv_at = {c[0]: c for c in convs}
    for i in range(length):
        if i in conv_at:
            w = sd['%d.weight' % i].numpy()
            b = sd['%d.bias' % i].numpy()
            m = t7_conv(w, b, variants.get(i, ''))
        elif i in pools:
            m = T7Class('nn.SpatialMaxPooling', {'kW': 2, 'kH': 2, 'dW': 2, 'dH': 2,
                                                 'ceil_mode': True,
                                                 'indices': empty_tensor()})
        elif i in ups:
            m = T7Class('nn.SpatialUpSamplingNearest', {'scale_factor': 2})
        elif (i in conv_at.keys() or i + 1 in conv_at) and i + 1 in conv_at:
            m = T7Class('nn.SpatialReflectionPadding',
                        {'pad_l': 1, 'pad_r': 1, 'pad_t': 1, 'pad_b': 1})
        else:
            m = T7Class('nn.ReLU', {'inplace': True, 'threshold': 0, 'val': 0,
                                    'output': empty_tensor()})
        modules[float(i + 1)] = m
    seq = T7Class('nn.Sequential', {'modules': modules, 'train': False,
                                    'output': empty_tensor(),
                                    'gradInput': empty_tensor()})
    w = T7Writer()
    w.obj(seq)
    with open(path, 'wb') as f:
        f.write(w.out.getvalue())


# ---- hostile and broken files -------------------------------------------

class System:
    def __reduce__(self):
        return (os.system, ('echo pwned',))


def rezip(src, dst, drop=None, compress=None):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, 'w') as zout:
        for info in zin.infolist():
            if drop and info.filename.endswith(drop):
                continue
            method = zipfile.ZIP_DEFLATED if compress and info.filename.endswith(compress) \
                else zipfile.ZIP_STORED
            zout.writestr(info.filename, zin.read(info.filename), compress_type=method)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), 'fixtures')
    os.makedirs(out, exist_ok=True)
    p = lambda name: os.path.join(out, name)

    enc = make_state(ENC_CONVS)
    dec = make_state(DEC_CONVS)

    # references, and the safetensors fixtures
    write_safetensors(p('ref-encoder.safetensors'), enc)
    write_safetensors(p('ref-decoder.safetensors'), dec)

    # PyTorch zip and legacy
    torch.save(enc, p('encoder.pth'))
    torch.save(enc, p('encoder-legacy.pth'), _use_new_zipfile_serialization=False)
    torch.save(dec, p('decoder.pth'))
    torch.save(dec, p('decoder-legacy.pth'), _use_new_zipfile_serialization=False)

    # Torch7, with old and cudnn variants mixed in
    write_t7(p('encoder.t7'), enc, ENC_LEN, ENC_CONVS, ENC_POOLS, set(), {})
    write_t7(p('decoder.t7'), dec, DEC_LEN, DEC_CONVS, set(), DEC_UPS,
             {1: 'mm', 5: 'double', 8: 'cudnn', 11: 'offset'})

    # dtypes: float16 / bfloat16 compare with the rounded values, float64 exactly
    half = collections.OrderedDict((k, v.half()) for k, v in dec.items())
    bf16 = collections.OrderedDict((k, v.bfloat16()) for k, v in dec.items())
    f64 = collections.OrderedDict((k, v.double()) for k, v in dec.items())
    torch.save(half, p('decoder-f16.pth'))
    write_safetensors(p('decoder-f16.safetensors'), half)
    write_safetensors(p('ref-decoder-f16.safetensors'),
                      collections.OrderedDict((k, v.float()) for k, v in half.items()))
    torch.save(bf16, p('decoder-bf16.pth'))
    write_safetensors(p('ref-decoder-bf16.safetensors'),
                      collections.OrderedDict((k, v.float()) for k, v in bf16.items()))
    torch.save(f64, p('decoder-f64-legacy.pth'), _use_new_zipfile_serialization=False)
    write_safetensors(p('decoder-f64.safetensors'), f64)

    # non-contiguous views and storage offsets
    base = torch.from_numpy(RNG.standard_normal((5, 6)).astype(np.float32))
    big = torch.from_numpy(RNG.standard_normal(200).astype(np.float32))
    strided = collections.OrderedDict()
    strided['t.weight'] = base.t()                           # transposed
    strided['s.weight'] = base[1:4, 2:5]                     # offset + row stride
    strided['o.bias'] = big[17:29]                           # offset only
    strided['p.weight'] = big[:144].view(2, 3, 4, 6).permute(1, 0, 3, 2)
    strided['e.weight'] = big[::7][:10]                      # step
    torch.save(strided, p('strided.pth'))
    torch.save(strided, p('strided-legacy.pth'), _use_new_zipfile_serialization=False)
    write_safetensors(p('ref-strided.safetensors'),
                      collections.OrderedDict((k, v.contiguous()) for k, v in strided.items()))

    # checkpoint wrappers: {'state_dict': {'module.1.weight': ...}, ...}
    wrapped = collections.OrderedDict(('module.' + k, v) for k, v in dec.items())
    wrapped['module.num_batches_tracked'] = torch.tensor(7)
    torch.save({'epoch': 3, 'lr': 1e-4, 'state_dict': wrapped,
                'note': 'trained', 'flags': [True, None, (1, 2)]}, p('wrapped.pth'))
    param = torch.nn.Sequential(torch.nn.Identity(), torch.nn.Conv2d(8, 4, 3))
    with torch.no_grad():
        param[1].weight.copy_(dec['1.weight'])
        param[1].bias.copy_(dec['1.bias'])
    torch.save({'model': param.state_dict()}, p('wrapped-model-legacy.pth'),
               _use_new_zipfile_serialization=False)

    # hostile: a pickle that would run os.system; broken archives
    torch.save({'0.weight': System()}, p('hostile-system.pth'))
    torch.save({'0.weight': System()}, p('hostile-system-legacy.pth'),
               _use_new_zipfile_serialization=False)
    rezip(p('decoder.pth'), p('broken-compressed.pth'), compress='data/0')
    rezip(p('decoder.pth'), p('broken-missing-storage.pth'), drop='data/3')
    rezip(p('decoder.pth'), p('broken-missing-pickle.pth'), drop='data.pkl')

    total = sum(os.path.getsize(p(f)) for f in os.listdir(out))
    print('wrote %d files, %d bytes' % (len(os.listdir(out)), total))


if __name__ == '__main__':
    main()
