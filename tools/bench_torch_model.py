#!/usr/bin/env python3
"""PyTorch peer for `npm run bench -- model`: the same Llama config and batch as our bench,
trained (forward + backward + AdamW) and decoded (greedy, KV cache) on the CPU.

Run with Debian's interpreter: /usr/bin/python3 tools/bench_torch_model.py '<json config>'
Prints one JSON line: {"train_tok_s", "decode_tok_s", "threads", "blas"}.
The model (tools/torch_llama.py) follows Hugging Face's modeling_llama math (RMSNorm, rotate_half
rotary, GQA, SwiGLU).
"""
import json, sys, time
import torch
from torch_llama import Model, blas_name, train_tok_s

cfg = json.loads(sys.argv[1])
V, C, L, H, KH, I = cfg['vocab'], cfg['hidden'], cfg['layers'], cfg['heads'], cfg['kvHeads'], cfg['intermediate']
B, T, steps = cfg['batch'], cfg['seq'], cfg['steps']
torch.manual_seed(0)
torch.set_num_threads(cfg.get('threads', 2))

m = Model(V, C, L, H, KH, I)
ids = torch.randint(0, V, (B, T))
train = train_tok_s(m, m.parameters(), ids, steps)

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

blas = blas_name()
print(json.dumps({'train_tok_s': train, 'decode_tok_s': dec, 'threads': torch.get_num_threads(), 'blas': blas, 'torch': torch.__version__}))
