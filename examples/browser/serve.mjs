#!/usr/bin/env node
// A small static server for the browser example: serves the package folder (so the page can
// load dist/browser/, models/demo/ and data/demo/) on 127.0.0.1, with the headers that make the
// page cross-origin isolated — the wasm backend then gets threads (SharedArrayBuffer):
//   Cross-Origin-Opener-Policy: same-origin
//   Cross-Origin-Embedder-Policy: require-corp
//   node examples/browser/serve.mjs [--port 8080] [--root DIR]
// then open http://127.0.0.1:8080/examples/browser/ (WebGPU needs a secure context: localhost
// and 127.0.0.1 are one). Prints "listening on URL" once ready; used by the CI test too.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json; charset=utf-8', '.jsonl': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8', '.wasm': 'application/wasm', '.safetensors': 'application/octet-stream',
};

/** Starts the server; resolves with its URL and a close() */
export function serve({ root, port = 8080, host = '127.0.0.1', log = false } = {}) {
  const base = path.resolve(root);
  const server = http.createServer((req, res) => {
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    };
    let rel;
    try { rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname); } catch { res.writeHead(400, headers).end('bad URL'); return; }
    let file = path.join(base, rel);
    // nothing outside the root, no dot-files
    if (!file.startsWith(base) || rel.split('/').some((s) => s.startsWith('.') && s !== '.')) { res.writeHead(403, headers).end('forbidden'); return; }
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) {
      if (!rel.endsWith('/')) { res.writeHead(301, { ...headers, Location: rel + '/' }).end(); return; }
      file = path.join(file, 'index.html');
    }
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
      if (log) console.error(`404 ${rel}`);
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    const type = TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
    res.writeHead(200, { ...headers, 'Content-Type': type, 'Content-Length': fs.statSync(file).size });
    if (req.method === 'HEAD') { res.end(); return; }
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const a = server.address();
      resolve({ url: `http://${host}:${a.port}/`, close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }) });
    });
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (n, d) => { const i = process.argv.indexOf(n); return i > 0 ? process.argv[i + 1] : d; };
  const root = arg('--root', path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..'));
  const { url } = await serve({ root, port: Number(arg('--port', '8080')), log: true });
  console.log(`listening on ${url} — open ${url}examples/browser/`);
}
