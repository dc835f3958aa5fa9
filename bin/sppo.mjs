#!/usr/bin/env node
// The `sppo` command: runs the bundled CLI (dist/node/cli.js, made by `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
const cli = fileURLToPath(new URL('../dist/node/cli.js', import.meta.url));
if (!existsSync(cli)) {
  console.error('sppo: dist/node/cli.js is missing — run `npm run build` in the package first');
  process.exit(2);
}
await import(pathToFileURL(cli).href);
