// Run by test/examples/deno.test.ts under Deno: a llama2.c model folder (model.bin +
// tokenizer.bin) through dist/deno's loadModel (by path) and modelFiles + loadModelFromFiles (by
// bytes), scoring the records given on the command line. Prints one JSON line.
// deno run --allow-read=ROOT test/examples/deno-llama2c.ts DIR RECORDS_JSON
// @ts-ignore the bundle has no types at this path
import * as sppo from '../../dist/deno/index.js';

declare const Deno: { args: string[] };
const [dir, recsJson] = Deno.args;
const recs = JSON.parse(recsJson);
const be = await sppo.createBackend('wasm');
const byPath = sppo.loadModel(be, dir);
const lpPath = await sppo.sequenceLogprobs(byPath.model, recs, recs.length);
const files = await sppo.modelFiles(`${dir}/model.bin`);
const byBytes = sppo.loadModelFromFiles(be, files, { label: 'llama2c' });
const lpBytes = await sppo.sequenceLogprobs(byBytes.model, recs, recs.length);
const tok = sppo.loadTokenizerSync(`${dir}/tokenizer.bin`);
console.log(JSON.stringify({ lpPath, lpBytes, vocab: byBytes.config.vocabSize, files: [...files.keys()].sort(), ids: tok.encode('the hen sat in the shed') }));
