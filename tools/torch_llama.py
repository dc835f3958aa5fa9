"""The Llama-family model the PyTorch bench peers share (tools/bench_torch_model.py,
tools/bench_torch_scale.py): Hugging Face's modeling_llama / modeling_qwen2 math — RMSNorm,
rotate_half rotary, GQA, SwiGLU, optional q/k/v bias (Qwen2), optional tied embeddings — with a
KV cache for greedy decoding. Random weights: speed peers, not references (the fixtures'
float64 references are in make_model_fixtures.py).
"""
import time

import torch
import torch.nn.functional as F


def rms(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


class Block(torch.nn.Module):
    """one decoder layer; x: (B, T, C); cos/sin: (T, D); cache: a dict holding k, v (B, KH, T, D)"""

    def __init__(s, C, H, KH, I, eps, qkv_bias=False):
        super().__init__()
        s.H, s.KH, s.D, s.eps = H, KH, C // H, eps
        D = s.D
        s.n1 = torch.nn.Parameter(torch.ones(C)); s.n2 = torch.nn.Parameter(torch.ones(C))
        s.q = torch.nn.Linear(C, H * D, bias=qkv_bias); s.k = torch.nn.Linear(C, KH * D, bias=qkv_bias)
        s.v = torch.nn.Linear(C, KH * D, bias=qkv_bias); s.o = torch.nn.Linear(H * D, C, bias=False)
        s.gate = torch.nn.Linear(C, I, bias=False); s.up = torch.nn.Linear(C, I, bias=False); s.down = torch.nn.Linear(I, C, bias=False)

    def forward(s, x, cos, sin, cache=None):
        b, t, _ = x.shape
        H, KH, D = s.H, s.KH, s.D
        h = rms(x, s.n1, s.eps)
        q = s.q(h).view(b, t, H, D).transpose(1, 2)
        k = s.k(h).view(b, t, KH, D).transpose(1, 2)
        v = s.v(h).view(b, t, KH, D).transpose(1, 2)
        rot = lambda z: torch.cat((-z[..., D // 2:], z[..., :D // 2]), -1)
        q = q * cos + rot(q) * sin
        k = k * cos + rot(k) * sin
        if cache is not None:
            if 'k' in cache:
                k = torch.cat([cache['k'], k], 2); v = torch.cat([cache['v'], v], 2)
            cache['k'], cache['v'] = k, v
        k = k.repeat_interleave(H // KH, 1); v = v.repeat_interleave(H // KH, 1)
        sc = (q @ k.transpose(-1, -2)) / (D ** 0.5)
        if t > 1:
            tk = k.shape[2]
            mask = torch.ones(t, tk, dtype=torch.bool).tril(tk - t)
            sc = sc.masked_fill(~mask, float('-inf'))
        att = sc.softmax(-1) @ v
        x = x + s.o(att.transpose(1, 2).reshape(b, t, H * D))
        h = rms(x, s.n2, s.eps)
        return x + s.down(F.silu(s.gate(h)) * s.up(h))


class Model(torch.nn.Module):
    """hidden(ids, caches, start) → final-normed states (B, T, C); logits(h) → (B, T, V)"""

    def __init__(s, V, C, L, H, KH, I, eps=1e-5, tied=False, qkv_bias=False, rope_theta=10000.0, emb_std=None):
        super().__init__()
        s.eps = eps
        s.emb = torch.nn.Embedding(V, C)
        if emb_std is not None:
            torch.nn.init.normal_(s.emb.weight, std=emb_std)
        s.blocks = torch.nn.ModuleList([Block(C, H, KH, I, eps, qkv_bias) for _ in range(L)])
        s.norm = torch.nn.Parameter(torch.ones(C))
        s.head = None if tied else torch.nn.Linear(C, V, bias=False)
        D = C // H
        inv = 1.0 / (rope_theta ** (torch.arange(0, D, 2).float() / D))
        ang = torch.outer(torch.arange(4096).float(), inv)
        s.cos = torch.cat([ang.cos(), ang.cos()], -1); s.sin = torch.cat([ang.sin(), ang.sin()], -1)

    def hidden(s, ids, caches=None, start=0):
        t = ids.shape[1]
        cos, sin = s.cos[start:start + t], s.sin[start:start + t]
        x = s.emb(ids)
        for i, blk in enumerate(s.blocks):
            x = blk(x, cos, sin, None if caches is None else caches[i])
        return rms(x, s.norm, s.eps)

    def logits(s, h):
        return h @ s.emb.weight.t() if s.head is None else s.head(h)

    def forward(s, ids, caches=None, start=0):
        return s.logits(s.hidden(ids, caches, start))


def train_tok_s(m, params, ids, steps, lr=1e-4):
    """tokens/s of `steps` AdamW steps on the mean next-token cross-entropy of ids (B, T), after
    one warm-up step"""
    opt = torch.optim.AdamW(params, lr=lr)
    V = m.emb.weight.shape[0]

    def step():
        opt.zero_grad()
        logits = m(ids[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, V), ids[:, 1:].reshape(-1))
        loss.backward()
        opt.step()
    step()  # warm up
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    B, T = ids.shape
    return B * (T - 1) * steps / (time.perf_counter() - t0)


def blas_name():
    """which BLAS the process really loaded (Debian's torch goes through libblas.so.3 alternatives)"""
    try:
        maps = open('/proc/self/maps').read().lower()
    except OSError:
        maps = ''
    return 'openblas' if 'openblas' in maps or 'openblas' in torch.__config__.show().lower() else 'reference-or-unknown'
