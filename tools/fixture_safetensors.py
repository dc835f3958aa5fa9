"""The safetensors writer the fixture scripts share (tools/make_model_fixtures.py,
make_half_model_fixture.py, make_reward_model_fixtures.py): an independent writer (no
safetensors package here). Header: JSON with '__metadata__' first, padded with spaces to a
multiple of 8 bytes; data: the blobs in order, little-endian. Written to PATH.tmp, then renamed.
"""
import json
import os
import struct


def write_safetensors(path, entries, metadata=None):
    """entries: list of (name, dtype 'F32' | 'I32' | 'BF16' | ..., shape, little-endian bytes)"""
    header, off, blobs = {'__metadata__': dict({'format': 'pt'}, **(metadata or {}))}, 0, []
    for name, dtype, shape, b in entries:
        header[name] = {'dtype': dtype, 'shape': list(shape), 'data_offsets': [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)
