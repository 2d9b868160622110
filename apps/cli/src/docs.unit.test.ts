// The repository stands on its own and its docs match the code: no file points outside the
// repository (a sibling folder, the absolute path of the machine the docs were written on), every
// relative link in the Markdown resolves, every example lab a doc names exists, and the help block
// of docs/cli.md is the command's own help.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HELP } from './args.js';

const ROOT = join(import.meta.dirname, '../../..');
const SKIP = new Set(['node_modules', 'dist', '.git', '.turbo', 'test-results', 'playwright-report', '__pycache__']);

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else yield path;
  }
}

const all = [...files(ROOT)].filter((f) => !f.endsWith('.png') && !f.endsWith('.pcap') && statSync(f).size < 2_000_000);
const markdown = all.filter((f) => f.endsWith('.md'));
const rel = (f: string) => relative(ROOT, f);

describe('the repository stands on its own', () => {
  it('no file refers to a sibling folder or to the absolute path of a checkout', () => {
    // Spelled in pieces so that this file does not match itself.
    const outside = new RegExp(['\\.\\./sha', 'red/', '|/wo', 'rk/(sha', 'red|main)'].join(''));
    const offenders = all.filter((f) => outside.test(readFileSync(f, 'utf8'))).map(rel);
    expect(offenders).toEqual([]);
  });

  it('every relative link in the Markdown resolves to a file of the repository', () => {
    const broken: string[] = [];
    for (const f of markdown) {
      const text = readFileSync(f, 'utf8').replace(/```[\s\S]*?```/g, '');
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1]!.split('#')[0]!;
        if (!target || /^[a-z]+:/.test(target)) continue; // an anchor on the same page, or a URL
        if (!existsSync(join(dirname(f), decodeURIComponent(target)))) broken.push(`${rel(f)} → ${m[1]}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('every example lab a doc or script names is in examples/', () => {
    const named = new Set<string>();
    for (const f of [...markdown, ...all.filter((x) => x.endsWith('.sh'))]) {
      for (const m of readFileSync(f, 'utf8').matchAll(/\bexamples\/([a-z0-9-]+\.ya?ml)/g)) named.add(m[1]!);
    }
    expect(named.size).toBeGreaterThan(0);
    const missing = [...named].filter((x) => !existsSync(join(ROOT, 'examples', x)));
    expect(missing).toEqual([]);
  });
});

describe('docs/cli.md matches the command', () => {
  it('its help block is the output of patchbay --help', () => {
    const doc = readFileSync(join(ROOT, 'docs/cli.md'), 'utf8');
    const block = /\$ patchbay --help\n([\s\S]*?)\n```/.exec(doc);
    expect(block, 'docs/cli.md has a "$ patchbay --help" block').not.toBeNull();
    expect(block![1]).toBe(HELP);
  });

  it('documents every command of the grammar', () => {
    const doc = readFileSync(join(ROOT, 'docs/cli.md'), 'utf8');
    for (const cmd of [
      'apply',
      'destroy',
      'list',
      'state',
      'exec',
      'shell',
      'export',
      'recover',
      'capabilities',
      'why',
      'serve',
      'scenario',
    ]) {
      expect(doc, cmd).toMatch(new RegExp(`^### ${cmd}$`, 'm'));
    }
  });
});
