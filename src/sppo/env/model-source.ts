// Where a model comes from outside Node's file system, turned into ModelFiles (file name →
// bytes, see src/model/memory-dir.ts):
//   a URL (string or URL) of a model folder  → fetch config.json, model.safetensors (or the
//                                              index and its shards), tokenizer files
//   File objects / a FileList (an <input type=file webkitdirectory> or multiple files)
//   a record or Map of name → Uint8Array | ArrayBuffer | Blob | string
//   ModelFiles as they are
//   (Node and Deno) a directory path
// node: modules are imported lazily, for directories only: browsers, Deno and workers use it.
import type { ModelFiles } from '../../model/memory-dir.js';
import { parseShardIndex } from '../../model/safetensors.js';
import { detectRuntime } from '../../gpu/runtime.js';

export type FileData = Uint8Array | ArrayBuffer | Blob | string;
/** a File (browser) or anything shaped like one */
export interface FileLike { name: string; webkitRelativePath?: string; arrayBuffer(): Promise<ArrayBuffer> }
export type ModelSource = string | URL | ModelFiles | Record<string, FileData> | Iterable<FileLike> | ArrayLike<FileLike>;

export interface ModelSourceOptions {
  /** fetch to use for URLs (default globalThis.fetch) */
  fetch?: typeof fetch;
}

const enc = new TextEncoder();
/** fetched beside config.json and the weights when present (a 404 is fine) */
const URL_EXTRAS = ['tokenizer.json', 'tokenizer_config.json', 'generation_config.json', 'special_tokens_map.json'];

async function bytesOf(d: FileData): Promise<Uint8Array> {
  if (d instanceof Uint8Array) return d;
  if (d instanceof ArrayBuffer) return new Uint8Array(d);
  if (typeof d === 'string') return enc.encode(d);
  if (d && typeof (d as Blob).arrayBuffer === 'function') return new Uint8Array(await (d as Blob).arrayBuffer());
  throw new Error(`sppo: a model file must be a Uint8Array, ArrayBuffer, Blob or string, got ${Object.prototype.toString.call(d)}`);
}

const isFileLike = (x: unknown): x is FileLike => !!x && typeof (x as FileLike).name === 'string' && typeof (x as FileLike).arrayBuffer === 'function';

/** Model files from any source (see the file comment). */
export async function modelFiles(src: ModelSource, o: ModelSourceOptions = {}): Promise<ModelFiles> {
  if (typeof src === 'string' && !/^(https?|blob|data|file):/i.test(src) && detectRuntime() !== 'browser') return modelFilesFromDir(src);
  if (typeof src === 'string' || src instanceof URL) return modelFilesFromURL(src, o);
  if (src instanceof Map) {
    const out: ModelFiles = new Map();
    for (const [k, v] of src as Map<string, FileData>) out.set(k, await bytesOf(v));
    return out;
  }
  const list = typeof (src as Iterable<FileLike>)[Symbol.iterator] === 'function' ? [...(src as Iterable<FileLike>)]
    : typeof (src as ArrayLike<FileLike>).length === 'number' ? Array.from(src as ArrayLike<FileLike>) : null;
  if (list && list.every(isFileLike)) return modelFilesFromFileList(list);
  if (src && typeof src === 'object') {
    const out: ModelFiles = new Map();
    for (const [k, v] of Object.entries(src as Record<string, FileData>)) out.set(k, await bytesOf(v));
    return out;
  }
  throw new Error('sppo: a model source is a URL of a model folder, File objects, or a record of file name → bytes');
}

/**
 * Files the user picked: a whole folder (webkitRelativePath "folder/config.json") or loose
 * files. The folder that holds config.json is the model; files in other folders are ignored.
 */
export async function modelFilesFromFileList(files: FileLike[]): Promise<ModelFiles> {
  const dirOf = (f: FileLike) => { const p = f.webkitRelativePath || f.name; return p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : ''; };
  const configs = files.filter((f) => f.name === 'config.json');
  if (configs.length === 0) throw new Error(`sppo: the files picked hold no config.json (got ${files.map((f) => f.name).slice(0, 8).join(', ') || 'none'}): pick a Hugging Face model folder (config.json, model.safetensors, tokenizer.json)`);
  // the shallowest config.json marks the model folder
  const dir = configs.map(dirOf).sort((a, b) => a.split('/').length - b.split('/').length)[0];
  const out: ModelFiles = new Map();
  for (const f of files) if (dirOf(f) === dir) out.set(f.name, new Uint8Array(await f.arrayBuffer()));
  return out;
}

/** Node and Deno: the model files of a directory on disk (what a worker is handed). */
export async function modelFilesFromDir(dir: string): Promise<ModelFiles> {
  const fs = await import('node:fs');
  const path = await import('node:path');
  if (!fs.existsSync(path.join(dir, 'config.json'))) throw new Error(`sppo: ${dir} holds no config.json: give a Hugging Face model directory`);
  const out: ModelFiles = new Map();
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!e.isFile() || !/\.(json|safetensors|model|txt|jinja)$/.test(e.name)) continue;
    const b = fs.readFileSync(path.join(dir, e.name));
    out.set(e.name, new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
  }
  return out;
}

/** A model folder on the web: `base` is its URL (a trailing slash is added). */
export async function modelFilesFromURL(base: string | URL, o: ModelSourceOptions = {}): Promise<ModelFiles> {
  const f = o.fetch ?? globalThis.fetch;
  if (!f) throw new Error('sppo: this runtime has no fetch: give the model as files instead of a URL');
  const root = new URL(String(base).endsWith('/') ? String(base) : String(base) + '/', (globalThis as any).location?.href);
  const get = async (name: string, required: boolean): Promise<Uint8Array | null> => {
    const url = new URL(name, root);
    let res: Response;
    try { res = await f(url.href); } catch (e) {
      throw new Error(`sppo: cannot fetch ${url.href} (${(e as Error).message}): check the model URL and that the server allows it (CORS)`);
    }
    if (res.status === 404 && !required) return null;
    if (!res.ok) {
      if (!required) return null;
      throw new Error(`sppo: ${url.href} answered HTTP ${res.status}: the model URL must be a folder holding config.json, model.safetensors and tokenizer.json`);
    }
    return new Uint8Array(await res.arrayBuffer());
  };
  const out: ModelFiles = new Map();
  out.set('config.json', (await get('config.json', true))!);
  const single = await get('model.safetensors', false);
  if (single) out.set('model.safetensors', single);
  else {
    const index = await get('model.safetensors.index.json', false);
    if (!index) throw new Error(`sppo: ${root.href} has neither model.safetensors nor model.safetensors.index.json: give a Hugging Face model folder with safetensors weights`);
    out.set('model.safetensors.index.json', index);
    const parsed = parseShardIndex(new TextDecoder().decode(index), new URL('model.safetensors.index.json', root).href);
    for (const shard of parsed.files) out.set(shard, (await get(shard, true))!);
  }
  const extras = await Promise.all(URL_EXTRAS.map(async (n) => [n, await get(n, false)] as const));
  for (const [n, b] of extras) if (b) out.set(n, b);
  return out;
}
