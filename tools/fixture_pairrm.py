#!/usr/bin/python3
"""A tiny random-weight PairRM checkpoint and its expected scores, for test/judge/pairrm*.test.ts
and test/tokenizer/unigram*.test.ts.

Run with Debian's interpreter (python3-torch), not the python3 first on PATH:

    /usr/bin/python3 tools/fixture_pairrm.py        # (re)writes test/fixtures/pairrm/

No transformers and no sentencepiece library here: this file is an independent float64
reimplementation of
  - DeBERTa-v2/v3 (Hugging Face modeling_deberta_v2: DebertaV2Model with relative_attention,
    position_buckets > 0, share_att_key, norm_rel_ebd "layer_norm", pos_att_type p2c+c2p,
    position_biased_input false, no conv layer, hidden_act "gelu" = exact erf GELU):
      x = LayerNorm(word_embeddings[ids]) * mask
      rel = LayerNorm_enc(rel_embeddings)                          (2S, H), S = position_buckets
      per layer:  q, k, v = x Wq + bq, x Wk + bk, x Wv + bv         per head (T, D)
                  posK = rel Wk + bk, posQ = rel Wq + bq            per head (2S, D)  (share_att_key)
                  scale = sqrt(D * 3)                               (1 + |{c2p, p2c}|)
                  s = q k^T / scale
                    + gather(q posK^T, c2p_pos)[i, j] / scale       c2p_pos = clamp(r[i,j] + S, 0, 2S-1)
                    + gather(k posQ^T, p2c_pos)^T[i, j] / scale     p2c_pos = clamp(-r[j,i] + S, 0, 2S-1)
                  (r = log-bucketed relative position i - j, make_log_bucket_position)
                  p = softmax over keys with mask (masked keys excluded); ctx = p v
                  a = LayerNorm(ctx Wo + bo + x);  x = LayerNorm(gelu(a Wi + bi) Wo2 + bo2 + a)
  - the PairRM head (llm-blender's DebertaV2PairRM / CrossCompareReranker): hidden states at the
    <|source|>, <|candidate1|>, <|candidate2|> tokens; head_layer = Sequential(Dropout,
    Linear(2H, H), Tanh, Dropout, Linear(H, n_tasks)); left = head([src; cand1]),
    right = head([src; cand2]); logit = mean over tasks of (left - right).
    P(a > b) as llm-blender's compare in its default mode "[A,B]+[B,A]" and SPPO's ranking:
    the score matrix gives s_a - s_b = logit(x, a, b) - logit(x, b, a), P = sigmoid of that.
  - PairRM-hf's tokenize_pair: ids = encode("<|source|>" + x, max_length=source_max)
    + encode("<|candidate1|>" + a, max_length=c) + encode("<|candidate2|>" + b, max_length=c),
    c = (source_max + 2 * candidate_max - len(source ids)) // 2, each encode being
    [CLS] + tokens[:max_length - 2] + [SEP] (right truncation), the <|...|> prefixes added tokens.
  - SentencePiece Unigram encoding (spm.model written here by hand, protobuf wire format):
    normalisation for the ASCII fixture texts = strip, collapse runs of spaces, prepend "▁"
    (add_dummy_prefix), spaces -> "▁"; Viterbi over the pieces (max total score), a character
    no piece covers becomes [UNK] (consecutive unknowns merged into one), as sentencepiece does.

Files written (test/fixtures/pairrm/):
  config.json             PairRM-hf's layout: architectures ["DebertaV2PairRM"], model_type
                          "deberta-v2", the DeBERTa-v3 keys, n_tasks, drop_out, sep_token_id,
                          source_prefix_id, cand_prefix_id, cand1_prefix_id, cand2_prefix_id
                          (small dims: hidden 32, 4 heads, 2 layers, position_buckets 8,
                          max_position_embeddings 24 so log buckets and the clamp both occur)
  model.safetensors       F32, the HF key names of PairRM-hf: pretrained_model.embeddings.*,
                          pretrained_model.encoder.layer.N.*, pretrained_model.encoder.rel_embeddings.weight,
                          pretrained_model.encoder.LayerNorm.*, head_layer.1.*, head_layer.4.*
  spm.model               SentencePiece ModelProto (Unigram, nmt_nfkc name, no charsmap)
  added_tokens.json, special_tokens_map.json, tokenizer_config.json   as DeBERTa-v3 + PairRM
  expected.json           {"ids": [...]} sequences with hidden-state checks and logits, and
                          {"prompt","a","b", options, ids_ab, ids_ba, logit_ab, logit_ba, prob}
                          triples; "tokenize": [{"text", "ids"}] for the tokenizer test
"""
import json
import math
import os
import struct

import torch

torch.set_default_dtype(torch.float64)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'pairrm')
G = torch.Generator().manual_seed(20261204)

H, HEADS, LAYERS, INTER = 32, 4, 2, 64
BUCKETS, MAX_POS = 8, 24
EPS = 1e-7

# ---- the SentencePiece vocabulary -------------------------------------------------------------
NORMAL, UNKNOWN, CONTROL = 1, 2, 3
WORDS = ['▁the', '▁a', '▁is', '▁hello', '▁world', '▁answer', '▁good', '▁bad', '▁I', '▁you', '▁it', '▁of',
         '▁to', '▁and', '▁what', '▁how', '▁are', '▁fine', '▁thanks', '▁bye', '▁love', '▁hate', '▁get', '▁out',
         'he', 'llo', 'wor', 'ld', 'ing', 'er', 'an', 'th', 'in', 'on', 're', 'at', 'es', 'ou', '▁th', '▁w', '▁h',
         '▁an', '▁go', 'od', 'ans', 'wer', '.', ',', '!', '?', "'", '-', ':', '▁.', '▁!']
CHARS = [chr(c) for c in range(ord('a'), ord('z') + 1)] + [chr(c) for c in range(ord('A'), ord('Z') + 1)] + \
        [str(d) for d in range(10)] + ['▁', '(', ')', '"', ';']
# no piece covers '#', '@', 'é', '~': they become [UNK]


def pieces():
    out = [('[PAD]', 0.0, CONTROL), ('[CLS]', 0.0, CONTROL), ('[SEP]', 0.0, CONTROL), ('[UNK]', 0.0, UNKNOWN)]
    seen = set()
    for w in WORDS + CHARS:
        if w in seen:
            continue
        seen.add(w)
        # scores: log-probability-like, distinct (no Viterbi ties): longer pieces a little likelier
        s = -2.0 - 6.0 * torch.rand(1, generator=G).item() + 0.8 * len(w)
        out.append((w, float(struct.unpack('<f', struct.pack('<f', s))[0]), NORMAL))
    return out


PIECES = pieces()
P = len(PIECES)
MASK_ID, SOURCE_ID, CAND1_ID, CAND2_ID, CAND_ID = P, P + 1, P + 2, P + 3, P + 4
VOCAB = P + 5
CLS, SEP, UNK, PAD = 1, 2, 3, 0
ADDED = {'[MASK]': MASK_ID, '<|source|>': SOURCE_ID, '<|candidate1|>': CAND1_ID, '<|candidate2|>': CAND2_ID, '<|candidate|>': CAND_ID}


def pb_varint(n):
    b = bytearray()
    while True:
        x = n & 0x7f
        n >>= 7
        if n:
            b.append(x | 0x80)
        else:
            b.append(x)
            return bytes(b)


def pb_field(num, wire, payload):
    key = pb_varint((num << 3) | wire)
    if wire == 0:
        return key + pb_varint(payload)
    if wire == 5:
        return key + struct.pack('<f', payload)
    return key + pb_varint(len(payload)) + payload


def spm_model_bytes():
    msg = b''
    for piece, score, typ in PIECES:
        sp = pb_field(1, 2, piece.encode('utf-8')) + pb_field(2, 5, score)
        if typ != NORMAL:
            sp += pb_field(3, 0, typ)
        msg += pb_field(1, 2, sp)
    trainer = pb_field(3, 0, 1)  # model_type UNIGRAM
    trainer += pb_field(40, 0, UNK) + pb_field(41, 0, CLS) + pb_field(42, 0, SEP) + pb_field(43, 0, PAD)
    msg += pb_field(2, 2, trainer)
    norm = pb_field(1, 2, b'nmt_nfkc') + pb_field(3, 0, 1) + pb_field(4, 0, 1) + pb_field(5, 0, 1)
    msg += pb_field(3, 2, norm)
    return msg


def spm_encode(text):
    """ids of text: whitespace normalisation, dummy prefix, Viterbi, unknowns merged"""
    text = ' '.join(text.split(' '))
    text = text.strip(' ')
    while '  ' in text:
        text = text.replace('  ', ' ')
    if not text:
        return []
    s = '▁' + text.replace(' ', '▁')
    vocab = {p: (i, sc) for i, (p, sc, t) in enumerate(PIECES) if t == NORMAL}
    min_score = min(sc for p, sc, t in PIECES if t == NORMAL)
    unk_score = min_score - 10.0
    n = len(s)
    best = [-math.inf] * (n + 1)
    back = [None] * (n + 1)
    best[0] = 0.0
    for i in range(n):
        if best[i] == -math.inf:
            continue
        matched_single = False
        for j in range(i + 1, n + 1):
            p = s[i:j]
            if p in vocab:
                if j == i + 1:
                    matched_single = True
                sc = best[i] + vocab[p][1]
                if sc > best[j]:
                    best[j] = sc
                    back[j] = (i, vocab[p][0])
        if not matched_single:
            sc = best[i] + unk_score
            if sc > best[i + 1]:
                best[i + 1] = sc
                back[i + 1] = (i, UNK)
    ids = []
    j = n
    while j > 0:
        i, t = back[j]
        ids.append(t)
        j = i
    ids.reverse()
    merged = []
    for t in ids:
        if t == UNK and merged and merged[-1] == UNK:
            continue
        merged.append(t)
    return merged


def encode_with_prefix(prefix_id, text, max_length):
    toks = [prefix_id] + spm_encode(text)
    return [CLS] + toks[:max_length - 2] + [SEP]


def tokenize_pair(x, a, b, source_max, candidate_max):
    src = encode_with_prefix(SOURCE_ID, x, source_max)
    c = (source_max + 2 * candidate_max - len(src)) // 2
    return src + encode_with_prefix(CAND1_ID, a, c) + encode_with_prefix(CAND2_ID, b, c)


# ---- weights ------------------------------------------------------------------------------------
def f32(t):
    return t.float().double()


def randn(*shape, std=1.0):
    return f32(torch.randn(*shape, generator=G) * std)


def make_weights():
    W = {}
    pre = 'pretrained_model.'
    W[pre + 'embeddings.word_embeddings.weight'] = randn(VOCAB, H)
    W[pre + 'embeddings.LayerNorm.weight'] = f32(1 + 0.1 * torch.randn(H, generator=G))
    W[pre + 'embeddings.LayerNorm.bias'] = randn(H, std=0.1)
    for l in range(LAYERS):
        p = f'{pre}encoder.layer.{l}.'
        for name in ['query_proj', 'key_proj', 'value_proj']:
            W[p + f'attention.self.{name}.weight'] = randn(H, H, std=0.5 / math.sqrt(H) * 2)
            W[p + f'attention.self.{name}.bias'] = randn(H, std=0.2)
        W[p + 'attention.output.dense.weight'] = randn(H, H, std=1 / math.sqrt(H))
        W[p + 'attention.output.dense.bias'] = randn(H, std=0.1)
        W[p + 'attention.output.LayerNorm.weight'] = f32(1 + 0.1 * torch.randn(H, generator=G))
        W[p + 'attention.output.LayerNorm.bias'] = randn(H, std=0.1)
        W[p + 'intermediate.dense.weight'] = randn(INTER, H, std=1 / math.sqrt(H))
        W[p + 'intermediate.dense.bias'] = randn(INTER, std=0.1)
        W[p + 'output.dense.weight'] = randn(H, INTER, std=1 / math.sqrt(INTER))
        W[p + 'output.dense.bias'] = randn(H, std=0.1)
        W[p + 'output.LayerNorm.weight'] = f32(1 + 0.1 * torch.randn(H, generator=G))
        W[p + 'output.LayerNorm.bias'] = randn(H, std=0.1)
    W[pre + 'encoder.rel_embeddings.weight'] = randn(2 * BUCKETS, H)
    W[pre + 'encoder.LayerNorm.weight'] = f32(1 + 0.1 * torch.randn(H, generator=G))
    W[pre + 'encoder.LayerNorm.bias'] = randn(H, std=0.1)
    W['head_layer.1.weight'] = randn(H, 2 * H, std=1 / math.sqrt(2 * H))
    W['head_layer.1.bias'] = randn(H, std=0.1)
    W['head_layer.4.weight'] = randn(1, H, std=1 / math.sqrt(H))
    W['head_layer.4.bias'] = randn(1, std=0.1)
    return W


# ---- the model ------------------------------------------------------------------------------------
def layer_norm(x, w, b):
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + EPS) * w + b


def gelu_erf(x):
    return 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))


def log_bucket(rel, bucket_size, max_position):
    """make_log_bucket_position for one integer relative position"""
    mid = bucket_size // 2
    if -mid < rel < mid or abs(rel) <= mid:
        return rel
    log_pos = math.ceil(math.log(abs(rel) / mid) / math.log((max_position - 1) / mid) * (mid - 1)) + mid
    return int(log_pos) * (1 if rel > 0 else -1)


def relative_positions(T):
    r = torch.zeros(T, T, dtype=torch.long)
    for i in range(T):
        for j in range(T):
            r[i, j] = log_bucket(i - j, BUCKETS, MAX_POS)
    return r


def deberta(W, ids):
    """ids: list of ints (one sequence, no padding) -> last hidden states (T, H)"""
    pre = 'pretrained_model.'
    T = len(ids)
    D = H // HEADS
    x = layer_norm(W[pre + 'embeddings.word_embeddings.weight'][torch.tensor(ids)],
                   W[pre + 'embeddings.LayerNorm.weight'], W[pre + 'embeddings.LayerNorm.bias'])
    rel_emb = layer_norm(W[pre + 'encoder.rel_embeddings.weight'], W[pre + 'encoder.LayerNorm.weight'], W[pre + 'encoder.LayerNorm.bias'])
    r = relative_positions(T)
    c2p_pos = torch.clamp(r + BUCKETS, 0, 2 * BUCKETS - 1)
    p2c_pos = torch.clamp(-r + BUCKETS, 0, 2 * BUCKETS - 1)
    scale = math.sqrt(D * 3)

    def heads(t):  # (n, H) -> (HEADS, n, D)
        return t.view(t.shape[0], HEADS, D).transpose(0, 1)

    for l in range(LAYERS):
        p = f'{pre}encoder.layer.{l}.'
        lin = lambda t, name: t @ W[p + name + '.weight'].T + W[p + name + '.bias']
        q = heads(lin(x, 'attention.self.query_proj'))
        k = heads(lin(x, 'attention.self.key_proj'))
        v = heads(lin(x, 'attention.self.value_proj'))
        posk = heads(lin(rel_emb, 'attention.self.key_proj'))      # (HEADS, 2S, D)
        posq = heads(lin(rel_emb, 'attention.self.query_proj'))
        s = q @ k.transpose(-1, -2) / scale
        c2p = torch.gather(q @ posk.transpose(-1, -2), -1, c2p_pos.unsqueeze(0).expand(HEADS, T, T))
        p2c = torch.gather(k @ posq.transpose(-1, -2), -1, p2c_pos.unsqueeze(0).expand(HEADS, T, T)).transpose(-1, -2)
        s = s + c2p / scale + p2c / scale
        pr = torch.softmax(s, -1)
        ctx = (pr @ v).transpose(0, 1).reshape(T, H)
        a = layer_norm(lin(ctx, 'attention.output.dense') + x, W[p + 'attention.output.LayerNorm.weight'], W[p + 'attention.output.LayerNorm.bias'])
        m = gelu_erf(lin(a, 'intermediate.dense'))
        x = layer_norm(lin(m, 'output.dense') + a, W[p + 'output.LayerNorm.weight'], W[p + 'output.LayerNorm.bias'])
    return x


def pairrm_logit(W, ids):
    h = deberta(W, ids)
    src, c1, c2 = ids.index(SOURCE_ID), ids.index(CAND1_ID), ids.index(CAND2_ID)

    def head(v):
        z = torch.tanh(v @ W['head_layer.1.weight'].T + W['head_layer.1.bias'])
        return z @ W['head_layer.4.weight'].T + W['head_layer.4.bias']
    left = head(torch.cat([h[src], h[c1]]))
    right = head(torch.cat([h[src], h[c2]]))
    return (left - right).mean().item(), h, left.mean().item(), right.mean().item()


# ---- files ------------------------------------------------------------------------------------------
def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        data = tensors[name].float().contiguous().numpy().tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(tensors[name].shape), 'data_offsets': [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    header['__metadata__'] = {'format': 'pt'}
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def config_json():
    return {
        '_name_or_path': 'llm-blender/PairRM-hf (random-weight fixture, small dims)',
        'architectures': ['DebertaV2PairRM'],
        'attention_probs_dropout_prob': 0.1,
        'cand1_prefix_id': CAND1_ID,
        'cand2_prefix_id': CAND2_ID,
        'cand_prefix_id': CAND_ID,
        'drop_out': 0.05,
        'hidden_act': 'gelu',
        'hidden_dropout_prob': 0.1,
        'hidden_size': H,
        'initializer_range': 0.02,
        'intermediate_size': INTER,
        'layer_norm_eps': EPS,
        'max_position_embeddings': MAX_POS,
        'max_relative_positions': -1,
        'model_type': 'deberta-v2',
        'n_tasks': 1,
        'norm_rel_ebd': 'layer_norm',
        'num_attention_heads': HEADS,
        'num_hidden_layers': LAYERS,
        'pad_token_id': PAD,
        'pooler_dropout': 0,
        'pooler_hidden_act': 'gelu',
        'pooler_hidden_size': H,
        'pos_att_type': ['p2c', 'c2p'],
        'position_biased_input': False,
        'position_buckets': BUCKETS,
        'relative_attention': True,
        'sep_token_id': SEP,
        'share_att_key': True,
        'source_prefix_id': SOURCE_ID,
        'torch_dtype': 'float32',
        'transformers_version': '4.36.2',
        'type_vocab_size': 0,
        'vocab_size': VOCAB,
    }


TRIPLES = [
    ('hello, how are you?', 'hi! I am fine, thanks!', 'get out!', {}),
    ('I love you!', 'I love you too!', 'I hate you!', {}),
    ('What is the answer?', 'The answer is 42.', '', {}),
    ('  odd   spacing  here ', 'emoji-free #tags @you ~ é', 'good', {}),
    ('the the the the the the the the the the the the the the', 'a good answer to it and the world of it', 'bad bad bad bad bad bad bad bad bad bad', {'sourceMaxLength': 12, 'candidateMaxLength': 10}),
]


def main():
    os.makedirs(OUT, exist_ok=True)
    W = make_weights()
    write_safetensors(os.path.join(OUT, 'model.safetensors'), W)
    with open(os.path.join(OUT, 'config.json'), 'w') as f:
        json.dump(config_json(), f, indent=2)
        f.write('\n')
    with open(os.path.join(OUT, 'spm.model'), 'wb') as f:
        f.write(spm_model_bytes())
    with open(os.path.join(OUT, 'added_tokens.json'), 'w') as f:
        json.dump(ADDED, f, indent=2)
        f.write('\n')
    with open(os.path.join(OUT, 'special_tokens_map.json'), 'w') as f:
        json.dump({'bos_token': '[CLS]', 'cls_token': '[CLS]', 'eos_token': '[SEP]', 'mask_token': '[MASK]',
                   'pad_token': '[PAD]', 'sep_token': '[SEP]', 'unk_token': '[UNK]'}, f, indent=2)
        f.write('\n')
    with open(os.path.join(OUT, 'tokenizer_config.json'), 'w') as f:
        json.dump({'tokenizer_class': 'DebertaV2Tokenizer', 'do_lower_case': False, 'split_by_punct': False,
                   'bos_token': '[CLS]', 'cls_token': '[CLS]', 'eos_token': '[SEP]', 'mask_token': '[MASK]',
                   'pad_token': '[PAD]', 'sep_token': '[SEP]', 'unk_token': '[UNK]', 'vocab_type': 'spm',
                   'model_max_length': 1000000000000000019884624838656, 'sp_model_kwargs': {}}, f, indent=2)
        f.write('\n')

    expected = {'config': {'hidden': H, 'layers': LAYERS, 'heads': HEADS, 'buckets': BUCKETS, 'max_position': MAX_POS},
                'sequences': [], 'triples': [], 'tokenize': []}
    # raw id sequences: the encoder's hidden states and the head, lengths past the clamp
    for T in [3, 9, 40]:
        body = torch.randint(4, P, (T,), generator=G).tolist()
        ids = [CLS, SOURCE_ID] + body[:T // 3] + [SEP, CLS, CAND1_ID] + body[T // 3:2 * T // 3] + [SEP, CLS, CAND2_ID] + body[2 * T // 3:] + [SEP]
        logit, h, left, right = pairrm_logit(W, ids)
        expected['sequences'].append({'ids': ids, 'hidden': [round(v, 12) for v in h.flatten().tolist()],
                                      'left': left, 'right': right, 'logit': logit})
    for x, a, b, opts in TRIPLES:
        sm, cm = opts.get('sourceMaxLength', 1224), opts.get('candidateMaxLength', 412)
        ab, ba = tokenize_pair(x, a, b, sm, cm), tokenize_pair(x, b, a, sm, cm)
        lab, lba = pairrm_logit(W, ab)[0], pairrm_logit(W, ba)[0]
        d = lab - lba
        expected['triples'].append({'prompt': x, 'a': a, 'b': b, 'options': opts, 'ids_ab': ab, 'ids_ba': ba,
                                    'logit_ab': lab, 'logit_ba': lba, 'prob': 1 / (1 + math.exp(-d))})
    # one training batch: two pairs, each in both orders, labels p and 1 - p; loss = mean BCE of
    # z against the label (llm-blender's instructgpt loss on both orders when p = 1); gradients of
    # every tensor by float64 autograd
    batch = []
    for (x, a, b, _), p in zip(TRIPLES[:2], [1.0, 0.8]):
        batch.append((tokenize_pair(x, a, b, 1224, 412), p))
        batch.append((tokenize_pair(x, b, a, 1224, 412), 1 - p))
    Wg = {n: t.clone().requires_grad_(True) for n, t in W.items()}
    loss = 0
    zs = []
    for ids, y in batch:
        h = deberta(Wg, ids)
        src, c1, c2 = ids.index(SOURCE_ID), ids.index(CAND1_ID), ids.index(CAND2_ID)

        def head(v):
            return torch.tanh(v @ Wg['head_layer.1.weight'].T + Wg['head_layer.1.bias']) @ Wg['head_layer.4.weight'].T + Wg['head_layer.4.bias']
        z = (head(torch.cat([h[src], h[c1]])) - head(torch.cat([h[src], h[c2]]))).mean()
        zs.append(z.item())
        loss = loss + (torch.nn.functional.softplus(z) - y * z) / len(batch)
    loss.backward()
    FULL = ['head_layer.4.weight', 'head_layer.1.bias', 'pretrained_model.encoder.LayerNorm.weight',
            'pretrained_model.encoder.rel_embeddings.weight', 'pretrained_model.encoder.layer.1.attention.self.key_proj.bias',
            'pretrained_model.encoder.layer.0.attention.self.query_proj.bias', 'pretrained_model.embeddings.LayerNorm.bias']
    grads = {}
    for n, t in Wg.items():
        g = t.grad.flatten()
        probe = torch.sin(0.37 * torch.arange(g.numel(), dtype=torch.float64) + 0.11)
        grads[n] = {'norm': g.norm().item(), 'probe': (g * probe).sum().item()}
        if n in FULL:
            grads[n]['full'] = g.tolist()
    expected['train'] = {'batch': [{'ids': ids, 'label': y} for ids, y in batch], 'logits': zs, 'loss': loss.item(), 'grads': grads,
                         'probe': 'sin(0.37 i + 0.11), i the flat index'}
    for t in ['hello world', '  the   answer  is 42. ', 'how are you?', "I'm fine, thanks!", 'wor#ld@@ é~x', '', '   ', 'thththe']:
        expected['tokenize'].append({'text': t, 'ids': spm_encode(t)})
    with open(os.path.join(OUT, 'expected.json'), 'w') as f:
        json.dump(expected, f, indent=1)
        f.write('\n')
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f'wrote {OUT}: {len(W)} tensors, vocab {VOCAB} ({P} spm pieces), {total} bytes')


if __name__ == '__main__':
    main()
