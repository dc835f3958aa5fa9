#!/usr/bin/python3
"""Gemma-2 reference fixtures for sppo, computed by PyTorch in float64.

    /usr/bin/python3 tools/fixture_gemma2.py        # (re)write test/fixtures/models/gemma2-*/

No transformers library here: the model below is an independent reimplementation of Hugging Face's
Gemma2ForCausalLM (modeling_gemma2.py), written from its definition:
  x = embed[ids] * normalizer, normalizer = sqrt(hidden_size) rounded to the activation dtype (f32
      for an f32 checkpoint: the value sppo multiplies by);
  per layer i:  x = x + post_attention_layernorm(attn_i(input_layernorm(x)))
                x = x + post_feedforward_layernorm(mlp(pre_feedforward_layernorm(x)))
  rmsnorm(x) = x * rsqrt(mean(x^2) + eps) * (1 + w)           (Gemma's weight offset)
  mlp(n) = down(gelu_tanh(gate(n)) * up(n))                      (hidden_activation gelu_pytorch_tanh)
  attn: q, k, v projections (+ bias with attention_bias), rotary (rotate_half, inv_freq from
      rope_theta over head_dim), grouped-query heads, scores = q.k * query_pre_attn_scalar^-1/2,
      then soft-capped: attn_logit_softcapping * tanh(scores / attn_logit_softcapping) (when not
      null), then masked: causal, padding keys, and on layers with an EVEN index only keys with
      i - j < sliding_window; softmax; o_proj.
  logits = rmsnorm_final(x) @ embed^T (tied) or lm_head^T, then final_logit_softcapping *
      tanh(logits / final_logit_softcapping) (when not null).
A query with no visible key (left padding) gets a zero attention output (sppo's contract; it never
reaches the loss). The fixtures use a sliding window shorter than the batch's sequence and soft caps
small enough that most scores and logits bend, so each piece changes the numbers.

Files as tools/make_model_fixtures.py writes them (shared helpers are imported from it):
config.json, model.safetensors (F32, HF names), batch.json, expected.safetensors (logits,
token_logprobs, seq_logprobs, loss, grad.<every parameter>).
"""
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_model_fixtures import OUT, fd_check, make_batch, token_losses, write_fixture  # noqa: E402

torch.set_default_dtype(torch.float64)


def gemma2_params(c):
    """(name, shape): Gemma2ForCausalLM's tensors, in the order sppo's hfParamList lists them"""
    C, V, I, L = c['hidden_size'], c['vocab_size'], c['intermediate_size'], c['num_hidden_layers']
    H, Hkv, D = c['num_attention_heads'], c['num_key_value_heads'], c['head_dim']
    bias = c.get('attention_bias', False)
    ps = [('model.embed_tokens.weight', (V, C))]
    for i in range(L):
        p = f'model.layers.{i}'
        ps.append((f'{p}.input_layernorm.weight', (C,)))
        for proj, rows in (('q', H * D), ('k', Hkv * D), ('v', Hkv * D)):
            ps.append((f'{p}.self_attn.{proj}_proj.weight', (rows, C)))
            if bias:
                ps.append((f'{p}.self_attn.{proj}_proj.bias', (rows,)))
        ps.append((f'{p}.self_attn.o_proj.weight', (C, H * D)))
        if bias:
            ps.append((f'{p}.self_attn.o_proj.bias', (C,)))
        ps.append((f'{p}.post_attention_layernorm.weight', (C,)))
        ps.append((f'{p}.pre_feedforward_layernorm.weight', (C,)))
        for proj, shape in (('gate', (I, C)), ('up', (I, C)), ('down', (C, I))):
            ps.append((f'{p}.mlp.{proj}_proj.weight', shape))
        ps.append((f'{p}.post_feedforward_layernorm.weight', (C,)))
    ps.append(('model.norm.weight', (C,)))
    if not c.get('tie_word_embeddings', True):
        ps.append(('lm_head.weight', (V, C)))
    return ps


def gemma_rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * (1.0 + w)


def gelu_tanh(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))


def softcap(x, cap):
    return x if cap is None else cap * torch.tanh(x / cap)


def rotary(x, pos, theta):
    """x (B,h,T,D), pos (B,T): HF rotate_half rotary"""
    D = x.shape[-1]
    inv = 1.0 / (theta ** (torch.arange(0, D, 2, dtype=torch.float64) / D))
    ang = pos.to(torch.float64)[..., None] * inv
    emb = torch.cat((ang, ang), -1)[:, None]
    half = D // 2
    rot = torch.cat((-x[..., half:], x[..., :half]), -1)
    return x * emb.cos() + rot * emb.sin()


def attention(q, k, v, mask, scale, window, cap):
    """q (B,H,T,D), k/v (B,H,T,D) with kv heads repeated; mask (B,T)"""
    T = q.shape[2]
    s = softcap((q @ k.transpose(-1, -2)) * scale, cap)
    i = torch.arange(T)[:, None]
    j = torch.arange(T)[None, :]
    ok = j <= i
    if window is not None:
        ok = ok & (i - j < window)
    ok = ok[None, None] & (mask[:, None, None, :] == 1)
    s = s.masked_fill(~ok, float('-inf'))
    m = s.amax(-1, keepdim=True).detach()
    m = torch.where(torch.isfinite(m), m, torch.zeros_like(m))
    e = torch.exp(s - m) * ok
    den = e.sum(-1, keepdim=True)
    return (e / torch.where(den > 0, den, torch.ones_like(den))) @ v


def gemma2_forward(c, P, ids, mask, pos):
    C, H, Hkv, D = c['hidden_size'], c['num_attention_heads'], c['num_key_value_heads'], c['head_dim']
    eps, theta = c['rms_norm_eps'], c['rope_theta']
    B, T = ids.shape

    def lin(x, name):
        y = x @ P[name + '.weight'].T
        b = P.get(name + '.bias')
        return y if b is None else y + b

    x = P['model.embed_tokens.weight'][ids] * float(np.float32(math.sqrt(C)))
    for li in range(c['num_hidden_layers']):
        p = f'model.layers.{li}'
        n = gemma_rms_norm(x, P[f'{p}.input_layernorm.weight'], eps)
        q = rotary(lin(n, f'{p}.self_attn.q_proj').view(B, T, H, D).transpose(1, 2), pos, theta)
        k = rotary(lin(n, f'{p}.self_attn.k_proj').view(B, T, Hkv, D).transpose(1, 2), pos, theta)
        v = lin(n, f'{p}.self_attn.v_proj').view(B, T, Hkv, D).transpose(1, 2)
        k, v = k.repeat_interleave(H // Hkv, 1), v.repeat_interleave(H // Hkv, 1)
        window = c['sliding_window'] if li % 2 == 0 else None
        a = attention(q, k, v, mask, c['query_pre_attn_scalar'] ** -0.5, window, c['attn_logit_softcapping'])
        a = lin(a.transpose(1, 2).reshape(B, T, H * D), f'{p}.self_attn.o_proj')
        x = x + gemma_rms_norm(a, P[f'{p}.post_attention_layernorm.weight'], eps)
        n = gemma_rms_norm(x, P[f'{p}.pre_feedforward_layernorm.weight'], eps)
        f = lin(gelu_tanh(lin(n, f'{p}.mlp.gate_proj')) * lin(n, f'{p}.mlp.up_proj'), f'{p}.mlp.down_proj')
        x = x + gemma_rms_norm(f, P[f'{p}.post_feedforward_layernorm.weight'], eps)
    x = gemma_rms_norm(x, P['model.norm.weight'], eps)
    head = P['model.embed_tokens.weight'] if c.get('tie_word_embeddings', True) else P['lm_head.weight']
    return softcap(x @ head.T, c['final_logit_softcapping'])


def init_params(c, gen):
    """F32: embeddings ~ N(0, 1), weights ~ N(0, 1/in), biases ~ N(0, 0.1²), norm weights
    (Gemma's offset form: the scale is 1 + w) ~ N(0, 0.3²)"""
    out = []
    for name, shape in gemma2_params(c):
        if name.endswith('embed_tokens.weight'):
            a = gen.normal(0, 1.0, shape)
        elif name.endswith('.bias'):
            a = gen.normal(0, 0.1, shape)
        elif len(shape) == 1:
            a = gen.normal(0, 0.3, shape)
        else:
            a = gen.normal(0, 1 / math.sqrt(shape[1]), shape)
        out.append((name, a.astype(np.float32)))
    return out


def bends(c, P, ids, mask, pos):
    """how much each Gemma-2 piece moves the logits (a fixture where one does not matter is useless)"""
    base = gemma2_forward(c, P, ids, mask, pos)
    out = {}
    for k, v in (('sliding_window', None), ('attn_logit_softcapping', None), ('final_logit_softcapping', None)):
        if c[k] is not None:
            out[k] = (gemma2_forward(dict(c, **{k: v}), P, ids, mask, pos) - base).abs().max().item()
    return out


def make(name, config, seed):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    gen = np.random.default_rng(seed)
    params = init_params(config, gen)
    ids, mask, pos, labels = make_batch(config['vocab_size'], gen, T=13)
    P = {n: torch.tensor(a.astype(np.float64), requires_grad=True) for n, a in params}
    logits = gemma2_forward(config, P, ids, mask, pos)
    loss, seq_lp, tok_lp = token_losses(logits, ids, labels)
    loss.backward()
    fd_check(config, P, ids, mask, pos, labels, gen, probes=16, fwd=gemma2_forward)
    with torch.no_grad():
        moved = bends(config, P, ids, mask, pos)
    for k, v in moved.items():
        assert v > 1e-2, f'{name}: {k} changes the logits by only {v}'
    size = write_fixture(d, config, params, P, (ids, mask, pos, labels), (logits, loss, seq_lp, tok_lp),
                         extra={'max_abs_logit_change_without': moved})
    print(f'{name}: {sum(a.size for _, a in params)} params, loss {loss.item():.6f}, logits moved by {moved}, {size / 1024:.0f} KiB', file=sys.stderr)


GEMMA2 = {
    # GQA 4:2, head_dim 10 ≠ hidden/heads = 6, query_pre_attn_scalar 7 (≠ head_dim), tied head,
    # 3 layers (0 and 2 sliding with window 4 < T = 13, 1 global), both soft caps small
    'gemma2-gqa': ({
        'architectures': ['Gemma2ForCausalLM'], 'model_type': 'gemma2', 'vocab_size': 79, 'hidden_size': 24,
        'intermediate_size': 40, 'num_hidden_layers': 3, 'num_attention_heads': 4, 'num_key_value_heads': 2,
        'head_dim': 10, 'hidden_activation': 'gelu_pytorch_tanh', 'hidden_act': 'gelu_pytorch_tanh',
        'max_position_embeddings': 64, 'rms_norm_eps': 1e-6, 'rope_theta': 10000.0, 'attention_bias': False,
        'query_pre_attn_scalar': 7, 'sliding_window': 4, 'attn_logit_softcapping': 2.0, 'final_logit_softcapping': 8.0,
        'tie_word_embeddings': True, 'pad_token_id': 0, 'bos_token_id': 2, 'eos_token_id': [1, 78],
        'cache_implementation': 'hybrid', 'torch_dtype': 'float32'}, 6),
    # MHA 3:3, head_dim 8 with hidden 18, attention_bias (q, k, v, o), untied head, window 3,
    # no attention soft cap (null), final cap 2.5, another rope theta
    'gemma2-bias': ({
        'architectures': ['Gemma2ForCausalLM'], 'model_type': 'gemma2', 'vocab_size': 61, 'hidden_size': 18,
        'intermediate_size': 28, 'num_hidden_layers': 2, 'num_attention_heads': 3, 'num_key_value_heads': 3,
        'head_dim': 8, 'hidden_activation': 'gelu_pytorch_tanh', 'max_position_embeddings': 64, 'rms_norm_eps': 1e-5,
        'rope_theta': 500.0, 'attention_bias': True, 'query_pre_attn_scalar': 8, 'sliding_window': 3,
        'attn_logit_softcapping': None, 'final_logit_softcapping': 2.5, 'tie_word_embeddings': False,
        'pad_token_id': 0, 'bos_token_id': 2, 'eos_token_id': 1, 'torch_dtype': 'float32'}, 7),
}


if __name__ == '__main__':
    for fixture, (cfg, seed) in GEMMA2.items():
        make(fixture, cfg, seed)
