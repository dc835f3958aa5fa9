#!/usr/bin/env python3
"""PyTorch peer for `npm run bench -- scale`: ONE measure on ONE real-checkpoint shape per process
(so the peak RSS it reports belongs to that measure alone), the same shape, batch and steps as
our side (bench/scale.ts), random weights, f32 on the CPU.

Run with Debian's interpreter: /usr/bin/python3 tools/bench_torch_scale.py '<json>'
json: {"arch": {vocab, hidden, layers, heads, kvHeads, intermediate, tied, qkvBias, ropeTheta, normEps},
       "measure": "train_full" | "train_lora" | "logprobs" | "decode" | "matmul",
       "batch", "seq", "steps", "promptLen", "newTokens", "loraRank", "loraTargets", "threads"}
Prints one JSON line: {"tok_s", "peak_rss", "threads", "blas", "torch"}.
matmul: {"products": [{m, n, k, transA, transB, accumulate}], "minMs"} instead of arch...: each
product timed alone (f32, best call after minMs) → {"ms": [...]}.
The model follows Hugging Face's modeling_llama / modeling_qwen2 math (RMSNorm, rotate_half
rotary, GQA, SwiGLU, q/k/v bias for Qwen2, tied embeddings). train: forward + backward + AdamW
on the mean cross-entropy of B×(T−1) next tokens; train_lora: the same with the base frozen and
rank-r adapters (PEFT's init) on the target projections; logprobs: one no-grad forward and the
log-softmax gather of B×(T−1) tokens; decode: greedy, KV cache, B rows after a promptLen prompt.
"""
import json, resource, sys, time
import torch
import torch.nn.functional as F

cfg = json.loads(sys.argv[1])
torch.set_num_threads(cfg.get('threads', 2))

if cfg['measure'] == 'matmul':
    # the products one of our training steps ran (bench/scale/ours.ts records them), each timed
    # alone in f32 as torch's own step computes it: out (m,n) = a @ b with a (m,k) or, transA, a
    # (k,m) tensor's .t() view; b (k,n) or, transB, a (n,k) tensor's .t() view (a Linear's x Wᵀ,
    # its backward dY W and dYᵀ X are such views: OpenBLAS takes them without a copy)
    ms = []
    for p in cfg['products']:
        m, n, k = p['m'], p['n'], p['k']
        a_ = torch.randn(k, m).t() if p['transA'] else torch.randn(m, k)
        b_ = torch.randn(n, k).t() if p['transB'] else torch.randn(k, n)
        o = torch.empty(m, n)
        def call():
            if p['accumulate']:
                o.addmm_(a_, b_)
            else:
                torch.mm(a_, b_, out=o)
        call()
        best, spent, calls = float('inf'), 0.0, 0
        while calls < 2 or spent < cfg['minMs']:
            t0 = time.perf_counter(); call(); t = (time.perf_counter() - t0) * 1000
            best, spent, calls = min(best, t), spent + t, calls + 1
        ms.append(best)
    print(json.dumps({'ms': ms, 'threads': torch.get_num_threads(), 'blas': 'openblas' if 'openblas' in open('/proc/self/maps').read().lower() else 'reference-or-unknown'}))
    sys.exit(0)

a = cfg['arch']
V, C, L, H, KH, I = a['vocab'], a['hidden'], a['layers'], a['heads'], a['kvHeads'], a['intermediate']
D = C // H
B, T, steps, measure = cfg['batch'], cfg['seq'], cfg['steps'], cfg['measure']
torch.manual_seed(0)
eps = a.get('normEps', 1e-5)


def rms(x, w):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


class LoRALinear(torch.nn.Module):
    def __init__(s, base, r):
        super().__init__()
        s.base, s.scale = base, 16 / r
        s.a = torch.nn.Parameter(torch.empty(r, base.in_features).uniform_(-1 / base.in_features ** 0.5, 1 / base.in_features ** 0.5))
        s.b = torch.nn.Parameter(torch.zeros(base.out_features, r))

    def forward(s, x):
        return s.base(x) + (x @ s.a.t()) @ s.b.t() * s.scale


class Block(torch.nn.Module):
    def __init__(s):
        super().__init__()
        s.n1 = torch.nn.Parameter(torch.ones(C)); s.n2 = torch.nn.Parameter(torch.ones(C))
        bias = bool(a.get('qkvBias'))
        s.q = torch.nn.Linear(C, H * D, bias=bias); s.k = torch.nn.Linear(C, KH * D, bias=bias)
        s.v = torch.nn.Linear(C, KH * D, bias=bias); s.o = torch.nn.Linear(H * D, C, bias=False)
        s.gate = torch.nn.Linear(C, I, bias=False); s.up = torch.nn.Linear(C, I, bias=False); s.down = torch.nn.Linear(I, C, bias=False)

    def forward(s, x, cos, sin, cache=None):
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
        att = sc.softmax(-1) @ v
        x = x + s.o(att.transpose(1, 2).reshape(b, t, H * D))
        h = rms(x, s.n2)
        return x + s.down(F.silu(s.gate(h)) * s.up(h))


class Model(torch.nn.Module):
    def __init__(s):
        super().__init__()
        s.emb = torch.nn.Embedding(V, C)
        torch.nn.init.normal_(s.emb.weight, std=0.02)
        s.blocks = torch.nn.ModuleList([Block() for _ in range(L)])
        s.norm = torch.nn.Parameter(torch.ones(C))
        s.head = None if a.get('tied') else torch.nn.Linear(C, V, bias=False)
        inv = 1.0 / (a.get('ropeTheta', 10000.0) ** (torch.arange(0, D, 2).float() / D))
        ang = torch.outer(torch.arange(4096).float(), inv)
        s.cos = torch.cat([ang.cos(), ang.cos()], -1); s.sin = torch.cat([ang.sin(), ang.sin()], -1)

    def hidden(s, ids, caches=None, start=0):
        t = ids.shape[1]
        cos, sin = s.cos[start:start + t], s.sin[start:start + t]
        x = s.emb(ids)
        for i, blk in enumerate(s.blocks):
            x = blk(x, cos, sin, None if caches is None else caches[i])
        return rms(x, s.norm)

    def logits(s, h):
        return h @ s.emb.weight.t() if s.head is None else s.head(h)


m = Model()
ids = torch.randint(0, V, (B, T))
tokens = 0

if measure in ('train_full', 'train_lora'):
    if measure == 'train_lora':
        for p in m.parameters():
            p.requires_grad_(False)
        r = cfg.get('loraRank', 8)
        for blk in m.blocks:
            for name in cfg.get('loraTargets', ['q', 'v']):
                setattr(blk, name, LoRALinear(getattr(blk, name), r))
    opt = torch.optim.AdamW([p for p in m.parameters() if p.requires_grad], lr=1e-4)

    def step():
        opt.zero_grad()
        logits = m.logits(m.hidden(ids[:, :-1]))
        loss = F.cross_entropy(logits.reshape(-1, V), ids[:, 1:].reshape(-1))
        loss.backward()
        opt.step()
    step()  # warm up
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    tok_s = B * (T - 1) * steps / (time.perf_counter() - t0)
elif measure == 'logprobs':
    def score():
        with torch.no_grad():
            lp = m.logits(m.hidden(ids[:, :-1])).log_softmax(-1)
            return lp.gather(-1, ids[:, 1:, None]).sum()
    score()
    t0 = time.perf_counter()
    for _ in range(steps):
        score()
    tok_s = B * (T - 1) * steps / (time.perf_counter() - t0)
elif measure == 'decode':
    P, N = cfg['promptLen'], cfg['newTokens']
    with torch.no_grad():
        def decode(n):
            caches = [dict() for _ in range(L)]
            h = m.hidden(ids[:, :P], caches, 0)
            tok = m.logits(h[:, -1:]).argmax(-1)
            for s in range(n - 1):
                h = m.hidden(tok, caches, P + s)
                tok = m.logits(h[:, -1:]).argmax(-1)
        decode(2)
        t0 = time.perf_counter()
        decode(N)
        tok_s = B * N / (time.perf_counter() - t0)
else:
    raise SystemExit(f'unknown measure {measure}')

# which BLAS the process really loaded (Debian's torch goes through libblas.so.3 alternatives)
try:
    maps = open('/proc/self/maps').read().lower()
except OSError:
    maps = ''
blas = 'openblas' if 'openblas' in maps or 'openblas' in torch.__config__.show().lower() else 'reference-or-unknown'
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({'tok_s': tok_s, 'peak_rss': peak, 'threads': torch.get_num_threads(), 'blas': blas, 'torch': torch.__version__}))
