// The fuzz targets: for each input format, a valid seed input, a mutation of it (mutate.ts), the
// code that reads it (as the commands do), the check of a valid result, and the name that an
// error message must carry. Run by worker.ts; see harness.ts for the property.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SafetensorsBuffer, serializeSafetensors } from '../../src/model/safetensors.js';
import { SafetensorsFile } from '../../src/model/io-files.js';
import { parseConfig } from '../../src/model/config.js';
import { tokenizerFromJSONSync } from '../../src/tokenizer/index.js';
import { ChatTemplate } from '../../src/tokenizer/chat.js';
import { resolveConfig } from '../../src/sppo/config.js';
import { parsePrompts } from '../../src/sppo/prompts.js';
import { fromJSONL } from '../../src/sppo/run-store.js';
import { parsePreferenceJsonl } from '../../src/judge/preference-data.js';
import { parseCompletion } from '../../src/judge/http-protocol.js';
import { judgeMatrices } from '../../src/judge/matrix.js';
import { moduleJudge } from '../../src/judge/module.js';
import { httpJudge } from '../../src/judge/http.js';
import { hostileValue, int, mutateBytes, mutateJson, mutateText, pick, preview, type Rand } from './mutate.js';

export interface Target {
  /** the input as the reader sees it, for the report */
  make(r: Rand): unknown;
  /** reads the input; throws the reader's error, or returns a problem string for an invalid result */
  run(input: unknown, r: Rand): Promise<string | void> | string | void;
  /** an error message must contain this (the file or judge name) */
  names: string | RegExp;
  /** optional setup/teardown in the worker */
  setup?(): Promise<void>;
  teardown?(): Promise<void>;
}

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const tiny = path.join(root, 'test/fixtures/tiny');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sppo-fuzz-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

// ---- safetensors -------------------------------------------------------------------------
const ST_NAME = 'fuzz/model.safetensors';
function stSeed(r: Rand): Uint8Array {
  const f = (n: number) => Float32Array.from({ length: n }, () => r() * 2 - 1);
  return serializeSafetensors([
    { name: 'a.weight', shape: [3, 5], data: f(15) },
    { name: 'b.bias', shape: [7], data: f(7), dtype: 'F16' },
    { name: 'c', shape: [2, 2, 2], data: f(8), dtype: 'BF16' },
    { name: 'ids', shape: [4], data: Int32Array.from([1, -2, 3, 2 ** 31 - 1]) },
    { name: 'empty', shape: [0, 4], data: new Float32Array(0) },
  ], { note: 'seed' });
}
/** the header JSON mutated and re-framed with a right or wrong length prefix */
function stHeaderMutation(bytes: Uint8Array, r: Rand): Uint8Array {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8'));
  const hostile = mutateJson(header, r, ['dtype', 'shape', 'data_offsets', '__metadata__']);
  const text = Buffer.from(JSON.stringify(hostile));
  const body = bytes.subarray(8 + n);
  const out = new Uint8Array(8 + text.length + body.length);
  const claim = r() < 0.8 ? BigInt(text.length) : pick(r, [0n, 1n, BigInt(text.length + 1), 2n ** 63n - 1n, 2n ** 64n - 1n, 2n ** 32n, 99_999_999n]);
  new DataView(out.buffer).setBigUint64(0, claim, true);
  out.set(text, 8);
  out.set(body, 8 + text.length);
  return out;
}
function stCheck(read: { names(): string[]; readFloat32(n: string): Float32Array; readInt32(n: string): Int32Array; info(n: string): { dtype: string; shape: number[] } | undefined }): string | void {
  for (const name of read.names()) {
    const info = read.info(name)!;
    const n = info.shape.reduce((a, b) => a * b, 1);
    let got: ArrayLike<number>;
    try { got = read.readFloat32(name); } catch (e) {
      if (!/^(I|U)\d+$/.test(info.dtype) && !(e instanceof Error && e.name === 'ModelFileError')) throw e;
      if (/^(I|U)\d+$/.test(info.dtype)) got = read.readInt32(name); else throw e;
    }
    if (got.length !== n) return `tensor ${name} ${JSON.stringify(info.shape)} read as ${got.length} values`;
  }
}

const safetensors: Target = {
  names: ST_NAME,
  make(r) {
    const seed = stSeed(r);
    return r() < 0.5 ? stHeaderMutation(seed, r) : mutateBytes(seed, r, r() < 0.7 ? 220 : seed.length);
  },
  run(input) {
    const bytes = input as Uint8Array;
    const b = new SafetensorsBuffer(bytes, ST_NAME);
    return stCheck({ names: () => b.names(), readFloat32: (n) => b.readFloat32(n), readInt32: (n) => b.readInt32(n), info: (n) => b.header.tensors.get(n) });
  },
};

// the same bytes through the file reader (reads only what the header claims, from disk)
const safetensorsFile: Target = {
  names: /fuzz-\d+\.safetensors/,
  make: (r) => safetensors.make(r),
  run(input, r) {
    const file = path.join(tmp, `fuzz-${int(r, 0, 1e9)}.safetensors`);
    fs.writeFileSync(file, input as Uint8Array);
    try {
      const f = SafetensorsFile.open(file);
      return stCheck({ names: () => f.names(), readFloat32: (n) => f.readFloat32(n), readInt32: (n) => f.readInt32(n), info: (n) => f.info(n) });
    } finally { fs.rmSync(file, { force: true }); }
  },
};

// ---- model config.json -----------------------------------------------------------------------
const CONFIG_NAME = 'fuzz/config.json';
const llamaConfig = JSON.parse(fs.readFileSync(path.join(tiny, 'model/config.json'), 'utf8'));
const gpt2Config = { architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', vocab_size: 300, n_embd: 32, n_layer: 2, n_head: 4, n_positions: 64, n_inner: null, layer_norm_epsilon: 1e-5, activation_function: 'gelu_new', bos_token_id: 0, eos_token_id: 0, tie_word_embeddings: true };
const modelConfig: Target = {
  names: CONFIG_NAME,
  make: (r) => (r() < 0.15 ? mutateText(JSON.stringify(pick(r, [llamaConfig, gpt2Config])), r, ['{', '}', ',', '"', 'NaN', '1e999']) : JSON.stringify(mutateJson(pick(r, [llamaConfig, gpt2Config]), r, ['model_type', 'num_hidden_layers', 'rope_scaling', 'head_dim', 'num_key_value_heads', 'torch_dtype']))),
  run(input) {
    const c = parseConfig(input as string, CONFIG_NAME) as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(c)) if (typeof v === 'number' && Number.isNaN(v)) return `config field ${k} is NaN`;
  },
};

// ---- tokenizer.json (structure and patterns) ---------------------------------------------------
const TOK_NAME = 'fuzz/tokenizer.json';
const tinyTok = JSON.parse(fs.readFileSync(path.join(tiny, 'model/tokenizer.json'), 'utf8'));
{ // a few merges, so BPE has work
  const vocab = tinyTok.model.vocab as Record<string, number>;
  let id = 258;
  for (const m of ['h e', 'l l', 'Ġ t', 't h', 'he ll']) { vocab[m.replace(' ', '')] = id++; }
  tinyTok.model.merges = ['h e', 'l l', 'Ġ t', 't h', 'he ll'];
  for (const t of tinyTok.added_tokens) t.id = t.id; // ids 256, 257 stay
}
const CATASTROPHIC = ['(a+)+$', '(a|a)*$', '(a|aa)+$', '(.*a){20}', '(a*)*b', '(\\w+\\s?)+$', '(a+)+(?=b)', '(a|a)+\\1', '(\\s*)*(?!x)$', '(?:a+|b)*\\bc', '((a+)+)+\\Z', '(?<=(a+)+)b'];
const FRAGMENTS = ['a', '+', '*', '?', '(', ')', '(?:', '(?=', '(?!', '(?<=', '(?<!', '|', '\\1', '\\p{L}', '\\p{Greek}', '\\s', '\\S', '\\b', '[^a]', '[a-z]', '{2,}', '{1,1000}', '.', '^', '$', '\\x{1F600}', '(?i:', '\\', '[', '{', '(?>', '\\p{Nope}', '[[:alpha:]]'];
function randomPattern(r: Rand): string {
  if (r() < 0.35) return pick(r, CATASTROPHIC);
  let s = '';
  for (let n = int(r, 1, 12); n > 0; n--) s += pick(r, FRAGMENTS);
  return s;
}
const tokenizer: Target = {
  names: TOK_NAME,
  make(r) {
    let json = JSON.parse(JSON.stringify(tinyTok));
    const k = r();
    if (k < 0.35) {
      json.pre_tokenizer = { type: 'Sequence', pretokenizers: [
        { type: 'Split', pattern: r() < 0.85 ? { Regex: randomPattern(r) } : { String: pick(r, ['', 'a', ' ', '\\']) }, behavior: pick(r, ['Isolated', 'Removed', 'MergedWithNext', 'MergedWithPrevious', 'Contiguous', 'Bogus']), invert: r() < 0.3 },
        { type: 'ByteLevel', add_prefix_space: false, use_regex: false },
      ] };
    } else if (k < 0.45) {
      json.normalizer = { type: 'Replace', pattern: { Regex: randomPattern(r) }, content: pick(r, ['', ' ', 'xx']) };
    } else if (k < 0.5) {
      // deep nesting, as text (JSON.stringify of it would overflow the test's own stack)
      const d = int(r, 1, 20000);
      const nested = '{"type":"Sequence","pretokenizers":['.repeat(d) + '{"type":"ByteLevel","add_prefix_space":false,"use_regex":true}' + ']}'.repeat(d);
      const text = JSON.stringify({ ...json, pre_tokenizer: null });
      return text.replace('"pre_tokenizer":null', `"pre_tokenizer":${nested}`);
    }
    if (k >= 0.45 || r() < 0.5) json = mutateJson(json, r, ['type', 'pattern', 'Regex', 'vocab', 'merges', 'id', 'content', 'replacement', 'prepend_scheme', 'special']);
    return json;
  },
  run(input, r) {
    const tok = tokenizerFromJSONSync(input as string | object, null, { file: TOK_NAME });
    const texts = ['', 'hello there', 'a'.repeat(40) + 'b', '<s>hi</s> ', '  \n\t x', String.fromCodePoint(...Array.from({ length: int(r, 1, 30) }, () => pick(r, [0x61, 0x20, 0xe9, 0x4e00, 0x1f600, 0x0301, 0x0a, 0x27]))), 'the hell he'];
    for (const s of texts) {
      const ids = tok.encode(s, { special: true });
      for (const id of ids) if (!Number.isInteger(id) || id < 0 || id >= tok.vocabSize) return `encode(${JSON.stringify(s)}) gave id ${id} (vocab ${tok.vocabSize})`;
      const back = tok.decode(ids);
      if (typeof back !== 'string') return `decode gave ${typeof back}`;
    }
  },
};

// ---- chat templates ---------------------------------------------------------------------------------
const CHATML = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
const JINJA = ['{{', '}}', '{%', '%}', '{% for x in range(1000000000) %}', '{% endfor %}', '{{ x }}', '{% if %}', '{% endif %}', '{{ raise_exception("no") }}', '{{ messages[99]["content"] }}',
  '{{ range(100000000) | length }}', '{% for i in range(1000000) %}{% for j in range(1000000) %}{% endfor %}{% endfor %}', '{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}',
  "{{ 'a' * 3 }}", '{{ 1 / 0 }}', '{{ none.x }}', '{{ messages | tojson }}', '{% set x = namespace(a=1) %}', '{{ strftime_now("%Y") }}', '{{ bos_token }}', '{#', '#}', '{{ message.content | trim }}', '{{ range(-5) }}', '{{ range(1, 10, 0) }}'];
const chat: Target = {
  names: /chat template|chat:|tokenizer_config\.json/,
  make: (r) => ({ template: mutateText(CHATML, r, JINJA), messages: r() < 0.8 ? [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }] : mutateJson([{ role: 'user', content: 'hi' }], r) }),
  run(input) {
    const { template, messages } = input as { template: string; messages: never[] };
    const out = new ChatTemplate({ chat_template: template, bos_token: '<s>', eos_token: { content: '</s>' } }).render(messages, { addGenerationPrompt: true });
    if (typeof out !== 'string') return `render gave ${typeof out}`;
  },
};

// ---- run config files ---------------------------------------------------------------------------------
const RUN_NAME = 'fuzz/sppo.config.json';
const runCfg = JSON.parse(fs.readFileSync(path.join(tiny, 'sppo.config.json'), 'utf8'));
const runConfig: Target = {
  names: RUN_NAME,
  make: (r) => mutateJson(runCfg, r, ['k', 'lr', 'eta', 'beta', 'loss', 'optimizer', 'seed', 'stop', 'judgeFailureLimit', 'maxGradNorm', 'loraTargets']),
  run(input) {
    if (!input || typeof input !== 'object' || Array.isArray(input)) return; // the CLI refuses a non-object before resolveConfig
    resolveConfig(input as Record<string, unknown>, RUN_NAME);
  },
};

// ---- prompts and data JSONL -----------------------------------------------------------------------------
const PROMPTS_NAME = 'fuzz/prompts.jsonl', PREFS_NAME = 'fuzz/prefs.jsonl', JSONL_NAME = 'fuzz/rows.jsonl';
const promptsText = fs.readFileSync(path.join(tiny, 'prompts.jsonl'), 'utf8');
const prefsText = [
  { prompt: 'p', chosen: 'good', rejected: 'bad' },
  { prompt: 'q', chosen: [{ role: 'user', content: 'q' }, { role: 'assistant', content: 'yes' }], rejected: [{ role: 'user', content: 'q' }, { role: 'assistant', content: 'no' }], probability: 0.8 },
].map((x) => JSON.stringify(x)).join('\n') + '\n';
function mutateJsonl(text: string, r: Rand): string {
  const lines = text.split('\n');
  const i = int(r, 0, lines.length);
  const op = r();
  if (op < 0.5 && lines[i].trim()) lines[i] = JSON.stringify(mutateJson(JSON.parse(lines[i]), r, ['prompt', 'messages', 'chosen', 'rejected', 'probability', 'role', 'content']));
  else if (op < 0.7) lines[i] = JSON.stringify(hostileValue(r));
  else return mutateText(text, r, ['{', '}', '"', '\n', '\r\n', '\u2028', '[', '{"prompt": 1}', '\ufeff']);
  return lines.join('\n');
}
const prompts: Target = {
  names: PROMPTS_NAME,
  make: (r) => mutateJsonl(promptsText, r),
  run(input) {
    const items = parsePrompts(input as string, PROMPTS_NAME);
    for (const it of items) if (typeof it.text !== 'string') return `prompt ${it.index} is ${typeof it.text}`;
  },
};
const preferences: Target = {
  names: PREFS_NAME,
  make: (r) => mutateJsonl(prefsText, r),
  run(input) {
    for (const p of parsePreferenceJsonl(input as string, PREFS_NAME)) {
      if (typeof p.chosen !== 'string' || typeof p.rejected !== 'string' || typeof p.prompt !== 'string') return `line ${p.line}: non-string fields`;
      if (!(p.probability >= 0 && p.probability <= 1)) return `line ${p.line}: probability ${p.probability}`;
    }
  },
};
const jsonlRows: Target = {
  names: JSONL_NAME,
  make: (r) => mutateJsonl(promptsText, r),
  run(input) { fromJSONL(input as string, JSONL_NAME); },
};

// ---- judge answers: module return values and HTTP bodies -------------------------------------------------
const MODULE_NAME = 'fuzz-judge.mjs';
let moduleFile = '';
function hostileAnswer(r: Rand, n: number): unknown {
  const k = r();
  const num = () => pick(r, [0, 1, 0.5, NaN, -0.1, 1.1, Infinity, -Infinity, -0, 1e-300, 0.9999999, Number.MAX_VALUE]);
  if (k < 0.45) return Array.from({ length: n }, () => (r() < 0.7 ? r() : num()));
  if (k < 0.55) return Array.from({ length: pick(r, [0, n - 1, n + 1, 2 * n]) }, () => r());
  if (k < 0.65) return Float64Array.from({ length: n }, () => (r() < 0.8 ? r() : num()));
  if (k < 0.75) return Array.from({ length: n }, () => pick(r, ['0.5', null, undefined, {}, [], true, 10n]));
  if (k < 0.85) return pick(r, [null, undefined, 0.5, 'x', {}, { length: n }, new Map()]);
  return { throw: pick(r, ['Error', 'TypeError', 'string', 'undefined', 'RangeError']) };
}
const judgeModule: Target = {
  names: MODULE_NAME,
  async setup() {
    moduleFile = path.join(tmp, MODULE_NAME);
    // the module returns whatever the test put in globalThis.__answer (or throws what it says)
    fs.writeFileSync(moduleFile, `export default async function judge(pairs) {
  const a = globalThis.__answer;
  if (a && typeof a === 'object' && 'throw' in a) {
    if (a.throw === 'string') throw 'judge broke';
    if (a.throw === 'undefined') throw undefined;
    throw new globalThis[a.throw]('judge broke');
  }
  return a;
}\n`);
  },
  make(r) { const K = int(r, 2, 5); return { K, answer: hostileAnswer(r, (K * (K - 1)) / 2) }; }, // a function module judge: one order
  async run(input) {
    const { K, answer } = input as { K: number; answer: unknown };
    const j = await moduleJudge(moduleFile);
    const items = [{ prompt: 'p', responses: Array.from({ length: K }, (_, i) => `r${i}`) }];
    (globalThis as { __answer?: unknown }).__answer = answer;
    const mats = await judgeMatrices(j, items);
    for (const row of mats[0]) for (const v of row) if (!(v >= 0 && v <= 1)) return `matrix entry ${v}`;
  },
};

function completionBody(r: Rand): unknown {
  const lp = () => pick(r, [-0.1, -1, -5, 0, 710, 1000, -1000, -Infinity, NaN, 1e308, -1e-320, Math.log(r())]);
  const body: Record<string, unknown> = {
    id: 'x', object: 'chat.completion',
    choices: [{ index: 0, message: { role: 'assistant', content: pick(r, ['A', 'B', ' A', 'Response B', 'neither', '', null]) }, finish_reason: 'length',
      logprobs: { content: [{ token: pick(r, ['A', 'B', ' A']), logprob: lp(), top_logprobs: Array.from({ length: int(r, 0, 5) }, () => ({ token: pick(r, ['A', 'B', ' A', ' B', 'a', 'Sure']), logprob: lp() })) }] } }],
  };
  return r() < 0.6 ? mutateJson(body, r, ['choices', 'message', 'content', 'logprobs', 'top_logprobs', 'logprob', 'token', 'error']) : body;
}
const httpBody: Target = {
  names: 'fuzz-http',
  make: (r) => completionBody(r),
  run(input) {
    const p = parseCompletion(input);
    if (p.kind === 'ok' && !(p.p >= 0 && p.p <= 1)) return `parseCompletion gave P = ${p.p}`;
    if (p.kind !== 'ok' && p.kind !== 'invalid' && p.kind !== 'unparseable') return `parseCompletion gave kind ${(p as { kind: string }).kind}`;
  },
};

// a real server on 127.0.0.1 answering mutated bodies (and raw garbage) through the HTTP judge
let server: { url: string; close(): Promise<void>; next: { status: number; body: string } } | null = null;
const httpServer: Target = {
  names: /judge http:\/\/127\.0\.0\.1:\d+\/v1/,
  async setup() {
    const http = await import('node:http');
    const state = { status: 200, body: '{}' };
    const srv = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => { res.writeHead(state.status, { 'content-type': 'application/json' }); res.end(state.body); });
    });
    await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok));
    const port = (srv.address() as { port: number }).port;
    server = { url: `http://127.0.0.1:${port}/v1`, next: state, close: () => new Promise<void>((ok) => { srv.closeAllConnections(); srv.close(() => ok()); }) };
  },
  async teardown() { await server?.close(); },
  make(r) {
    const k = r();
    const body = k < 0.7 ? JSON.stringify(completionBody(r)) : k < 0.85 ? mutateText(JSON.stringify(completionBody(r)), r, ['{', '"', '\u0000', ']']) : pick(r, ['', 'null', '<html>oops</html>', '{"error": {"message": "overloaded"}}', '[]', '"A"']);
    return { status: pick(r, [200, 200, 200, 200, 500, 429, 400, 401, 404, 302, 204]), body };
  },
  async run(input) {
    Object.assign(server!.next, input as object);
    const j = httpJudge(server!.url, { model: 'm', retries: 0, backoffMs: 1, maxBackoffMs: 1, timeoutMs: 5000, log: () => {}, env: {} });
    const got = await j.compare([{ prompt: 'p', a: 'x', b: 'y' }]);
    if (got.length !== 1 || !(got[0] >= 0 && got[0] <= 1)) return `compare gave ${JSON.stringify(got)}`;
  },
};

export const TARGETS: Record<string, Target> = {
  safetensors, 'safetensors-file': safetensorsFile, 'model-config': modelConfig, tokenizer, chat, 'run-config': runConfig,
  prompts, preferences, 'jsonl-rows': jsonlRows, 'judge-module': judgeModule, 'http-body': httpBody, 'http-server': httpServer,
};

export { preview };
