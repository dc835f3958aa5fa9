#!/usr/bin/python3
"""Reference fixtures for sppo's transformer models, computed by PyTorch in float64.

Run with Debian's interpreter (python3-torch 1.13 + numpy), not the python3 first on PATH:

    /usr/bin/python3 tools/make_model_fixtures.py            # (re)write test/fixtures/models/
    /usr/bin/python3 tools/make_model_fixtures.py --check DIR [DIR ...]

No transformers here (not installable): the reference models below follow Hugging Face's
modeling_llama / modeling_qwen2 / modeling_qwen3 / modeling_gpt2 math step by step (Gemma-2: its
own script, tools/fixture_gemma2.py, whose model --check uses for model_type gemma2):
  Llama: x = embed[ids]; per layer: h = x + o_proj(attn(rmsnorm(x))); x = h + down(silu(gate(n)) * up(n))
         with n = rmsnorm(h); rmsnorm(x) = w * x * rsqrt(mean(x^2) + eps); rotary in rotate_half
         layout with inv_freq = 1 / theta^(arange(0, D, 2) / D) and cos/sin of position_ids;
         grouped-query attention (repeat_kv: query head h reads kv head h // (Hq / Hkv)),
         scores / sqrt(D), causal + padding mask; logits = lm_head(rmsnorm(x)) (or embed^T, tied).
  Qwen3: Llama with attention_bias on q, k, v and o, and a per-head RMSNorm on q and k (q_norm, k_norm,
         weight (head_dim), eps rms_norm_eps) over each head's head_dim values, after the projection
         and before rotary; head_dim from the config (need not be hidden / heads).
  GPT-2: x = wte[ids] + wpe[position_ids]; per layer: x += c_proj(attn(ln_1(x))), x += mlp(ln_2(x))
         with Conv1D y = x W + b (W is (in, out)), c_attn columns q | k | v, gelu_new (tanh form),
         LayerNorm with biased variance; logits = ln_f(x) wte^T.
Masking follows sppo's attention contract: a key is visible when it is not after the query and its
attention_mask is 1; a query with no visible key (a left-padding position) gets a zero attention
output. Hugging Face differs only at such padding positions, whose outputs never reach the loss.

Each fixture directory (test/fixtures/models/<name>/):
  config.json           Hugging Face config (what transformers loads)
  model.safetensors     F32 parameters, Hugging Face names and layouts, metadata {"format": "pt"}
  batch.json            input_ids (B,T) with right padding in row 0 and LEFT padding in row 1,
                        attention_mask, position_ids (HF generate: cumsum(mask) - 1, padding → 1),
                        labels (the token id at response positions, -100 on prompt and padding)
  expected.safetensors  F32 values computed in float64 from the F32 parameters:
                        logits (B,T,V); token_logprobs (B,T-1) = log p(input_ids[:, t+1] | logits[:, t]);
                        seq_logprobs (B) = sum over t with labels[t] != -100 of log p(labels[t] | logits[t-1]);
                        loss (1) = mean token cross-entropy over the same tokens (HF's shifted loss);
                        grad.<param> = d loss / d param for every parameter.
  llama2c/ also holds llama2.c checkpoints (legacy and version 1) of two models and their HF
  equivalents (q/k rows permuted from Meta's interleaved rotary layout to rotate_half), with
  logits computed by a llama2.c-style forward (interleaved rotary) on the original rows.

--check DIR...: loads model directories that sppo wrote (config.json + model.safetensors or
  shards, F32/F16/BF16) with this script's own strict loader and prints, one JSON line per DIR,
  the logits for a fixed batch. test/model/io-modeldir.test.ts runs it on directories it writes
  and commits the output as test/fixtures/models/<name>/check-{f32,f16}.json
  (SPPO_UPDATE_FIXTURES=1 rewrites them), so CI without torch still checks our bytes against it.
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
from fixture_safetensors import write_safetensors  # noqa: E402

torch.set_default_dtype(torch.float64)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'models')

# ---------------------------------------------------------------------------------------------
# safetensors: an independent reader and writer (no safetensors package here)

ST_DTYPES = {'F64': ('<f8', 8), 'F32': ('<f4', 4), 'F16': ('<f2', 2), 'BF16': (None, 2),
             'I64': ('<i8', 8), 'I32': ('<i4', 4), 'I16': ('<i2', 2), 'I8': ('i1', 1), 'U8': ('u1', 1), 'BOOL': ('u1', 1)}


def st_write(path, tensors, metadata=None):
    """tensors: list of (name, np.ndarray float32 or int32). Written atomically."""
    entries = []
    for name, a in tensors:
        a = np.ascontiguousarray(a)
        dt = {np.dtype('float32'): 'F32', np.dtype('int32'): 'I32'}[a.dtype]
        entries.append((name, dt, a.shape, a.astype(a.dtype.newbyteorder('<')).tobytes()))
    write_safetensors(path, entries, metadata)


def st_read(path):
    """→ (dict name → np.ndarray (float64 for float dtypes, int64 for ints), metadata); strict."""
    with open(path, 'rb') as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f'{path}: shorter than 8 bytes')
    (n,) = struct.unpack('<Q', raw[:8])
    if 8 + n > len(raw):
        raise ValueError(f'{path}: header length {n} past the end')
    header = json.loads(raw[8:8 + n].decode('utf-8'))
    data = raw[8 + n:]
    meta = header.pop('__metadata__', {})
    spans, out = [], {}
    for name, e in header.items():
        kind, size = ST_DTYPES[e['dtype']]
        b, t = e['data_offsets']
        count = int(np.prod(e['shape'])) if e['shape'] else 1
        if t - b != count * size or t > len(data):
            raise ValueError(f'{path}: {name}: bad data_offsets {e["data_offsets"]} for {e["dtype"]} {e["shape"]}')
        spans.append((b, t, name))
        buf = data[b:t]
        if e['dtype'] == 'BF16':
            a = (np.frombuffer(buf, '<u2').astype(np.uint32) << 16).view(np.float32)
        else:
            a = np.frombuffer(buf, kind)
        a = a.astype(np.float64 if e['dtype'] in ('F64', 'F32', 'F16', 'BF16') else np.int64)
        out[name] = a.reshape(e['shape'])
    spans.sort()
    pos = 0
    for b, t, name in spans:
        if b != pos:
            raise ValueError(f'{path}: data section not tiled at {name} ({b} != {pos})')
        pos = t
    if pos != len(data):
        raise ValueError(f'{path}: {len(data) - pos} stray bytes after the last tensor')
    return out, meta


def roundtrip_check(path, tensors):
    got, meta = st_read(path)
    assert meta.get('format') == 'pt', meta
    assert list(got) == [n for n, _ in tensors], 'tensor order'
    for name, a in tensors:
        assert got[name].shape == a.shape and np.array_equal(got[name], a.astype(np.float64)), name

# ---------------------------------------------------------------------------------------------
# parameter lists (names and shapes exactly as transformers saves them)


def llama_params(c):
    C, V, I, L = c['hidden_size'], c['vocab_size'], c['intermediate_size'], c['num_hidden_layers']
    H, Hkv = c['num_attention_heads'], c.get('num_key_value_heads') or c['num_attention_heads']
    D = c.get('head_dim') or C // H
    qwen2, qwen3 = c['model_type'] == 'qwen2', c['model_type'] == 'qwen3'
    qkv_bias = qwen2 or c.get('attention_bias', False)
    o_bias = (not qwen2) and c.get('attention_bias', False)
    mlp_bias = c['model_type'] == 'llama' and c.get('mlp_bias', False)
    ps = [('model.embed_tokens.weight', (V, C))]
    for i in range(L):
        p = f'model.layers.{i}'
        ps.append((f'{p}.input_layernorm.weight', (C,)))
        for proj, rows in (('q', H * D), ('k', Hkv * D), ('v', Hkv * D)):
            ps.append((f'{p}.self_attn.{proj}_proj.weight', (rows, C)))
            if qkv_bias:
                ps.append((f'{p}.self_attn.{proj}_proj.bias', (rows,)))
            if qwen3 and proj in ('q', 'k'):
                ps.append((f'{p}.self_attn.{proj}_norm.weight', (D,)))
        ps.append((f'{p}.self_attn.o_proj.weight', (C, H * D)))
        if o_bias:
            ps.append((f'{p}.self_attn.o_proj.bias', (C,)))
        ps.append((f'{p}.post_attention_layernorm.weight', (C,)))
        for proj, shape in (('gate', (I, C)), ('up', (I, C)), ('down', (C, I))):
            ps.append((f'{p}.mlp.{proj}_proj.weight', shape))
            if mlp_bias:
                ps.append((f'{p}.mlp.{proj}_proj.bias', (shape[0],)))
    ps.append(('model.norm.weight', (C,)))
    if not c.get('tie_word_embeddings', False):
        ps.append(('lm_head.weight', (V, C)))
    return ps


def gpt2_params(c):
    C, V, L, P = c['n_embd'], c['vocab_size'], c['n_layer'], c.get('n_positions', 1024)
    I = c.get('n_inner') or 4 * C
    ps = [('transformer.wte.weight', (V, C)), ('transformer.wpe.weight', (P, C))]
    for i in range(L):
        h = f'transformer.h.{i}'
        ps += [(f'{h}.ln_1.weight', (C,)), (f'{h}.ln_1.bias', (C,)),
               (f'{h}.attn.c_attn.weight', (C, 3 * C)), (f'{h}.attn.c_attn.bias', (3 * C,)),
               (f'{h}.attn.c_proj.weight', (C, C)), (f'{h}.attn.c_proj.bias', (C,)),
               (f'{h}.ln_2.weight', (C,)), (f'{h}.ln_2.bias', (C,)),
               (f'{h}.mlp.c_fc.weight', (C, I)), (f'{h}.mlp.c_fc.bias', (I,)),
               (f'{h}.mlp.c_proj.weight', (I, C)), (f'{h}.mlp.c_proj.bias', (C,))]
    ps += [('transformer.ln_f.weight', (C,)), ('transformer.ln_f.bias', (C,))]
    if not c.get('tie_word_embeddings', True):
        ps.append(('lm_head.weight', (V, C)))
    return ps


def param_list(c):
    if c['model_type'] == 'gemma2':  # tools/fixture_gemma2.py (imported here, which imports this file)
        from fixture_gemma2 import gemma2_params
        return gemma2_params(c)
    return gpt2_params(c) if c['model_type'] == 'gpt2' else llama_params(c)

# ---------------------------------------------------------------------------------------------
# reference math, float64


def masked_softmax_attention(q, k, v, attention_mask, scale, sliding_window=None):
    """q (B,H,T,D), k/v (B,H,T,D) (kv heads already repeated), mask (B,T) → (B,H,T,D).
    A key j is visible to query i when j <= i and mask[j] == 1; no visible key → zero output."""
    B, H, T, D = q.shape
    s = (q @ k.transpose(-1, -2)) * scale
    i = torch.arange(T)[:, None]
    j = torch.arange(T)[None, :]
    allowed = (j <= i)
    if sliding_window is not None:
        allowed = allowed & (i - j < sliding_window)
    allowed = allowed[None, None] & (attention_mask[:, None, None, :] == 1)
    s = s.masked_fill(~allowed, float('-inf'))
    m = s.amax(-1, keepdim=True).detach()
    m = torch.where(torch.isfinite(m), m, torch.zeros_like(m))
    e = torch.exp(s - m) * allowed
    den = e.sum(-1, keepdim=True)
    p = e / torch.where(den > 0, den, torch.ones_like(den))
    return p @ v


def rms_norm(x, w, eps):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rotate_half(x):
    d = x.shape[-1] // 2
    return torch.cat((-x[..., d:], x[..., :d]), dim=-1)


def rope_cos_sin(position_ids, D, theta):
    inv_freq = 1.0 / (theta ** (torch.arange(0, D, 2, dtype=torch.float64) / D))
    freqs = position_ids.to(torch.float64)[..., None] * inv_freq  # (B,T,D/2)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


def llama_forward(c, P, ids, mask, pos):
    C = c['hidden_size']
    H = c['num_attention_heads']
    Hkv = c.get('num_key_value_heads') or H
    D = c.get('head_dim') or C // H
    eps = c.get('rms_norm_eps', 1e-6)
    theta = c.get('rope_theta', 10000.0)
    sw = c.get('sliding_window') if (c['model_type'] == 'mistral' or c.get('use_sliding_window')) else None
    B, T = ids.shape

    def lin(x, name):
        y = x @ P[name + '.weight'].T
        b = P.get(name + '.bias')
        return y + b if b is not None else y

    x = P['model.embed_tokens.weight'][ids]
    cos, sin = rope_cos_sin(pos, D, theta)
    cos, sin = cos[:, None], sin[:, None]
    for li in range(c['num_hidden_layers']):
        p = f'model.layers.{li}'
        n = rms_norm(x, P[f'{p}.input_layernorm.weight'], eps)
        q = lin(n, f'{p}.self_attn.q_proj').view(B, T, H, D)
        k = lin(n, f'{p}.self_attn.k_proj').view(B, T, Hkv, D)
        if c['model_type'] == 'qwen3':  # Qwen3Attention: q_norm / k_norm over head_dim, before rotary
            q = rms_norm(q, P[f'{p}.self_attn.q_norm.weight'], eps)
            k = rms_norm(k, P[f'{p}.self_attn.k_norm.weight'], eps)
        q, k = q.transpose(1, 2), k.transpose(1, 2)
        v = lin(n, f'{p}.self_attn.v_proj').view(B, T, Hkv, D).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(H // Hkv, dim=1)  # = HF repeat_kv
        v = v.repeat_interleave(H // Hkv, dim=1)
        a = masked_softmax_attention(q, k, v, mask, 1.0 / math.sqrt(D), sw)
        a = a.transpose(1, 2).reshape(B, T, H * D)
        h = x + lin(a, f'{p}.self_attn.o_proj')
        n = rms_norm(h, P[f'{p}.post_attention_layernorm.weight'], eps)
        g = lin(n, f'{p}.mlp.gate_proj')
        x = h + lin(torch.nn.functional.silu(g) * lin(n, f'{p}.mlp.up_proj'), f'{p}.mlp.down_proj')
    x = rms_norm(x, P['model.norm.weight'], eps)
    head = P['model.embed_tokens.weight'] if c.get('tie_word_embeddings', False) else P['lm_head.weight']
    return x @ head.T


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdim=True)
    var = (x - mu).pow(2).mean(-1, keepdim=True)
    return (x - mu) * torch.rsqrt(var + eps) * w + b


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))


def gpt2_forward(c, P, ids, mask, pos):
    C, H = c['n_embd'], c['n_head']
    D = C // H
    eps = c.get('layer_norm_epsilon', 1e-5)
    B, T = ids.shape
    x = P['transformer.wte.weight'][ids] + P['transformer.wpe.weight'][pos]
    for li in range(c['n_layer']):
        p = f'transformer.h.{li}'
        n = layer_norm(x, P[f'{p}.ln_1.weight'], P[f'{p}.ln_1.bias'], eps)
        qkv = n @ P[f'{p}.attn.c_attn.weight'] + P[f'{p}.attn.c_attn.bias']
        q, k, v = (t.view(B, T, H, D).transpose(1, 2) for t in qkv.split(C, dim=-1))
        a = masked_softmax_attention(q, k, v, mask, 1.0 / math.sqrt(D))
        a = a.transpose(1, 2).reshape(B, T, C)
        x = x + a @ P[f'{p}.attn.c_proj.weight'] + P[f'{p}.attn.c_proj.bias']
        n = layer_norm(x, P[f'{p}.ln_2.weight'], P[f'{p}.ln_2.bias'], eps)
        f = gelu_new(n @ P[f'{p}.mlp.c_fc.weight'] + P[f'{p}.mlp.c_fc.bias'])
        x = x + f @ P[f'{p}.mlp.c_proj.weight'] + P[f'{p}.mlp.c_proj.bias']
    x = layer_norm(x, P['transformer.ln_f.weight'], P['transformer.ln_f.bias'], eps)
    head = P['transformer.wte.weight'] if c.get('tie_word_embeddings', True) else P['lm_head.weight']
    return x @ head.T


def forward(c, P, ids, mask, pos):
    if c['model_type'] == 'gemma2':
        from fixture_gemma2 import gemma2_forward
        return gemma2_forward(c, P, ids, mask, pos)
    return gpt2_forward(c, P, ids, mask, pos) if c['model_type'] == 'gpt2' else llama_forward(c, P, ids, mask, pos)


def meta_forward(c, P, ids):
    """llama2.c / Meta model.py forward: rotary on interleaved pairs (2i, 2i+1) via complex
    multiplication, weights in the file's own (Meta) row order; positions 0..T-1, no padding."""
    C, H, Hkv = c['hidden_size'], c['num_attention_heads'], c['num_key_value_heads']
    D, eps = C // H, c['rms_norm_eps']
    B, T = ids.shape
    inv = 1.0 / (c['rope_theta'] ** (torch.arange(0, D, 2, dtype=torch.float64) / D))
    ang = torch.arange(T, dtype=torch.float64)[:, None] * inv  # (T, D/2)
    rot = torch.polar(torch.ones_like(ang), ang)

    def rope(x):  # (B,T,h,D)
        z = torch.view_as_complex(x.reshape(*x.shape[:-1], D // 2, 2).contiguous())
        return torch.view_as_real(z * rot[None, :, None, :]).reshape(x.shape)

    x = P['tok_embeddings'][ids]
    for li in range(c['num_hidden_layers']):
        n = rms_norm(x, P[f'attention_norm.{li}'], eps)
        q = rope((n @ P[f'wq.{li}'].T).view(B, T, H, D)).transpose(1, 2)
        k = rope((n @ P[f'wk.{li}'].T).view(B, T, Hkv, D)).transpose(1, 2)
        v = (n @ P[f'wv.{li}'].T).view(B, T, Hkv, D).transpose(1, 2)
        k, v = k.repeat_interleave(H // Hkv, 1), v.repeat_interleave(H // Hkv, 1)
        a = masked_softmax_attention(q, k, v, torch.ones(B, T, dtype=torch.long), 1.0 / math.sqrt(D))
        h = x + a.transpose(1, 2).reshape(B, T, C) @ P[f'wo.{li}'].T
        n = rms_norm(h, P[f'ffn_norm.{li}'], eps)
        x = h + (torch.nn.functional.silu(n @ P[f'w1.{li}'].T) * (n @ P[f'w3.{li}'].T)) @ P[f'w2.{li}'].T
    return rms_norm(x, P['norm'], eps) @ P['output'].T


def token_losses(logits, ids, labels):
    """→ loss (mean CE over labelled tokens, HF shift), seq_logprobs (B), token_logprobs (B,T-1)."""
    lp = torch.log_softmax(logits[:, :-1], dim=-1)
    token_lp = lp.gather(-1, ids[:, 1:, None])[..., 0]
    tgt = labels[:, 1:]
    sel = tgt != -100
    lab_lp = lp.gather(-1, tgt.clamp(min=0)[..., None])[..., 0] * sel
    return -lab_lp.sum() / sel.sum(), lab_lp.sum(-1), token_lp

# ---------------------------------------------------------------------------------------------
# fixtures


def init_params(c, gen, emb_std):
    """F32 parameters: weights ~ N(0, 1/in), norm weights ~ 1 + N(0, 0.1²), biases ~ N(0, 0.1²)."""
    out = []
    for name, shape in param_list(c):
        if name.endswith(('embed_tokens.weight', 'wte.weight', 'wpe.weight')):
            a = gen.normal(0, emb_std, shape)
        elif name.endswith('.bias'):
            a = gen.normal(0, 0.1, shape)
        elif len(shape) == 1:
            a = 1 + gen.normal(0, 0.1, shape)
        else:
            fan_in = shape[0] if '.c_' in name else shape[1]  # Conv1D is (in, out)
            a = gen.normal(0, 1 / math.sqrt(fan_in), shape)
        out.append((name, a.astype(np.float32)))
    return out


def hf_position_ids(mask):
    """transformers' generate: position_ids = cumsum(mask) - 1, then 1 at padding."""
    pos = mask.cumsum(-1) - 1
    return pos.masked_fill(mask == 0, 1)


def make_batch(V, gen, B=3, T=11):
    """row 0: right padding; row 1: LEFT padding; row 2: none. Prompt then response."""
    rows = [(0, 8, 3), (3, 8, 4), (0, T, 5)]  # (left pad, real length, prompt length)
    ids = np.zeros((B, T), np.int64)
    mask = np.zeros((B, T), np.int64)
    labels = np.full((B, T), -100, np.int64)
    for b, (left, n, prompt) in enumerate(rows):
        ids[b] = gen.integers(0, V, T)
        mask[b, left:left + n] = 1
        ids[b, :left] = 0  # pad id (masked anyway)
        ids[b, left + n:] = 0
        labels[b, left + prompt:left + n] = ids[b, left + prompt:left + n]
    ids, mask, labels = torch.tensor(ids), torch.tensor(mask), torch.tensor(labels)
    return ids, mask, hf_position_ids(mask), labels


def fd_check(c, P, ids, mask, pos, labels, gen, probes=12, fwd=None):
    """autograd against central differences on random parameter entries (guards the masking code);
    fwd: the model's forward (default: this file's Llama-family forward; the Gemma-2 and Phi-3
    fixture scripts pass theirs)"""
    fwd = fwd or forward
    names = list(P)
    with torch.no_grad():
        for _ in range(probes):
            n = names[gen.integers(len(names))]
            flat = P[n].view(-1)
            i = int(gen.integers(flat.numel()))
            h, x0 = 1e-5, flat[i].item()
            flat[i] = x0 + h
            up = token_losses(fwd(c, P, ids, mask, pos), ids, labels)[0].item()
            flat[i] = x0 - h
            dn = token_losses(fwd(c, P, ids, mask, pos), ids, labels)[0].item()
            flat[i] = x0
            fd, ad = (up - dn) / (2 * h), P[n].grad.view(-1)[i].item()
            assert abs(fd - ad) <= 1e-6 * max(1.0, abs(ad)), f'{n}[{i}]: autograd {ad} vs finite difference {fd}'


BATCH_NOTES = ('row 0 right-padded, row 1 left-padded, row 2 unpadded; position_ids as transformers generate() makes them '
               '(cumsum(attention_mask) - 1, 1 at padding); labels: token id at response positions, -100 elsewhere; '
               'loss = mean over t with labels[t] != -100 of -log p(labels[t] | logits[t-1]); logits at left-padding '
               'positions follow sppo attention (a query with no visible key attends to nothing)')


def write_fixture(d, config, params, P, batch, outputs, notes=BATCH_NOTES, extra=None):
    """a fixture directory: config.json, model.safetensors (params), batch.json (ids, mask, position
    ids, labels, notes, extra) and expected.safetensors (logits, token/sequence log-probs, loss and
    every parameter's gradient from P); returns its size in bytes"""
    ids, mask, pos, labels = batch
    logits, loss, seq_lp, tok_lp = outputs
    with open(os.path.join(d, 'config.json'), 'w') as f:
        json.dump(config, f, indent=2)
        f.write('\n')
    st_write(os.path.join(d, 'model.safetensors'), params)
    roundtrip_check(os.path.join(d, 'model.safetensors'), params)
    doc = {'input_ids': ids.tolist(), 'attention_mask': mask.tolist(), 'position_ids': pos.tolist(), 'labels': labels.tolist(),
           'notes': notes, **(extra or {})}
    with open(os.path.join(d, 'batch.json'), 'w') as f:
        json.dump(doc, f)
        f.write('\n')
    f32 = lambda t: t.detach().numpy().astype(np.float32)  # noqa: E731
    expected = [('logits', f32(logits)), ('token_logprobs', f32(tok_lp)), ('seq_logprobs', f32(seq_lp)),
                ('loss', f32(loss).reshape(1))]
    expected += [(f'grad.{n}', f32(P[n].grad)) for n, _ in params]
    st_write(os.path.join(d, 'expected.safetensors'), expected)
    roundtrip_check(os.path.join(d, 'expected.safetensors'), expected)
    return sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))


def make_fixture(name, config, seed, emb_std):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    gen = np.random.default_rng(seed)
    params = init_params(config, gen, emb_std)
    ids, mask, pos, labels = make_batch(config['vocab_size'], gen)
    P = {n: torch.tensor(a.astype(np.float64), requires_grad=True) for n, a in params}
    logits = forward(config, P, ids, mask, pos)
    loss, seq_lp, tok_lp = token_losses(logits, ids, labels)
    loss.backward()
    fd_check(config, P, ids, mask, pos, labels, gen)
    size = write_fixture(d, config, params, P, (ids, mask, pos, labels), (logits, loss, seq_lp, tok_lp))
    print(f'{name}: {sum(a.size for _, a in params)} params, loss {loss.item():.6f}, {size / 1024:.0f} KiB', file=sys.stderr)

# ---- llama2.c --------------------------------------------------------------------------------


def meta_rows_from_hf(w, heads, D):
    """HF rotate_half rows → Meta interleaved rows (llama2.c export.py's permute_reverse)."""
    out = w.reshape(heads, 2, D // 2, -1).transpose(0, 2, 1, 3)
    return np.ascontiguousarray(out.reshape(w.shape))


def write_llama2c(path, c, meta, version, shared):
    dim, L, V, seq = c['hidden_size'], c['num_hidden_layers'], c['vocab_size'], c['max_position_embeddings']
    D = dim // c['num_attention_heads']
    hdr = (dim, c['intermediate_size'], L, c['num_attention_heads'], c['num_key_value_heads'], V, seq)
    per = lambda k: [meta[f'{k}.{i}'] for i in range(L)]
    with open(path, 'wb') as f:
        if version == 0:
            f.write(struct.pack('<7i', *hdr[:5], V if shared else -V, seq))
            inv = 1.0 / (10000.0 ** (np.arange(0, D, 2) / D))
            ang = np.arange(seq)[:, None] * inv
            blocks = [meta['tok_embeddings'], *per('attention_norm'), *per('wq'), *per('wk'), *per('wv'), *per('wo'),
                      *per('ffn_norm'), *per('w1'), *per('w2'), *per('w3'), meta['norm'], np.cos(ang), np.sin(ang)]
        else:
            f.write(struct.pack('<Ii', 0x616b3432, 1) + struct.pack('<7i', *hdr) + struct.pack('B', int(shared)))
            f.write(b'\0' * (256 - f.tell()))
            blocks = [*per('attention_norm'), *per('ffn_norm'), meta['norm'], meta['tok_embeddings'],
                      *per('wq'), *per('wk'), *per('wv'), *per('wo'), *per('w1'), *per('w2'), *per('w3')]
        if not shared:
            blocks.append(meta['output'])
        for b in blocks:
            f.write(np.asarray(b, dtype='<f4').tobytes())


def make_llama2c_fixture():
    d = os.path.join(OUT, 'llama2c')
    os.makedirs(d, exist_ok=True)
    gen = np.random.default_rng(7)
    summary = {}
    for tied in (False, True):
        c = {'architectures': ['LlamaForCausalLM'], 'model_type': 'llama', 'vocab_size': 37, 'hidden_size': 24,
             'intermediate_size': 40, 'num_hidden_layers': 2, 'num_attention_heads': 4, 'num_key_value_heads': 2,
             'max_position_embeddings': 16, 'rms_norm_eps': 1e-5, 'rope_theta': 10000.0, 'tie_word_embeddings': tied}
        H, Hkv, D = 4, 2, 6
        params = init_params(c, gen, 1.0)
        hf = dict(params)
        meta = {'tok_embeddings': hf['model.embed_tokens.weight'], 'norm': hf['model.norm.weight'],
                'output': hf['model.embed_tokens.weight' if tied else 'lm_head.weight']}
        for i in range(2):
            p = f'model.layers.{i}'
            meta[f'attention_norm.{i}'] = hf[f'{p}.input_layernorm.weight']
            meta[f'ffn_norm.{i}'] = hf[f'{p}.post_attention_layernorm.weight']
            meta[f'wq.{i}'] = meta_rows_from_hf(hf[f'{p}.self_attn.q_proj.weight'], H, D)
            meta[f'wk.{i}'] = meta_rows_from_hf(hf[f'{p}.self_attn.k_proj.weight'], Hkv, D)
            meta[f'wv.{i}'] = hf[f'{p}.self_attn.v_proj.weight']
            meta[f'wo.{i}'] = hf[f'{p}.self_attn.o_proj.weight']
            meta[f'w1.{i}'] = hf[f'{p}.mlp.gate_proj.weight']
            meta[f'w2.{i}'] = hf[f'{p}.mlp.down_proj.weight']
            meta[f'w3.{i}'] = hf[f'{p}.mlp.up_proj.weight']
        tag = 'tied' if tied else 'untied'
        for version in (0, 1):
            write_llama2c(os.path.join(d, f'v{version}-{tag}.bin'), c, meta, version, tied)
        st_write(os.path.join(d, f'hf-{tag}.safetensors'), params)
        roundtrip_check(os.path.join(d, f'hf-{tag}.safetensors'), params)
        # the permutation is right iff the Meta-layout forward equals the HF forward
        ids = torch.tensor(gen.integers(0, 37, (2, 7)))
        mask = torch.ones_like(ids)
        P = {n: torch.tensor(a.astype(np.float64)) for n, a in params}
        M = {n: torch.tensor(np.asarray(a, np.float64)) for n, a in meta.items()}
        hf_logits = llama_forward(c, P, ids, mask, hf_position_ids(mask))
        meta_logits = meta_forward(c, M, ids)
        err = (hf_logits - meta_logits).abs().max().item()
        assert err < 1e-10, f'llama2.c rotary permutation: max |HF - Meta| = {err}'
        st_write(os.path.join(d, f'expected-{tag}.safetensors'), [('logits', meta_logits.numpy().astype(np.float32))])
        summary[tag] = {'input_ids': ids.tolist(), 'config': c}
        print(f'llama2c {tag}: max |HF - Meta| logits {err:.1e}', file=sys.stderr)
    with open(os.path.join(d, 'cases.json'), 'w') as f:
        json.dump(summary, f, indent=1)
        f.write('\n')

# ---------------------------------------------------------------------------------------------
# --check: load a directory sppo wrote, as transformers would, and print logits


def load_dir_strict(d):
    """config.json + safetensors (single or sharded) → (config, params float64); refuses anything
    transformers would refuse or silently get wrong (missing/misshaped tensors, no format metadata)."""
    with open(os.path.join(d, 'config.json')) as f:
        c = json.load(f)
    mt = c.get('model_type')
    arch = {'llama': 'LlamaForCausalLM', 'mistral': 'MistralForCausalLM', 'qwen2': 'Qwen2ForCausalLM', 'qwen3': 'Qwen3ForCausalLM',
            'gemma2': 'Gemma2ForCausalLM', 'gpt2': 'GPT2LMHeadModel'}
    if mt not in arch:
        raise SystemExit(f'{d}: model_type {mt!r} unknown')
    if c.get('architectures') != [arch[mt]]:
        raise SystemExit(f'{d}: architectures {c.get("architectures")!r}, expected [{arch[mt]!r}]')
    if c.get('torch_dtype') not in ('float32', 'float16', 'bfloat16'):
        raise SystemExit(f'{d}: torch_dtype {c.get("torch_dtype")!r}')
    files = []
    if os.path.exists(os.path.join(d, 'model.safetensors')):
        files = ['model.safetensors']
    else:
        with open(os.path.join(d, 'model.safetensors.index.json')) as f:
            files = sorted(set(json.load(f)['weight_map'].values()))
    tensors, dtypes, sha = {}, set(), hashlib.sha256()
    for fn in files:
        path = os.path.join(d, fn)
        with open(path, 'rb') as f:
            sha.update(f.read())
        got, meta = st_read(path)
        if meta.get('format') not in ('pt', 'tf', 'flax', 'mlx'):
            raise SystemExit(f'{path}: metadata {meta!r} lacks format (transformers refuses the file)')
        with open(path, 'rb') as f:
            (n,) = struct.unpack('<Q', f.read(8))
            dtypes |= {e['dtype'] for k, e in json.loads(f.read(n)).items() if k != '__metadata__'}
        tensors.update(got)
    P = {}
    for name, shape in param_list(c):
        alt = name[len('transformer.'):] if name.startswith('transformer.') else None
        key = name if name in tensors else alt if alt in tensors else None
        if key is None:
            raise SystemExit(f'{d}: missing tensor {name}')
        if tuple(tensors[key].shape) != tuple(shape):
            raise SystemExit(f'{d}: {name} has shape {tensors[key].shape}, expected {shape}')
        P[name] = torch.tensor(tensors.pop(key))
    if tensors:
        raise SystemExit(f'{d}: unexpected tensors {sorted(tensors)[:5]}')
    return c, P, sorted(dtypes), sha.hexdigest()


def check_batch(V):
    """fixed: 2 rows of 5, row 1 left-padded by 2"""
    ids = torch.tensor([[(7 * t + 3) % V for t in range(5)], [0, 0] + [(11 * t + 5) % V for t in range(3)]])
    mask = torch.tensor([[1] * 5, [0, 0, 1, 1, 1]])
    return ids, mask, hf_position_ids(mask)


def check(dirs):
    for d in dirs:
        c, P, dtypes, sha = load_dir_strict(d)
        ids, mask, pos = check_batch(c['vocab_size'])
        with torch.no_grad():
            logits = forward(c, P, ids, mask, pos)
        print(json.dumps({'dir': os.path.basename(os.path.normpath(d)), 'model_type': c['model_type'], 'dtypes': dtypes,
                          'weights_sha256': sha, 'config': c,
                          'input_ids': ids.tolist(), 'attention_mask': mask.tolist(), 'position_ids': pos.tolist(),
                          'logits': [[[float('%.8g' % x) for x in row] for row in b] for b in logits.tolist()]}))

# ---------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--check', nargs='+', metavar='DIR', help='print logits of model directories sppo wrote')
    ap.add_argument('--only', nargs='+', metavar='NAME', help='write only these fixtures (e.g. qwen3-gqa qwen3-tied)')
    a = ap.parse_args()
    if a.check:
        check(a.check)
        return
    if a.only:
        for name in a.only:
            if name not in QWEN3:
                raise SystemExit(f'--only: no fixture {name!r} here (the others are written by a full run)')
            make_fixture(name, QWEN3[name][0], seed=QWEN3[name][1], emb_std=QWEN3[name][2])
        return
    # (a) Llama, grouped-query attention, untied head
    make_fixture('llama-gqa', {
        'architectures': ['LlamaForCausalLM'], 'model_type': 'llama', 'vocab_size': 101, 'hidden_size': 48,
        'intermediate_size': 80, 'num_hidden_layers': 2, 'num_attention_heads': 6, 'num_key_value_heads': 2,
        'max_position_embeddings': 64, 'rms_norm_eps': 1e-5, 'rope_theta': 10000.0, 'tie_word_embeddings': False,
        'hidden_act': 'silu', 'bos_token_id': 1, 'eos_token_id': 2, 'torch_dtype': 'float32'}, seed=1, emb_std=1.0)
    # (b) Qwen2-style: q/k/v bias, tied embeddings, other theta
    make_fixture('qwen2-tied', {
        'architectures': ['Qwen2ForCausalLM'], 'model_type': 'qwen2', 'vocab_size': 89, 'hidden_size': 32,
        'intermediate_size': 72, 'num_hidden_layers': 2, 'num_attention_heads': 4, 'num_key_value_heads': 2,
        'max_position_embeddings': 64, 'rms_norm_eps': 1e-6, 'rope_theta': 1000000.0, 'tie_word_embeddings': True,
        'use_sliding_window': False, 'sliding_window': 64, 'hidden_act': 'silu', 'bos_token_id': None,
        'eos_token_id': [87, 88], 'torch_dtype': 'float32'}, seed=2, emb_std=0.3)
    # (c) GPT-2
    make_fixture('gpt2', {
        'architectures': ['GPT2LMHeadModel'], 'model_type': 'gpt2', 'vocab_size': 97, 'n_embd': 32, 'n_layer': 2,
        'n_head': 4, 'n_positions': 64, 'n_ctx': 64, 'n_inner': None, 'activation_function': 'gelu_new',
        'layer_norm_epsilon': 1e-5, 'bos_token_id': 96, 'eos_token_id': 96, 'tie_word_embeddings': True,
        'torch_dtype': 'float32'}, seed=3, emb_std=0.2)
    for name, (config, seed, emb_std) in QWEN3.items():
        make_fixture(name, config, seed=seed, emb_std=emb_std)
    make_llama2c_fixture()


# Qwen3 (q/k norms): (d) GQA, head_dim 14 ≠ hidden/heads = 10, untied head; (e) tied, head_dim 6 with
# hidden 20 / 3 heads (not even a whole number), no GQA, attention_bias (q, k, v and o biases)
QWEN3 = {
    'qwen3-gqa': ({
        'architectures': ['Qwen3ForCausalLM'], 'model_type': 'qwen3', 'vocab_size': 83, 'hidden_size': 40,
        'intermediate_size': 56, 'num_hidden_layers': 2, 'num_attention_heads': 4, 'num_key_value_heads': 2,
        'head_dim': 14, 'max_position_embeddings': 64, 'rms_norm_eps': 1e-6, 'rope_theta': 1000000.0,
        'tie_word_embeddings': False, 'attention_bias': False, 'use_sliding_window': False, 'sliding_window': None,
        'max_window_layers': 2, 'hidden_act': 'silu', 'bos_token_id': 80, 'eos_token_id': 81, 'torch_dtype': 'float32'},
        4, 1.0),
    'qwen3-tied': ({
        'architectures': ['Qwen3ForCausalLM'], 'model_type': 'qwen3', 'vocab_size': 67, 'hidden_size': 20,
        'intermediate_size': 34, 'num_hidden_layers': 3, 'num_attention_heads': 3, 'num_key_value_heads': 3,
        'head_dim': 6, 'max_position_embeddings': 64, 'rms_norm_eps': 1e-5, 'rope_theta': 10000.0,
        'tie_word_embeddings': True, 'attention_bias': True, 'use_sliding_window': False, 'sliding_window': 64,
        'max_window_layers': 3, 'hidden_act': 'silu', 'bos_token_id': None, 'eos_token_id': [65, 66], 'torch_dtype': 'float32'},
        5, 0.5),
}


if __name__ == '__main__':
    main()
