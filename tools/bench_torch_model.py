#!/usr/bin/env python3
"""PyTorch peer for `npm run bench -- model`: the same Llama config and batch as our bench,
trained (forward + backward + AdamW) and decoded (greedy, KV cache) on the CPU.

Run with Debian's interpreter: /usr/bin/python3 tools/bench_torch_model.py '<json config>'
Prints one JSON line: {"train_tok_s", "decode_tok_s", "threads", "blas"}.
The model follows Hugging Face's modeling_llama math (RMSNorm, rotate_half rotary, GQA, SwiGLU).
"""
import json, sys, time
import torch
import torch.nn.functional as F

cfg = json.loads(sys.argv[1])
V, C, L, H, KH, I = cfg['vocab'], cfg['hidden'], cfg['layers'], cfg['heads'], cfg['kvHeads'], cfg['intermediate']
B, T, steps = cfg['batch'], cfg['seq'], cfg['steps']
D = C // H
torch.manual_seed(0)
torch.set_num_threads(cfg.get('threads', 2))


def rms(x, w, eps=1e-5):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


class Block(torch.nn.Module):
    def __init__(s):
        super().__init__()
        s.n1 = torch.nn.Parameter(torch.ones(C)); s.n2 = torch.nn.Parameter(torch.ones(C))
        s.q = torch.nn.Linear(C, H * D, bias=False); s.k = torch.nn.Linear(C, KH * D, bias=False)
        s.v = torch.nn.Linear(C, KH * D, bias=False); s.o = torch.nn.Linear(H * D, C, bias=False)
        s.g = torch.nn.Linear(C, I, bias=False); s.u = torch.nn.Linear(C, I, bias=False); s.d = torch.nn.Linear(I, C, bias=False)

    def forward(s, x, cos, sin, cache=None, start=0):
        b, t, _ = x.shape
        h = rms(x, s.n1)
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
        a = sc.softmax(-1) @ v
        x = x + s.o(a.transpose(1, 2).reshape(b, t, H * D))
        h = rms(x, s.n2)
        return x + s.d(F.silu(s.g(h)) * s.u(h))


class Model(torch.nn.Module):
    def __init__(s):
        super().__init__()
        s.emb = torch.nn.Embedding(V, C); s.blocks = torch.nn.ModuleList([Block() for _ in range(L)])
        s.norm = torch.nn.Parameter(torch.ones(C)); s.head = torch.nn.Linear(C, V, bias=False)
        inv = 1.0 / (10000 ** (torch.arange(0, D, 2).float() / D))
        ang = torch.outer(torch.arange(4096).float(), inv)
        s.cos = torch.cat([ang.cos(), ang.cos()], -1); s.sin = torch.cat([ang.sin(), ang.sin()], -1)

    def forward(s, ids, caches=None, start=0):
        t = ids.shape[1]
        cos, sin = s.cos[start:start + t], s.sin[start:start + t]
        x = s.emb(ids)
        for i, blk in enumerate(s.blocks):
            x = blk(x, cos, sin, None if caches is None else caches[i], start)
        return s.head(rms(x, s.norm))


m = Model()
opt = torch.optim.AdamW(m.parameters(), lr=1e-4)
ids = torch.randint(0, V, (B, T))


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
train = B * (T - 1) * steps / (time.perf_counter() - t0)

P, N = cfg['promptLen'], cfg['newTokens']
with torch.no_grad():
    def decode():
        caches = [dict() for _ in range(L)]
        logits = m(ids[:, :P], caches, 0)
        tok = logits[:, -1].argmax(-1, keepdim=True)
        for s in range(N - 1):
            logits = m(tok, caches, P + s)
            tok = logits[:, -1].argmax(-1, keepdim=True)
    decode()
    t0 = time.perf_counter()
    decode()
    dec = B * N / (time.perf_counter() - t0)

cfgs = torch.__config__.show()
blas = 'openblas' if 'OpenBLAS' in cfgs or 'openblas' in cfgs.lower() else 'unknown'
print(json.dumps({'train_tok_s': train, 'decode_tok_s': dec, 'threads': torch.get_num_threads(), 'blas': blas, 'torch': torch.__version__}))
