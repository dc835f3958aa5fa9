#!/usr/bin/python3
"""PyTorch peer of `npm run bench -- pairrm`: a PairRM forward (DeBERTa-v3 encoder with
disentangled c2p/p2c attention, log-bucketed relative positions, exact GELU, the PairRM head) in
float32 on the CPU, batched, random weights of the given config. Prints one JSON line:
{"seq_s": sequences per second, "blas": ...}.

    /usr/bin/python3 tools/bench_torch_pairrm.py '{"hidden":384,"layers":6,"heads":6,"intermediate":1536,
        "vocab":4096,"buckets":256,"max_pos":512,"batch":8,"seq":256,"reps":3,"threads":2}'
The math is tools/fixture_pairrm.py's, vectorised over the batch (no padding: every sequence
has the same length), no autograd.
"""
import json
import math
import sys
import time

import torch


def main():
    c = json.loads(sys.argv[1])
    torch.set_num_threads(int(c.get('threads', 2)))
    torch.manual_seed(0)
    H, NH, L, I, V, S, MP = c['hidden'], c['heads'], c['layers'], c['intermediate'], c['vocab'], c['buckets'], c['max_pos']
    B, T, reps = c['batch'], c['seq'], c['reps']
    D = H // NH
    r = lambda *s: torch.randn(*s) * 0.05
    emb = r(V, H)
    lnw, lnb = torch.ones(H), torch.zeros(H)
    rel_raw = r(2 * S, H)
    layers = [{k: r(*sh) for k, sh in [('wq', (H, H)), ('bq', (H,)), ('wk', (H, H)), ('bk', (H,)), ('wv', (H, H)), ('bv', (H,)),
                                        ('wo', (H, H)), ('bo', (H,)), ('wi', (I, H)), ('bi', (I,)), ('wo2', (H, I)), ('bo2', (H,))]} for _ in range(L)]
    w1, b1, w4, b4 = r(H, 2 * H), r(H), r(1, H), r(1)
    mid = S // 2
    d = torch.arange(T)[:, None] - torch.arange(T)[None, :]
    a = d.abs().clamp(min=1)
    logp = torch.ceil(torch.log(a.float() / mid) / math.log((MP - 1) / mid) * (mid - 1)) + mid
    bucket = torch.where(d.abs() <= mid, d, (logp * torch.sign(d)).long())
    idx = (bucket + S).clamp(0, 2 * S - 1)
    ln = lambda x: torch.nn.functional.layer_norm(x, (H,), lnw, lnb, 1e-7)
    ids = torch.randint(4, V, (B, T))

    def forward():
        x = ln(emb[ids])
        rel = ln(rel_raw)
        for p in layers:
            q = (x @ p['wq'].T + p['bq']).view(B, T, NH, D).transpose(1, 2)
            k = (x @ p['wk'].T + p['bk']).view(B, T, NH, D).transpose(1, 2)
            v = (x @ p['wv'].T + p['bv']).view(B, T, NH, D).transpose(1, 2)
            pk = (rel @ p['wk'].T + p['bk']).view(2 * S, NH, D).transpose(0, 1)  # (NH, 2S, D)
            pq = (rel @ p['wq'].T + p['bq']).view(2 * S, NH, D).transpose(0, 1)
            scale = math.sqrt(D * 3)
            s = q @ k.transpose(-1, -2)
            s = s + torch.gather(q @ pk.transpose(-1, -2), -1, idx.expand(B, NH, T, T))
            s = s + torch.gather(k @ pq.transpose(-1, -2), -1, idx.T.expand(B, NH, T, T)).transpose(-1, -2)
            ctx = torch.softmax(s / scale, -1) @ v
            ctx = ctx.transpose(1, 2).reshape(B, T, H)
            a1 = ln(ctx @ p['wo'].T + p['bo'] + x)
            g = torch.nn.functional.gelu(a1 @ p['wi'].T + p['bi'])
            x = ln(g @ p['wo2'].T + p['bo2'] + a1)
        src, c1, c2 = x[:, 1], x[:, T // 3 + 1], x[:, 2 * T // 3 + 1]
        head = lambda u: torch.tanh(u @ w1.T + b1) @ w4.T + b4
        return head(torch.cat([src, c1], -1)) - head(torch.cat([src, c2], -1))

    with torch.no_grad():
        forward()
        t0 = time.perf_counter()
        for _ in range(reps):
            forward()
        dt = time.perf_counter() - t0
    blas = 'unknown'
    try:
        blas = next((l.strip() for l in torch.__config__.show().splitlines() if 'BLAS' in l), 'unknown')
    except Exception:
        pass
    print(json.dumps({'seq_s': B * reps / dt, 'blas': blas}))


if __name__ == '__main__':
    main()
