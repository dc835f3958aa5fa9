#!/usr/bin/python3
"""Phi-3 reference fixtures for sppo, computed by PyTorch in float64.

    /usr/bin/python3 tools/fixture_phi3.py                 # (re)write test/fixtures/models/phi3-*/
    /usr/bin/python3 tools/fixture_phi3.py --check DIR...  # logits of Phi-3 directories sppo wrote
                                                           # (test/model/phi3.test.ts keeps them as
                                                           # test/fixtures/models/phi3-*/check-bf16.json)

No transformers here: the model below follows Hugging Face's modeling_phi3 step by step, written
from its description, independently of sppo's TypeScript:
  x = embed[ids]; per layer:
    n = rmsnorm(x); qkv = n @ qkv_proj^T  (rows of qkv_proj: q (H*D) | k (Hkv*D) | v (Hkv*D))
    q, k: rotary on the first rd = int(D * partial_rotary_factor) dims of each head (rotate_half
          over those rd dims, inv_freq = 1 / theta^(arange(0, rd, 2) / rd)); dims rd..D pass through
    a = softmax(q k^T / sqrt(D)) v over causal keys with attention_mask 1 and, when the config has a
        sliding_window, only keys with i - j < sliding_window (HF's sliding-window mask)
    h = x + a @ o_proj^T
    n = rmsnorm(h); gate, up = (n @ gate_up_proj^T).chunk(2)   (rows gate (I) | up (I))
    x = h + (up * silu(gate)) @ down_proj^T
  logits = rmsnorm(x) @ lm_head^T (or embed^T when tie_word_embeddings)
No biases anywhere (Phi3Attention / Phi3MLP use bias=False). The safetensors helpers, batch layout,
masking contract and loss definitions are make_model_fixtures.py's (shared, so every fixture reads
the same way): see that file for the layout of batch.json and expected.safetensors.
"""
import argparse
import hashlib
import json
import math
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_model_fixtures import (OUT, fd_check, hf_position_ids, write_fixture, make_batch, masked_softmax_attention,  # noqa: E402
                                 rms_norm, rotate_half, st_read, token_losses)

torch.set_default_dtype(torch.float64)


def dims(c):
    C, H = c['hidden_size'], c['num_attention_heads']
    Hkv = c.get('num_key_value_heads') or H
    D = c.get('head_dim') or C // H
    rd = int(D * c.get('partial_rotary_factor', 1.0))
    return C, H, Hkv, D, rd


def phi3_params(c):
    """names and shapes exactly as Phi3ForCausalLM.save_pretrained writes them"""
    C, H, Hkv, D, _ = dims(c)
    I, V, L = c['intermediate_size'], c['vocab_size'], c['num_hidden_layers']
    ps = [('model.embed_tokens.weight', (V, C))]
    for i in range(L):
        p = f'model.layers.{i}'
        ps += [(f'{p}.input_layernorm.weight', (C,)),
               (f'{p}.self_attn.qkv_proj.weight', (H * D + 2 * Hkv * D, C)),
               (f'{p}.self_attn.o_proj.weight', (C, H * D)),
               (f'{p}.post_attention_layernorm.weight', (C,)),
               (f'{p}.mlp.gate_up_proj.weight', (2 * I, C)),
               (f'{p}.mlp.down_proj.weight', (C, I))]
    ps.append(('model.norm.weight', (C,)))
    if not c.get('tie_word_embeddings', False):
        ps.append(('lm_head.weight', (V, C)))
    return ps


def phi3_forward(c, P, ids, mask, pos):
    C, H, Hkv, D, rd = dims(c)
    I, eps, theta = c['intermediate_size'], c.get('rms_norm_eps', 1e-5), c.get('rope_theta', 10000.0)
    B, T = ids.shape
    inv_freq = 1.0 / (theta ** (torch.arange(0, rd, 2, dtype=torch.float64) / rd))
    scale = 1.0
    rs = c.get('rope_scaling')
    if rs:  # LongRoPE (Phi-3 128k / Phi-3.5): below original_max_position_embeddings the short factors
        assert rs.get('type', rs.get('rope_type')) in ('longrope', 'su')
        original = c['original_max_position_embeddings']
        assert int(pos.max()) + 1 <= original, 'the long factors are not part of this reference'
        inv_freq = inv_freq / torch.tensor(rs['short_factor'], dtype=torch.float64)
        factor = c['max_position_embeddings'] / original
        scale = rs.get('attention_factor') or (1.0 if factor <= 1 else math.sqrt(1 + math.log(factor) / math.log(original)))
    ang = pos.to(torch.float64)[..., None] * inv_freq                  # (B,T,rd/2)
    cos = torch.cat((ang, ang), -1).cos()[:, None] * scale             # (B,1,T,rd), times LongRoPE's factor
    sin = torch.cat((ang, ang), -1).sin()[:, None] * scale

    def rope(x):  # (B,h,T,D): rotate the first rd dims, keep the rest
        r, keep = x[..., :rd], x[..., rd:]
        return torch.cat((r * cos + rotate_half(r) * sin, keep), -1)

    x = P['model.embed_tokens.weight'][ids]
    for li in range(c['num_hidden_layers']):
        p = f'model.layers.{li}'
        n = rms_norm(x, P[f'{p}.input_layernorm.weight'], eps)
        qkv = n @ P[f'{p}.self_attn.qkv_proj.weight'].T
        q = qkv[..., :H * D].reshape(B, T, H, D).transpose(1, 2)
        k = qkv[..., H * D:(H + Hkv) * D].reshape(B, T, Hkv, D).transpose(1, 2)
        v = qkv[..., (H + Hkv) * D:].reshape(B, T, Hkv, D).transpose(1, 2)
        q, k = rope(q), rope(k)
        k, v = k.repeat_interleave(H // Hkv, 1), v.repeat_interleave(H // Hkv, 1)
        a = masked_softmax_attention(q, k, v, mask, 1.0 / math.sqrt(D), c.get('sliding_window'))
        h = x + a.transpose(1, 2).reshape(B, T, H * D) @ P[f'{p}.self_attn.o_proj.weight'].T
        n = rms_norm(h, P[f'{p}.post_attention_layernorm.weight'], eps)
        gate, up = (n @ P[f'{p}.mlp.gate_up_proj.weight'].T).chunk(2, dim=-1)
        x = h + (up * torch.nn.functional.silu(gate)) @ P[f'{p}.mlp.down_proj.weight'].T
    x = rms_norm(x, P['model.norm.weight'], eps)
    head = P['model.embed_tokens.weight'] if c.get('tie_word_embeddings', False) else P['lm_head.weight']
    return x @ head.T


def init_params(c, gen, emb_std):
    out = []
    for name, shape in phi3_params(c):
        if name.endswith('embed_tokens.weight'):
            a = gen.normal(0, emb_std, shape)
        elif len(shape) == 1:
            a = 1 + gen.normal(0, 0.1, shape)
        else:
            a = gen.normal(0, 1 / math.sqrt(shape[1]), shape)
        out.append((name, a.astype(np.float32)))
    return out


def make_fixture(name, c, seed, emb_std):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    gen = np.random.default_rng(seed)
    params = init_params(c, gen, emb_std)
    ids, mask, pos, labels = make_batch(c['vocab_size'], gen)
    P = {n: torch.tensor(a.astype(np.float64), requires_grad=True) for n, a in params}
    logits = phi3_forward(c, P, ids, mask, pos)
    loss, seq_lp, tok_lp = token_losses(logits, ids, labels)
    loss.backward()
    fd_check(c, P, ids, mask, pos, labels, gen, probes=12, fwd=phi3_forward)
    # partial rotary (and LongRoPE) must matter: the same weights with plain full rotary give other logits
    full = dict(c, partial_rotary_factor=1.0, rope_scaling=None)
    with torch.no_grad():
        diff = (phi3_forward(full, P, ids, mask, pos) - logits).abs().max().item()
        if c.get('rope_scaling'):
            plain = dict(c, rope_scaling=None)
            d2 = (phi3_forward(plain, P, ids, mask, pos) - logits).abs().max().item()
            assert d2 > 1e-2, f'{name}: LongRoPE changes the logits by only {d2}'
    assert diff > 1e-2, f'{name}: partial rotary changes the logits by only {diff}'
    size = write_fixture(d, c, params, P, (ids, mask, pos, labels), (logits, loss, seq_lp, tok_lp),
                         notes='as make_model_fixtures.py: row 0 right-padded, row 1 left-padded, row 2 unpadded')
    print(f'{name}: {sum(a.size for _, a in params)} params, loss {loss.item():.6f}, full-vs-partial rotary logits differ by '
          f'{diff:.3f}, {size / 1024:.0f} KiB', file=sys.stderr)


def check(dirs):
    """a directory sppo wrote, read strictly as Phi3ForCausalLM would (exact names and shapes,
    nothing extra) → one JSON line of logits for a fixed batch"""
    for d in dirs:
        with open(os.path.join(d, 'config.json')) as f:
            c = json.load(f)
        if c.get('model_type') != 'phi3' or c.get('architectures') != ['Phi3ForCausalLM']:
            raise SystemExit(f'{d}: not a Phi3ForCausalLM config')
        path = os.path.join(d, 'model.safetensors')
        tensors, meta = st_read(path)
        with open(path, 'rb') as f:
            raw = f.read()
        (n,) = struct.unpack('<Q', raw[:8])
        dtypes = sorted({e['dtype'] for k, e in json.loads(raw[8:8 + n]).items() if k != '__metadata__'})
        if meta.get('format') != 'pt':
            raise SystemExit(f'{d}: safetensors metadata lacks format "pt"')
        P = {}
        for name, shape in phi3_params(c):
            if name not in tensors or tuple(tensors[name].shape) != tuple(shape):
                raise SystemExit(f'{d}: {name} missing or not {shape}')
            P[name] = torch.tensor(tensors.pop(name))
        if tensors:
            raise SystemExit(f'{d}: unexpected tensors {sorted(tensors)[:5]}')
        V = c['vocab_size']
        ids = torch.tensor([[(7 * t + 3) % V for t in range(5)], [0, 0] + [(11 * t + 5) % V for t in range(3)]])
        mask = torch.tensor([[1] * 5, [0, 0, 1, 1, 1]])
        with torch.no_grad():
            logits = phi3_forward(c, P, ids, mask, hf_position_ids(mask))
        print(json.dumps({'dir': os.path.basename(os.path.normpath(d)), 'weights_sha256': hashlib.sha256(raw).hexdigest(), 'dtypes': dtypes,
                          'config': c, 'input_ids': ids.tolist(), 'attention_mask': mask.tolist(),
                          'position_ids': hf_position_ids(mask).tolist(), 'logits': [[[float('%.8g' % x) for x in r] for r in b] for b in logits.tolist()]}))


# (a) GQA (4 query heads on 2 kv heads), head_dim 10 with 4 rotary dims, untied head, a sliding
#     window (48) longer than the batch (11) as Phi-3-mini's 2047 is, odd sizes
# (b) no GQA, head_dim 8 with 6 rotary dims, tied head, no sliding window
# (c) LongRoPE (below)
PHI3 = {
    'phi3-gqa': ({
        'architectures': ['Phi3ForCausalLM'], 'model_type': 'phi3', 'vocab_size': 79, 'hidden_size': 40,
        'intermediate_size': 44, 'num_hidden_layers': 2, 'num_attention_heads': 4, 'num_key_value_heads': 2,
        'partial_rotary_factor': 0.4, 'max_position_embeddings': 64, 'original_max_position_embeddings': 64,
        'rms_norm_eps': 1e-5, 'rope_theta': 10000.0, 'rope_scaling': None, 'sliding_window': 48,
        'tie_word_embeddings': False, 'hidden_act': 'silu', 'resid_pdrop': 0.0, 'embd_pdrop': 0.0,
        'attention_dropout': 0.0, 'bos_token_id': 1, 'eos_token_id': 78, 'pad_token_id': 78, 'torch_dtype': 'float32'},
        11, 1.0),
    'phi3-tied': ({
        'architectures': ['Phi3ForCausalLM'], 'model_type': 'phi3', 'vocab_size': 61, 'hidden_size': 24,
        'intermediate_size': 30, 'num_hidden_layers': 2, 'num_attention_heads': 3, 'num_key_value_heads': 3,
        'partial_rotary_factor': 0.75, 'max_position_embeddings': 32, 'rms_norm_eps': 1e-6, 'rope_theta': 500000.0,
        'rope_scaling': None, 'sliding_window': None, 'tie_word_embeddings': True, 'hidden_act': 'silu',
        'bos_token_id': 1, 'eos_token_id': [59, 60], 'torch_dtype': 'float32'},
        12, 0.5),
    # (c) LongRoPE as Phi-3.5-mini / Phi-3-128k configure it (rope_scaling type "longrope", short and
    #     long factors, original_max_position_embeddings 64 < max_position_embeddings 256: attention
    #     factor sqrt(1 + ln 4 / ln 64)), on 6 rotary dims of head_dim 10, GQA, and a sliding window (5)
    #     shorter than the batch's rows (11), so the window's mask matters
    'phi3-longrope': ({
        'architectures': ['Phi3ForCausalLM'], 'model_type': 'phi3', 'vocab_size': 53, 'hidden_size': 30,
        'intermediate_size': 38, 'num_hidden_layers': 2, 'num_attention_heads': 3, 'num_key_value_heads': 1,
        'partial_rotary_factor': 0.6, 'max_position_embeddings': 256, 'original_max_position_embeddings': 64,
        'rope_scaling': {'type': 'longrope', 'short_factor': [1.0, 1.9, 7.25], 'long_factor': [1.5, 6.0, 40.0]},
        'rms_norm_eps': 1e-5, 'rope_theta': 10000.0, 'sliding_window': 5, 'tie_word_embeddings': False,
        'hidden_act': 'silu', 'bos_token_id': 1, 'eos_token_id': 52, 'torch_dtype': 'float32'},
        13, 1.0),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--check', nargs='+', metavar='DIR', help='print logits of Phi-3 directories sppo wrote')
    a = ap.parse_args()
    if a.check:
        check(a.check)
        return
    for name, (c, seed, emb_std) in PHI3.items():
        make_fixture(name, c, seed, emb_std)


if __name__ == '__main__':
    main()
