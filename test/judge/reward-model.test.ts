// Reward-model directory judges against PyTorch: tiny random Llama / Qwen2
// ...ForSequenceClassification directories (tools/make_reward_model_fixtures.py) with scores
// computed in float64 by a torch transcription of transformers' math. Checks, on every backend:
// our tokenization of prompt + response, batched scores with padding vs the fixture (relative
// error ≤ 1e-4), the last-non-pad pooling rule, the Bradley–Terry judge through loadJudge, the
// chat-template path, truncation, and clear errors for directories that are not reward models.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadJudge } from '../../src/judge/load.js';
import { loadRewardModel } from '../../src/judge/reward-model.js';
import { backendNames, expectClose, getBackend, type Backend } from '../kernels/harness.js';
import { logistic, rejects } from './util.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.resolve(here, '../fixtures/judge-models');
const tinyLM = path.resolve(here, '../../test/fixtures/tiny/model');

interface Expected {
  items: { prompt: string; response: string; ids: number[]; score: number }[];
  raw: { ids: number[]; score: number }[];
}
const expected = (name: string): Expected => JSON.parse(fs.readFileSync(path.join(fixtures, name, 'expected.json'), 'utf8'));

const tmpDirs: string[] = [];
/** a copy of a fixture directory in a temp folder, with files changed by `edit` */
function variant(name: string, edit: (dir: string) => void): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sppo-rm-${name}-`));
  tmpDirs.push(dir);
  for (const f of fs.readdirSync(path.join(fixtures, name))) fs.copyFileSync(path.join(fixtures, name, f), path.join(dir, f));
  edit(dir);
  return dir;
}
const editJson = (file: string, f: (j: any) => void) => { const j = JSON.parse(fs.readFileSync(file, 'utf8')); f(j); fs.writeFileSync(file, JSON.stringify(j)); };

for (const bname of backendNames()) {
  const s = suite(`reward-model judge [${bname}]`);
  let be: Backend;
  s.before(async () => { be = await getBackend(bname); });
  s.after(() => { for (const d of tmpDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true }); });

  for (const name of ['llama-rm', 'qwen2-rm']) {
    s(`${name}: tokens and batched scores match PyTorch`, async () => {
      const ex = expected(name);
      const rm = await loadRewardModel(path.join(fixtures, name), { backend: be, batchSize: 4 });
      try {
        assert.is(rm.chat, false);
        for (const it of ex.items) assert.equal(rm.encode(it.prompt, it.response), it.ids, `ids of ${JSON.stringify(it.prompt + it.response)}`);
        // six sequences of different lengths in batches of 4: right padding inside each batch
        const got = await rm.score(ex.items.map((it) => ({ prompt: it.prompt, response: it.response })));
        const rel = expectClose(got, ex.items.map((it) => it.score), 1e-4, `${name} scores`);
        // pooling: the rightmost non-pad token (llama-rm pads with </s>; qwen2-rm has no pad id)
        const raw = await rm.scoreIds(ex.raw.map((r) => r.ids));
        const relRaw = expectClose(raw, ex.raw.map((r) => r.score), 1e-4, `${name} pooled scores`);
        // one at a time gives the same numbers as batched
        const one = await rm.scoreIds([ex.items[3].ids]);
        expectClose(one, [ex.items[3].score], 1e-4, `${name} single`);
        console.log(`  ${name} [${bname}]: max relative error ${rel.toExponential(2)} (items), ${relRaw.toExponential(2)} (pooling)`);
      } finally {
        await rm.close();
      }
    });
  }

  s('loadJudge(dir?batchSize=3): Bradley–Terry over the rewards', async () => {
    const ex = expected('llama-rm');
    const dir = path.join(fixtures, 'llama-rm');
    const j = await loadJudge(`${dir}?batchSize=3`, { backend: be });
    try {
      assert.is(j.orderSensitive, false);
      assert.is(j.info?.kind, 'reward-model');
      // each item's prompt with its own response (a: fixture score) against the next item's response
      // (b: scored by the model, whose scores are checked against PyTorch above)
      const it = ex.items;
      const pairs = it.map((x, k) => ({ prompt: x.prompt, a: x.response, b: it[(k + 1) % it.length].response }));
      const got = await j.compare(pairs);
      const rm = await loadRewardModel(dir, { backend: be });
      try {
        const rb = await rm.score(pairs.map((p) => ({ prompt: p.prompt, response: p.b })));
        expectClose(got, it.map((x, k) => logistic(x.score - rb[k])), 1e-4, 'P(a ≻ b) = σ(r_a − r_b)');
      } finally {
        await rm.close();
      }
      let progress = 0;
      const both = await j.compare([{ prompt: 'q', a: 'x', b: 'y' }, { prompt: 'q', a: 'y', b: 'x' }], { onProgress: (d) => { progress = d; } });
      assert.ok(Math.abs(both[0] + both[1] - 1) < 1e-6, `P(a≻b) + P(b≻a) = ${both[0] + both[1]}`);
      assert.is(progress, 2);
      const [tie] = await j.compare([{ prompt: 'q', a: 'same', b: 'same' }]);
      assert.is(tie, 0.5);
    } finally {
      await j.close?.();
    }
  });

  s('chat template: the conversation is rendered, then tokenized with special tokens', async () => {
    const dir = variant('llama-rm', (d) => editJson(path.join(d, 'tokenizer_config.json'), (j) => {
      j.chat_template = '{{ bos_token }}{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% endfor %}';
    }));
    const rm = await loadRewardModel(dir, { backend: be });
    try {
      assert.is(rm.chat, true);
      const bytes = (t: string) => [...Buffer.from(t, 'utf8')];
      const want = [256, ...bytes('<|user|>Hi there<|assistant|>Hello!')];
      assert.equal(rm.encode('Hi there', 'Hello!'), want);
      const [r] = await rm.score([{ prompt: 'Hi there', response: 'Hello!' }]);
      const [r2] = await rm.scoreIds([want]);
      assert.is(r, r2);
    } finally {
      await rm.close();
    }
    const plain = await loadRewardModel(dir, { backend: be, chat: 'false' });
    try {
      assert.is(plain.chat, false);
      assert.equal(plain.encode('a', 'b'), [256, 97, 98]);
    } finally {
      await plain.close();
    }
  });

  s('maxLength keeps the BOS and the last tokens', async () => {
    const rm = await loadRewardModel(path.join(fixtures, 'llama-rm'), { backend: be, maxLength: 8 });
    try {
      const ids = rm.encode('prompt text ', 'and the end');
      assert.equal(ids, [256, ...Buffer.from('the end', 'utf8')]);
    } finally {
      await rm.close();
    }
  });
  s.run();
}

const e = suite('reward-model judge: errors');
let be: Backend;
e.before(async () => { be = await getBackend(backendNames()[0]); });
e.after(() => { for (const d of tmpDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true }); });
e('a classifier with 2 labels is not a reward model', async () => {
  const dir = variant('llama-rm', (d) => editJson(path.join(d, 'config.json'), (j) => { j.id2label = { 0: 'NEG', 1: 'POS' }; }));
  await rejects(loadJudge(dir, { backend: be }), /2 labels/, /num_labels 1/);
});
e('score.weight of the wrong shape, a missing tokenizer, an unknown option', async () => {
  const wrongHidden = variant('llama-rm', (d) => editJson(path.join(d, 'config.json'), (j) => { j.hidden_size = 16; j.head_dim = 4; }));
  await rejects(loadJudge(wrongHidden, { backend: be }), /cannot be loaded/, /shape/);
  const noTok = variant('llama-rm', (d) => fs.rmSync(path.join(d, 'tokenizer.json')));
  await rejects(loadJudge(noTok, { backend: be }), /no usable tokenizer/, /tokenizer\.json/);
  await rejects(loadJudge(path.join(fixtures, 'llama-rm'), { backend: be, batchsize: 4 }), /has no option "batchsize"/, /batchSize/);
  await rejects(loadJudge(`${path.join(fixtures, 'llama-rm')}?backend=cuda`), /backend="cuda" is invalid|backend=cuda/);
});
e('a causal LM directory is not a judge: the error says how to make one', async () => {
  await rejects(loadJudge(tinyLM), /is a model directory/, /LlamaForCausalLM/, /sppo train-judge --model/);
});
e('an unsupported sequence classifier names the supported ones', async () => {
  const dir = variant('llama-rm', (d) => editJson(path.join(d, 'config.json'), (j) => { j.architectures = ['BertForSequenceClassification']; }));
  await rejects(loadJudge(dir, { backend: be }), /BertForSequenceClassification/, /LlamaForSequenceClassification/);
});

e.run();
