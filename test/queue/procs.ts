// Real processes for the queue tests: a redis-server on a free loopback port (no persistence),
// `sppo worker`s and `sppo train` coordinators from bin/sppo.mjs. Every process started here is
// killed by killAll() — call it in the suite's after() — and on this process's exit, even when
// a test fails.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
export const bin = path.join(root, 'bin/sppo.mjs');

const children = new Set<ChildProcess>();
process.on('exit', () => killAll());

export function killAll(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) { try { c.kill('SIGKILL'); } catch { /* gone */ } }
  children.clear();
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
  });
}

/** a child process whose output is collected; `exited` resolves with its status */
export interface Proc { child: ChildProcess; out(): string; err(): string; exited: Promise<{ code: number | null; signal: string | null }> }

export function start(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '', err = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { err += d; });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('close', (code, signal) => { children.delete(child); resolve({ code, signal }); }));
  return { child, out: () => out, err: () => err, exited };
}

export async function kill(p: Proc, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill(signal);
  await p.exited;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** poll `f` every 25 ms until it is true; throws `what` after `ms` */
export async function until(f: () => boolean, ms: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!f()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(25);
  }
}

export interface RedisServer { port: number; url: string; proc: Proc; stop(): Promise<void>; restart(): Promise<void> }

/** redis-server on 127.0.0.1:port without persistence (with `password`, and TLS only with `tls`, when given) */
export async function startRedis(o: { password?: string; port?: number; tls?: { cert: string; key: string } } = {}): Promise<RedisServer> {
  const port = o.port ?? await freePort();
  const args = [...(o.tls ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', o.tls.cert, '--tls-key-file', o.tls.key, '--tls-ca-cert-file', o.tls.cert, '--tls-auth-clients', 'no'] : ['--port', String(port)]),
    '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'];
  if (o.password) args.push('--requirepass', o.password);
  const launch = async () => {
    const proc = start('redis-server', args);
    await until(() => /Ready to accept connections/.test(proc.out()), 10_000, `redis-server on port ${port}`);
    return proc;
  };
  const server: RedisServer = {
    port, url: `redis${o.tls ? 's' : ''}://${o.password ? `:${encodeURIComponent(o.password)}@` : ''}127.0.0.1:${port}`,
    proc: await launch(),
    async stop() { await kill(server.proc, 'SIGKILL'); },
    async restart() { await server.stop(); server.proc = await launch(); },
  };
  return server;
}

/** a `sppo worker` (wasm, one thread); `--lock-ms` 5 s unless `extra` gives one (a short lock lets the
 *  kill test's units move on quickly; elsewhere it would let a loaded machine's slow worker lose a unit) */
export function worker(url: string, name: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Proc {
  return start(process.execPath, [bin, 'worker', '--redis', url, '--name', name, '--backend', 'wasm', '--threads', '1', ...(extra.includes('--lock-ms') ? [] : ['--lock-ms', '5000']), ...extra], env);
}

/** the files whose bytes must not depend on where units ran */
export const ARTIFACTS = (iterations: number) => Array.from({ length: iterations }, (_, i) => [
  `iter-${i + 1}/samples.jsonl`, `iter-${i + 1}/judgments.jsonl`, `iter-${i + 1}/records.jsonl`, `iter-${i + 1}/model/model.safetensors`,
]).flat();

/** every file under dir (relative paths) */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => { for (const e of fs.readdirSync(d, { withFileTypes: true })) { const p = path.join(d, e.name); if (e.isDirectory()) walk(p); else out.push(path.relative(dir, p)); } };
  walk(dir);
  return out.sort();
}

/** a self-signed certificate for 127.0.0.1 (openssl), for a TLS redis-server; null when openssl is missing */
export function selfSignedCert(dir: string): { cert: string; key: string } | null {
  const cert = path.join(dir, 'cert.pem'), key = path.join(dir, 'key.pem');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  return r.status === 0 ? { cert, key } : null;
}
