// How workers get the policy: by content hash, streamed through the same Redis as the jobs.
// The coordinator publishes the policy's model directory (every plain file in it) as chunks:
//   {prefix}:policy:{hash}:meta          JSON {files: [{name, size, chunks}]} — written LAST
//   {prefix}:policy:{hash}:{file}:{c}    bytes of chunk c (≤ 4 MiB) of file number `file`
// so a worker never sees half a policy; it downloads it once into its cache directory
// (CACHE/{hash}/, written to a temporary folder then renamed), checks the hash, and loads it
// from there. A worker therefore needs nothing but the Redis server: no shared disk, no port
// open on the coordinator. Keys expire after a day unless republished; the coordinator deletes
// an iteration's policy once that iteration's generation is done.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { llama2cSource } from '../model/modeldir.js';

const CHUNK = 4 << 20;
const TTL_S = 24 * 3600;

interface Meta { files: { name: string; size: number; chunks: number }[] }

const hashes = new Map<string, { stamp: string; hash: string }>();

/** the plain files of a model directory, sorted by name, as [name, path]; a llama2.c checkpoint
 *  named by its .bin file travels as model.bin + tokenizer.bin (what its folder form holds) */
function modelFiles(dir: string): [string, string][] {
  const l2c = llama2cSource(dir);
  if (l2c && fs.statSync(dir).isFile()) return [['model.bin', l2c.model], ...(l2c.tokenizer ? [['tokenizer.bin', l2c.tokenizer] as [string, string]] : [])];
  let names: string[];
  try { names = fs.readdirSync(dir); } catch (e) {
    throw new Error(`sppo queue: policy directory ${dir} cannot be read (${(e as NodeJS.ErrnoException).code})`);
  }
  return names.filter((n) => !n.includes('.tmp-') && fs.statSync(path.join(dir, n)).isFile()).sort().map((n) => [n, path.join(dir, n)]);
}

/** sha256 over (name, size, bytes) of every file, in name order; remembered per directory while unchanged */
export function policyHash(dir: string): string {
  const files = modelFiles(dir);
  const stamp = files.map(([f, p]) => { const s = fs.statSync(p); return `${f}:${s.size}:${s.mtimeMs}`; }).join('|');
  const known = hashes.get(dir);
  if (known && known.stamp === stamp) return known.hash;
  const h = crypto.createHash('sha256');
  for (const [f, p] of files) {
    const bytes = fs.readFileSync(p);
    h.update(`${f}\0${bytes.length}\0`);
    h.update(bytes);
  }
  const hash = h.digest('hex');
  hashes.set(dir, { stamp, hash });
  return hash;
}

/** publish `dir` under its hash (a no-op but for the expiry when it is there already); returns the hash */
export async function publishPolicy(redis: Redis, prefix: string, dir: string): Promise<string> {
  const hash = policyHash(dir);
  const base = `${prefix}:policy:${hash}`;
  if (await redis.exists(`${base}:meta`)) {
    await redis.expire(`${base}:meta`, TTL_S);
    return hash;
  }
  const meta: Meta = { files: [] };
  const files = modelFiles(dir);
  for (let i = 0; i < files.length; i++) {
    const bytes = fs.readFileSync(files[i][1]);
    const chunks = Math.max(1, Math.ceil(bytes.length / CHUNK));
    for (let c = 0; c < chunks; c++) await redis.set(`${base}:${i}:${c}`, bytes.subarray(c * CHUNK, (c + 1) * CHUNK), 'EX', TTL_S);
    meta.files.push({ name: files[i][0], size: bytes.length, chunks });
  }
  await redis.set(`${base}:meta`, JSON.stringify(meta), 'EX', TTL_S);
  return hash;
}

/** delete a published policy (its chunks first, then nothing is left half) */
export async function unpublishPolicy(redis: Redis, prefix: string, hash: string): Promise<void> {
  const base = `${prefix}:policy:${hash}`;
  const raw = await redis.get(`${base}:meta`);
  if (!raw) return;
  const meta = JSON.parse(raw) as Meta;
  await redis.del(`${base}:meta`);
  const keys = meta.files.flatMap((f, i) => Array.from({ length: f.chunks }, (_, c) => `${base}:${i}:${c}`));
  for (let i = 0; i < keys.length; i += 256) await redis.del(...keys.slice(i, i + 256));
}

/**
 * The local directory of policy `hash`: from the cache, else downloaded from Redis into it.
 * Throws when Redis does not hold it (the coordinator has not published it, or it expired).
 */
export async function fetchPolicy(redis: Redis, prefix: string, hash: string, cacheDir: string): Promise<string> {
  if (!/^[0-9a-f]{64}$/.test(hash)) throw new Error(`sppo worker: policy hash "${hash}" is not a sha256 (a job from another program?)`);
  const dir = path.join(cacheDir, hash);
  if (fs.existsSync(path.join(dir, '.complete'))) return dir;
  const base = `${prefix}:policy:${hash}`;
  const raw = await redis.get(`${base}:meta`);
  if (!raw) throw new Error(`sppo worker: policy ${hash.slice(0, 12)} is not in Redis (the coordinator publishes it at the start of each iteration; it may have expired)`);
  const meta = JSON.parse(raw) as Meta;
  fs.mkdirSync(cacheDir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(cacheDir, `.${hash.slice(0, 12)}.tmp-`));
  try {
    const h = crypto.createHash('sha256');
    for (let i = 0; i < meta.files.length; i++) {
      const f = meta.files[i];
      if (!/^[A-Za-z0-9_.-]+$/.test(f.name) || f.name.startsWith('.')) throw new Error(`sppo worker: policy ${hash.slice(0, 12)} names a file "${f.name}" that is not a plain file name`);
      const parts: Buffer[] = [];
      for (let c = 0; c < f.chunks; c++) {
        const b = await redis.getBuffer(`${base}:${i}:${c}`);
        if (!b) throw new Error(`sppo worker: policy ${hash.slice(0, 12)}: chunk ${c} of ${f.name} is missing in Redis (deleted while downloading?)`);
        parts.push(b);
      }
      const bytes = Buffer.concat(parts);
      if (bytes.length !== f.size) throw new Error(`sppo worker: policy ${hash.slice(0, 12)}: ${f.name} has ${bytes.length} bytes, expected ${f.size}`);
      h.update(`${f.name}\0${bytes.length}\0`);
      h.update(bytes);
      fs.writeFileSync(path.join(tmp, f.name), bytes);
    }
    const got = h.digest('hex');
    if (got !== hash) throw new Error(`sppo worker: policy ${hash.slice(0, 12)} downloaded with hash ${got.slice(0, 12)}: Redis holds other bytes under its name`);
    fs.writeFileSync(path.join(tmp, '.complete'), '');
    try { fs.renameSync(tmp, dir); } catch (e) {
      // another worker process sharing the cache finished first: keep its copy
      if (!fs.existsSync(path.join(dir, '.complete'))) throw e;
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    return dir;
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
