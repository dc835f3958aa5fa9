// The README's claims about the command line hold (issue 19.4):
//  - every `sppo COMMAND` in its code (fenced blocks and `code spans`, tables included) is a
//    command of the built CLI, and every `--flag` written after it is one that command's --help
//    lists (for a command with subcommands, the flags of any of them);
//  - every built-in judge is listed, and `builtin:NAME` models it names exist;
//  - every repository path it names under examples/, tools/, bench/, models/, data/ exists;
//  - no time placeholder is left unmeasured.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { builtinJudges } from '../src/judge/builtins.js';
import { ensureBuilt, root } from './examples/built.js';

ensureBuilt();
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
const bin = path.join(root, 'bin/sppo.mjs');
const help = (args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args, '--help'], { encoding: 'utf8', timeout: 60_000 });
  assert.is(r.status, 0, `sppo ${args.join(' ')} --help: ${r.stderr}`);
  return r.stdout;
};

/** the README's code: fenced blocks (line by line, # comments and comment lines cut) and `code spans` */
function codeSnippets(md: string): string[] {
  const out: string[] = [];
  const fenced = /```[a-z]*\n([\s\S]*?)```/g;
  for (const m of md.matchAll(fenced)) for (const line of m[1].split('\n')) if (!line.trim().startsWith('#')) out.push(line.replace(/\s#\s.*$/, ''));
  for (const m of md.replace(fenced, '').matchAll(/`([^`\n]+)`/g)) out.push(m[1]);
  return out;
}

/** each `sppo COMMAND ...` with the flags written after it (up to && or ;) */
function sppoUses(snippets: string[]): { command: string; flags: string[]; text: string }[] {
  const uses: { command: string; flags: string[]; text: string }[] = [];
  for (const sn of snippets) {
    for (const seg of sn.split(/&&|;/)) {
      const m = /(?:^|[\s(])sppo ([a-z][a-z-]*)(.*)$/.exec(seg);
      if (!m) continue;
      uses.push({ command: m[1], flags: [...m[2].matchAll(/(?:^|[\s[(|])(--[a-z][a-z0-9-]*)/g)].map((f) => f[1]), text: seg.trim() });
    }
  }
  return uses;
}

const s = suite('README');

s('every sppo command and flag in the README exists', () => {
  const top = help([]);
  const commands = new Set([...top.matchAll(/^ {2}([a-z][a-z-]*)(?= )/gm)].map((m) => m[1]).filter((c) => c !== 'help'));
  assert.ok(commands.has('train') && commands.has('init') && commands.has('demo'), `commands parsed: ${[...commands]}`);
  const uses = sppoUses(codeSnippets(readme));
  assert.ok(uses.length >= 20, `found ${uses.length} uses`);
  const helps = new Map<string, string>();
  const problems: string[] = [];
  for (const u of uses) {
    if (!commands.has(u.command)) { problems.push(`"${u.text}": sppo has no command "${u.command}"`); continue; }
    if (!helps.has(u.command)) {
      let h = help([u.command]);
      // a command with subcommands (e.g. queue): their flags count too
      for (const sub of h.matchAll(/^ {2}([a-z][a-z-]*)(?= )/gm)) if (/^Commands:/m.test(h) && sub[1] !== 'help') h += help([u.command, sub[1]]);
      helps.set(u.command, h);
    }
    const h = helps.get(u.command)!;
    for (const f of u.flags) if (f !== '--help' && !new RegExp(`(^|[\\s,])${f}(?![a-z0-9-])`, 'm').test(h)) problems.push(`"${u.text}": sppo ${u.command} has no ${f}`);
  }
  assert.equal(problems, [], problems.join('\n'));
});

s('every built-in judge is listed; the builtin models named exist', () => {
  for (const b of builtinJudges()) assert.ok(readme.includes(`\`${b.name}\``) || readme.includes(`builtin:${b.name}`), `builtin:${b.name} is missing from the README`);
  for (const m of new Set([...readme.matchAll(/builtin:([a-z0-9-]+)/g)].map((x) => x[1]))) {
    const isJudge = builtinJudges().some((b) => b.name === m);
    assert.ok(isJudge || fs.existsSync(path.join(root, 'models', m, 'config.json')), `builtin:${m} is neither a judge nor a model under models/`);
  }
});

s('paths the README names exist; no unmeasured placeholder', () => {
  const paths = new Set([...readme.matchAll(/(?:^|[\s`(])((?:examples|tools|bench|models|data)\/[A-Za-z0-9_./-]+[A-Za-z0-9_])/g)].map((m) => m[1]));
  assert.ok(paths.size >= 5);
  for (const p of paths) assert.ok(fs.existsSync(path.join(root, p)), `${p} (named in the README) does not exist`);
  assert.not.match(readme, /[A-Z_]+_TIME\b/, 'a time placeholder is left in the README');
});

s.run();
