// The cross-runtime probe: the same tokenizer.json and texts give these ids and decoded texts
// in any runtime (no node: imports here; the runtimes pass the file contents in).
import { tokenizerFromJSON } from '../../src/tokenizer/index.js';

export const PROBE_TEXTS = [
  '', 'Hello, world!', "It's 2024 — naïve café, résumé.", '日本語のテキスト 🧙‍♂️ 👍🏽', 'مرحبا بالعالم',
  'def f(x):\n\treturn x ** 2\n', '<s>[INST] hi [/INST]', '   spaces   and\r\nnewlines\n\n',
];

export async function run(json: string, config: string | null): Promise<{ ids: number[][]; decoded: string[]; streamed: string[] }> {
  const tok = await tokenizerFromJSON(json, config);
  const ids = PROBE_TEXTS.map((s) => tok.encode(s, { special: true, addSpecial: true }));
  const decoded = ids.map((x) => tok.decode(x));
  const streamed = ids.map((x) => {
    const st = tok.decodeStream();
    return x.map((id) => st.push(id)).join('') + st.flush();
  });
  return { ids, decoded, streamed };
}
