#!/usr/bin/python3
"""Tiny random reward models (Hugging Face ...ForSequenceClassification directories) and their
expected scores, computed by PyTorch, for test/judge/reward-model.test.ts.

Run with Debian's interpreter (python3-torch + numpy), not the python3 first on PATH:

    /usr/bin/python3 tools/make_reward_model_fixtures.py     # (re)writes test/fixtures/judge-models/

No transformers here (not installable): the model below follows Hugging Face's modeling_llama /
modeling_qwen2 LlamaForSequenceClassification math step by step, in float64 from the F32
parameters written to disk:
  x = embed_tokens[ids]; per layer: h = x + o_proj(attn(rmsnorm(x))); x = h + down(silu(gate(n)) * up(n))
  with n = rmsnorm(h); rmsnorm(x) = w * x * rsqrt(mean(x^2) + eps); rotary in rotate_half layout,
  inv_freq = 1 / theta^(arange(0, D, 2) / D), positions 0..T-1; grouped-query attention
  (query head h reads kv head h // (Hq / Hkv)), scores / sqrt(D), causal mask;
  hidden = rmsnorm(x) with model.norm; logits = score(hidden) (no bias), (T, num_labels);
  pooled = logits at the LAST NON-PAD token: the rightmost position whose id != pad_token_id
  (every position when pad_token_id is None), as transformers' current pooling does.
Each sequence is run alone (batch 1, no padding).

Directories written (test/fixtures/judge-models/<name>/):
  config.json           architectures [LlamaForSequenceClassification | Qwen2ForSequenceClassification],
                        id2label {"0": "LABEL_0"} (num_labels 1), pad_token_id
  model.safetensors     F32, trunk under "model.*", head "score.weight" (1, hidden)
  tokenizer.json        byte-level BPE without merges: 256 byte tokens (GPT-2 byte-to-unicode
                        characters, id = byte value), <s> = 256 (BOS, added before every text),
                        </s> = 257
  tokenizer_config.json bos/eos tokens, no chat template
  expected.json         items: {prompt, response, ids, score} with ids = [256] + UTF-8 bytes of
                        prompt + response (what the judge must tokenize to), and raw items
                        {ids, score} that end in pad tokens (the pooling rule).
"""
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture_safetensors import write_safetensors  # noqa: E402

torch.set_default_dtype(torch.float64)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'judge-models')
BOS, EOS = 256, 257


def bytes_to_unicode():
    """GPT-2's reversible byte -> printable character table."""
    bs = list(range(ord('!'), ord('~') + 1)) + list(range(ord('¡'), ord('¬') + 1)) + list(range(ord('®'), ord('ÿ') + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def tokenizer_json():
    b2u = bytes_to_unicode()
    vocab = {b2u[b]: b for b in range(256)}
    vocab['<s>'] = BOS
    vocab['</s>'] = EOS
    special = lambda i, s: {'id': i, 'content': s, 'single_word': False, 'lstrip': False, 'rstrip': False, 'normalized': False, 'special': True}
    bl = {'type': 'ByteLevel', 'add_prefix_space': False, 'trim_offsets': True, 'use_regex': True}
    return {
        'version': '1.0', 'truncation': None, 'padding': None,
        'added_tokens': [special(BOS, '<s>'), special(EOS, '</s>')],
        'normalizer': None, 'pre_tokenizer': bl,
        'post_processor': {
            'type': 'TemplateProcessing',
            'single': [{'SpecialToken': {'id': '<s>', 'type_id': 0}}, {'Sequence': {'id': 'A', 'type_id': 0}}],
            'pair': [{'SpecialToken': {'id': '<s>', 'type_id': 0}}, {'Sequence': {'id': 'A', 'type_id': 0}}, {'Sequence': {'id': 'B', 'type_id': 1}}],
            'special_tokens': {'<s>': {'id': '<s>', 'ids': [BOS], 'tokens': ['<s>']}},
        },
        'decoder': bl,
        'model': {'type': 'BPE', 'dropout': None, 'unk_token': None, 'continuing_subword_prefix': None, 'end_of_word_suffix': None,
                  'fuse_unk': False, 'byte_fallback': False, 'vocab': vocab, 'merges': []},
    }


def write_f32(path, tensors):
    """tensors: list of (name, float32 torch tensor). F32 little-endian (fixture_safetensors.py)."""
    write_safetensors(path, [(name, 'F32', t.shape, t.detach().to(torch.float32).contiguous().numpy().astype('<f4').tobytes()) for name, t in tensors])


def make_params(cfg, seed, std):
    g = torch.Generator().manual_seed(seed)
    rnd = lambda *shape, s=std: (torch.randn(*shape, generator=g) * s).to(torch.float32)
    C, I, V, L = cfg['hidden_size'], cfg['intermediate_size'], cfg['vocab_size'], cfg['num_hidden_layers']
    H, KH = cfg['num_attention_heads'], cfg['num_key_value_heads']
    D = C // H
    qkv_bias = cfg['model_type'] == 'qwen2'
    p = [('model.embed_tokens.weight', rnd(V, C, s=1.0))]
    for i in range(L):
        l = f'model.layers.{i}.'
        p.append((l + 'input_layernorm.weight', (1 + rnd(C, s=0.1))))
        p.append((l + 'self_attn.q_proj.weight', rnd(H * D, C)))
        if qkv_bias: p.append((l + 'self_attn.q_proj.bias', rnd(H * D, s=0.1)))
        p.append((l + 'self_attn.k_proj.weight', rnd(KH * D, C)))
        if qkv_bias: p.append((l + 'self_attn.k_proj.bias', rnd(KH * D, s=0.1)))
        p.append((l + 'self_attn.v_proj.weight', rnd(KH * D, C)))
        if qkv_bias: p.append((l + 'self_attn.v_proj.bias', rnd(KH * D, s=0.1)))
        p.append((l + 'self_attn.o_proj.weight', rnd(C, H * D)))
        p.append((l + 'post_attention_layernorm.weight', (1 + rnd(C, s=0.1))))
        p.append((l + 'mlp.gate_proj.weight', rnd(I, C)))
        p.append((l + 'mlp.up_proj.weight', rnd(I, C)))
        p.append((l + 'mlp.down_proj.weight', rnd(C, I)))
    p.append(('model.norm.weight', (1 + rnd(C, s=0.1))))
    p.append(('score.weight', rnd(1, C, s=1.0)))
    return p


def rmsnorm(x, w, eps):
    return w * (x * torch.rsqrt((x * x).mean(-1, keepdim=True) + eps))


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], dim=-1)


def reward(cfg, P, ids):
    """pooled score of one sequence (float64)"""
    W = {k: v.to(torch.float64) for k, v in P}
    C, H, KH = cfg['hidden_size'], cfg['num_attention_heads'], cfg['num_key_value_heads']
    D, eps, theta = C // H, cfg['rms_norm_eps'], cfg['rope_theta']
    T = len(ids)
    x = W['model.embed_tokens.weight'][torch.tensor(ids)]
    pos = torch.arange(T, dtype=torch.float64)
    inv_freq = 1.0 / (theta ** (torch.arange(0, D, 2, dtype=torch.float64) / D))
    freqs = torch.outer(pos, inv_freq)
    emb = torch.cat([freqs, freqs], dim=-1)
    cos, sin = emb.cos()[:, None, :], emb.sin()[:, None, :]
    mask = torch.triu(torch.full((T, T), float('-inf')), diagonal=1)
    lin = lambda h, name: h @ W[name + '.weight'].T + (W[name + '.bias'] if name + '.bias' in W else 0)
    for i in range(cfg['num_hidden_layers']):
        l = f'model.layers.{i}.'
        h = rmsnorm(x, W[l + 'input_layernorm.weight'], eps)
        q = lin(h, l + 'self_attn.q_proj').view(T, H, D)
        k = lin(h, l + 'self_attn.k_proj').view(T, KH, D)
        v = lin(h, l + 'self_attn.v_proj').view(T, KH, D)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = H // KH
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        att = torch.einsum('thd,shd->hts', q, k) / math.sqrt(D) + mask
        att = torch.softmax(att, dim=-1)
        o = torch.einsum('hts,shd->thd', att, v).reshape(T, H * D)
        x = x + lin(o, l + 'self_attn.o_proj')
        n = rmsnorm(x, W[l + 'post_attention_layernorm.weight'], eps)
        g = lin(n, l + 'mlp.gate_proj')
        x = x + lin(torch.nn.functional.silu(g) * lin(n, l + 'mlp.up_proj'), l + 'mlp.down_proj')
    hidden = rmsnorm(x, W['model.norm.weight'], eps)
    logits = hidden @ W['score.weight'].T  # (T, 1)
    pad = cfg.get('pad_token_id')
    if pad is None:
        at = T - 1
    else:
        nonpad = [j for j in range(T) if ids[j] != pad]
        at = nonpad[-1] if nonpad else 0
    return float(logits[at, 0])


ITEMS = [
    ('What is 2+2? ', '4'),
    ('Name a colour: ', 'blue, like the sky on a clear day'),
    ('', 'an answer without a prompt'),
    ('Say hi in French. ', 'Salut! Ça va? ☺'),
    ('Write a long line. ', 'the quick brown fox jumps over the lazy dog ' * 2),
    ('x', 'y'),
]


def make(name, cfg, seed, std, raw):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    P = make_params(cfg, seed, std)
    write_f32(os.path.join(d, 'model.safetensors'), P)
    with open(os.path.join(d, 'config.json'), 'w') as f:
        json.dump(cfg, f, indent=2)
        f.write('\n')
    with open(os.path.join(d, 'tokenizer.json'), 'w') as f:
        json.dump(tokenizer_json(), f, ensure_ascii=False)
    with open(os.path.join(d, 'tokenizer_config.json'), 'w') as f:
        json.dump({'bos_token': '<s>', 'eos_token': '</s>', 'add_bos_token': True, 'model_max_length': cfg['max_position_embeddings'],
                   'tokenizer_class': 'PreTrainedTokenizerFast'}, f, indent=2)
        f.write('\n')
    items = []
    for prompt, response in ITEMS:
        ids = [BOS] + list((prompt + response).encode('utf8'))
        items.append({'prompt': prompt, 'response': response, 'ids': ids, 'score': reward(cfg, P, ids)})
    raws = [{'ids': ids, 'score': reward(cfg, P, ids)} for ids in raw]
    with open(os.path.join(d, 'expected.json'), 'w') as f:
        json.dump({'note': 'written by tools/make_reward_model_fixtures.py; scores in float64 from the F32 weights',
                   'items': items, 'raw': raws}, f, indent=1, ensure_ascii=False)
        f.write('\n')
    print('wrote', d)


def base(model_type, arch, **kw):
    cfg = {
        'architectures': [arch], 'model_type': model_type, 'vocab_size': 258, 'hidden_size': 32, 'intermediate_size': 48,
        'num_hidden_layers': 2, 'num_attention_heads': 4, 'num_key_value_heads': 2, 'hidden_act': 'silu',
        'max_position_embeddings': 128, 'rms_norm_eps': 1e-5, 'rope_theta': 10000.0, 'tie_word_embeddings': False,
        'bos_token_id': BOS, 'eos_token_id': EOS, 'id2label': {'0': 'LABEL_0'}, 'label2id': {'LABEL_0': 0},
        'torch_dtype': 'float32',
    }
    cfg.update(kw)
    return cfg


if __name__ == '__main__':
    # llama: pad = </s>, so a sequence ending in </s> tokens is pooled before them
    make('llama-rm', base('llama', 'LlamaForSequenceClassification', pad_token_id=EOS, attention_bias=False, mlp_bias=False),
         seed=11, std=0.3, raw=[[BOS, 72, 105, 33, EOS, EOS, EOS], [BOS, 65, EOS, 66, 67, EOS], [BOS, 120]])
    # qwen2: q/k/v biases, no pad id: the last token is pooled whatever it is
    make('qwen2-rm', base('qwen2', 'Qwen2ForSequenceClassification', pad_token_id=None, use_sliding_window=False, sliding_window=None),
         seed=12, std=0.3, raw=[[BOS, 72, 105, 33, EOS, EOS]])
