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
The model (tools/torch_llama.py) follows Hugging Face's modeling_llama / modeling_qwen2 math (RMSNorm, rotate_half
rotary, GQA, SwiGLU, q/k/v bias for Qwen2, tied embeddings). train: forward + backward + AdamW
on the mean cross-entropy of B×(T−1) next tokens; train_lora: the same with the base frozen and
rank-r adapters (PEFT's init) on the target projections; logprobs: one no-grad forward and the
log-softmax gather of B×(T−1) tokens; decode: greedy, KV cache, B rows after a promptLen prompt.
"""
import json, resource, sys, time
import torch
from torch_llama import Model, blas_name, train_tok_s

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
    print(json.dumps({'ms': ms, 'threads': torch.get_num_threads(), 'blas': blas_name()}))
    sys.exit(0)

a = cfg['arch']
V, C, L, H, KH, I = a['vocab'], a['hidden'], a['layers'], a['heads'], a['kvHeads'], a['intermediate']
B, T, steps, measure = cfg['batch'], cfg['seq'], cfg['steps'], cfg['measure']
torch.manual_seed(0)


class LoRALinear(torch.nn.Module):
    def __init__(s, base, r):
        super().__init__()
        s.base, s.scale = base, 16 / r
        s.a = torch.nn.Parameter(torch.empty(r, base.in_features).uniform_(-1 / base.in_features ** 0.5, 1 / base.in_features ** 0.5))
        s.b = torch.nn.Parameter(torch.zeros(base.out_features, r))

    def forward(s, x):
        return s.base(x) + (x @ s.a.t()) @ s.b.t() * s.scale


m = Model(V, C, L, H, KH, I, eps=a.get('normEps', 1e-5), tied=bool(a.get('tied')), qkv_bias=bool(a.get('qkvBias')),
          rope_theta=a.get('ropeTheta', 10000.0), emb_std=0.02)
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
    tok_s = train_tok_s(m, [p for p in m.parameters() if p.requires_grad], ids, steps)
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

blas = blas_name()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({'tok_s': tok_s, 'peak_rss': peak, 'threads': torch.get_num_threads(), 'blas': blas, 'torch': torch.__version__}))
