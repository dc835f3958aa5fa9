// Tokenizer bench: GPT-2 encode and decode throughput (MB of UTF-8 text per second) of ours
// (src/tokenizer, wasm hot loops) against gpt-tokenizer (r50k_base), js-tiktoken (gpt2) and
// @huggingface/tokenizers (with the same tokenizer.json), on the same ~1 MB of Debian fortunes,
// in the same run. Every impl's ids are checked against ours (identical: true/false).
//   npm run bench -- tokenizer [--json] [--quick] [--mb=1] [--reps=N]
// Shapes: "whole" — the corpus as one string; "lines" — one call per line (per-call overhead).
// "sppo cold" encodes with the per-word cache cleared before each rep.
// Times are CPU time of the process (best of the reps) since the machine is shared; wall time
// rides along in the JSON. Ratio groups sppo_vs_<peer> = our MB/s ÷ theirs (higher = faster).
import fs from 'node:fs';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { encode as gptEncode, decode as gptDecode } from 'gpt-tokenizer/encoding/r50k_base';
import { getEncoding } from 'js-tiktoken';
import { tokenizerFromJSON } from '../src/tokenizer/index.js';
import { gpt2TokenizerJson } from '../tools/tokenizer/gpt2-tokenizer-json.js';
import { flag, round, type BenchArgs, type BenchReport, type BenchResult } from './report.js';

const FORTUNES = '/usr/share/games/fortunes';

function loadCorpus(bytes: number): string {
  if (!fs.existsSync(FORTUNES)) throw new Error(`${FORTUNES} is missing — apt-get install -y fortunes`);
  let text = '';
  for (const f of fs.readdirSync(FORTUNES).sort()) {
    if (f.includes('.')) continue;
    const p = `${FORTUNES}/${f}`;
    if (fs.statSync(p).isFile()) text += fs.readFileSync(p, 'utf8');
    if (text.length >= bytes) break;
  }
  // cut at a line end near `bytes` (the files are ASCII/UTF-8 text; keep characters whole)
  const cut = text.lastIndexOf('\n', bytes);
  return text.slice(0, cut > 0 ? cut + 1 : bytes);
}

function time(fn: () => void, reps: number): { cpu: number; wall: number } {
  fn(); // warm up: JIT, wasm tier-up, caches
  let cpu = Infinity, wall = Infinity;
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage(), t0 = performance.now();
    fn();
    const c = process.cpuUsage(c0);
    wall = Math.min(wall, performance.now() - t0);
    cpu = Math.min(cpu, (c.user + c.system) / 1000);
  }
  return { cpu, wall };
}

const same = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
};

export default async function tokenizerBench(args: BenchArgs): Promise<BenchReport> {
  const mb = Number(flag(args.argv, 'mb') ?? (args.quick ? 0.25 : 1));
  const reps = Number(flag(args.argv, 'reps') ?? (args.quick ? 2 : 3));
  const text = loadCorpus(Math.round(mb * 1e6));
  const lines = text.split('\n').filter((l) => l.length > 0);
  const bytes = new TextEncoder().encode(text).length;
  const lineBytes = lines.reduce((n, l) => n + new TextEncoder().encode(l).length, 0);
  args.log(`corpus: ${(bytes / 1e6).toFixed(2)} MB of fortunes, ${lines.length} lines`);

  const { tokenizer: json, config } = gpt2TokenizerJson();
  const ours = await tokenizerFromJSON(json, config);
  const hf = new HfTokenizer(json as never, config as never);
  const tiktoken = getEncoding('gpt2');

  type Impl = { name: string; encode: (s: string) => ArrayLike<number>; decode: (ids: number[]) => string; before?: () => void };
  const impls: Impl[] = [
    { name: 'sppo', encode: (s) => ours.encodeIds(s), decode: (ids) => ours.decode(ids) },
    { name: 'sppo cold', encode: (s) => ours.encodeIds(s), decode: (ids) => ours.decode(ids), before: () => ours.clearCache() },
    { name: 'gpt-tokenizer', encode: (s) => gptEncode(s), decode: (ids) => gptDecode(ids) },
    { name: 'js-tiktoken', encode: (s) => tiktoken.encode(s), decode: (ids) => tiktoken.decode(ids) },
    { name: '@huggingface/tokenizers', encode: (s) => hf.encode(s, { add_special_tokens: false }).ids, decode: (ids) => hf.decode(ids, { clean_up_tokenization_spaces: false }) },
  ];

  const reference = Array.from(ours.encodeIds(text));
  const refLines = lines.map((l) => Array.from(ours.encodeIds(l)));
  const results: BenchResult[] = [];
  for (const impl of impls) {
    args.log(impl.name);
    // whole corpus
    let ids: ArrayLike<number> = [];
    const enc = time(() => { impl.before?.(); ids = impl.encode(text); }, reps);
    const identical = same(ids, reference);
    results.push({ op: 'encode', shape: 'whole', impl: impl.name, mbps: round(bytes / 1e3 / enc.cpu), ms: round(enc.cpu), wallMs: round(enc.wall), reps, identical });
    // line by line
    let allSame = true;
    const encL = time(() => {
      impl.before?.();
      allSame = true;
      for (let i = 0; i < lines.length; i++) if (!same(impl.encode(lines[i]), refLines[i])) allSame = false;
    }, reps);
    results.push({ op: 'encode', shape: 'lines', impl: impl.name, mbps: round(lineBytes / 1e3 / encL.cpu), ms: round(encL.cpu), wallMs: round(encL.wall), reps, identical: allSame });
    if (impl.name === 'sppo cold') continue;
    // decode the reference ids
    let out = '';
    const dec = time(() => { out = impl.decode(reference); }, reps);
    results.push({ op: 'decode', shape: 'whole', impl: impl.name, mbps: round(bytes / 1e3 / dec.cpu), ms: round(dec.cpu), wallMs: round(dec.wall), reps, identical: out === text });
  }

  // sppo_vs_<peer>: { "<op> <shape>": our MB/s ÷ theirs }
  const ratios: BenchReport['ratios'] = {};
  for (const peer of ['gpt-tokenizer', 'js-tiktoken', '@huggingface/tokenizers']) {
    const group: Record<string, number> = {};
    for (const a of results.filter((r) => r.impl === 'sppo')) {
      const b = results.find((r) => r.impl === peer && r.op === a.op && r.shape === a.shape);
      if (b) group[`${a.op} ${a.shape}`] = round((a.mbps as number) / (b.mbps as number));
    }
    ratios[`sppo_vs_${peer}`] = group;
  }
  const notes = [
    `GPT-2 (r50k_base) on ${(bytes / 1e6).toFixed(2)} MB of Debian fortunes; MB/s = UTF-8 bytes / CPU time, best of ${reps} after a warm-up`,
    'identical: the impl gave exactly our ids (encode) or the original text (decode)',
  ];
  return { bench: 'tokenizer', results, ratios, notes };
}

export function printTable(report: BenchReport, write: (s: string) => void): void {
  const rows = report.results;
  write('\nop      shape   impl                         MB/s      ms   identical\n');
  for (const r of rows) {
    write(`${r.op.padEnd(8)}${r.shape.padEnd(8)}${r.impl.padEnd(26)}${String(r.mbps).padStart(8)}${String(r.ms).padStart(8)}   ${r.identical}\n`);
  }
  for (const [group, byShape] of Object.entries(report.ratios)) {
    write(`${group}: ${Object.entries(byShape).map(([s, v]) => `${s} ${v}×`).join(', ')}\n`);
  }
  for (const n of report.notes ?? []) write(`note: ${n}\n`);
}
