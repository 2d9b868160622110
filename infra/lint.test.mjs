// Proves that `pnpm lint` (infra/lint.sh) fails on a planted violation of each house rule: it writes
// small violating files into the packages, lints just those files (the same script and configs as
// `pnpm lint`, scoped to them so the run takes seconds, not minutes), and always removes them.
// Run by infra/test.sh after the build (the rules read the packages' dist/), before the other tests
// (a planted file must not meet a concurrent typecheck).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TAG = '__lint-plant';

/** Each planted file: where, what it says, and what lint must answer (rule name as it is printed). */
const PLANTS = [
  {
    rule: 'pure-no-node',
    why: 'the pure core imports a node:* module',
    file: `packages/topology/src/${TAG}-node.ts`,
    text: "import { readFileSync } from 'node:fs';\n\nexport const read = readFileSync;\n",
  },
  {
    rule: 'pure-no-node',
    why: 'the contract imports a bare node builtin',
    file: `packages/protocol/src/${TAG}-builtin.ts`,
    text: "import { join } from 'path';\n\nexport const joined = join('a', 'b');\n",
  },
  {
    rule: 'only-kernel-starts-processes',
    why: 'the server starts a process itself',
    file: `apps/server/src/${TAG}-spawn.ts`,
    text: "import { spawn } from 'node:child_process';\n\nexport const start = spawn;\n",
  },
  {
    rule: 'only-kernel-starts-processes',
    why: 'the server opens a pty itself',
    file: `apps/server/src/${TAG}-pty.ts`,
    text: "import { spawn } from 'node-pty';\n\nexport const start = spawn;\n",
  },
  {
    rule: 'web-imports-only-the-pure-core',
    why: 'the web app imports the server',
    file: `apps/web/src/${TAG}-server.ts`,
    text: "export { buildApp } from '../../server/src/app.js';\n",
  },
  {
    rule: 'no-circular',
    why: 'two modules import each other',
    file: `packages/engine/src/${TAG}-cycle-a.ts`,
    text: `import { b } from './${TAG}-cycle-b.js';\n\nexport const a = (): number => b() + 1;\n`,
    extra: {
      file: `packages/engine/src/${TAG}-cycle-b.ts`,
      text: `import { a } from './${TAG}-cycle-a.js';\n\nexport const b = (): number => (a ? 1 : 0);\n`,
    },
  },
  {
    rule: 'Formatter would have printed the following content',
    why: 'a file Biome would format differently',
    file: `packages/protocol/src/${TAG}-format.ts`,
    text: 'export const  badlyFormatted = {a:1,b:"two"}\n',
  },
  {
    rule: '@typescript-eslint/no-floating-promises',
    why: 'a type-aware rule: a promise nobody awaits',
    file: `packages/protocol/src/${TAG}-floating.ts`,
    text: 'async function later(): Promise<number> {\n  return 1;\n}\n\nexport function forget(): void {\n  later();\n}\n',
  },
];

const written = PLANTS.flatMap((p) => [p, ...(p.extra ? [p.extra] : [])]).map((p) => join(ROOT, p.file));
const removeAll = () => {
  for (const f of written) rmSync(f, { force: true });
};

let result;
beforeAll(() => {
  // Clean up even if a run before this one died between writing and removing.
  removeAll();
  process.once('exit', removeAll);
  try {
    for (const p of PLANTS.flatMap((x) => [x, ...(x.extra ? [x.extra] : [])])) {
      mkdirSync(dirname(join(ROOT, p.file)), { recursive: true });
      writeFileSync(join(ROOT, p.file), p.text);
    }
    result = spawnSync('bash', ['infra/lint.sh', ...PLANTS.map((p) => p.file)], { cwd: ROOT, encoding: 'utf8' });
  } finally {
    removeAll();
  }
}, 600_000);
afterAll(removeAll);

describe('pnpm lint fails on a planted violation', () => {
  it('exits non-zero', () => {
    expect(result.error).toBeUndefined();
    expect(result.status).not.toBe(0);
  });

  for (const p of PLANTS) {
    it(`${p.why} (${p.rule})`, () => {
      const out = `${result.stdout}\n${result.stderr}`;
      const lines = out.split('\n');
      const name = p.file.split('/').pop();
      // The rule is reported for this file: on the same line (depcruise), or in the file's block
      // (eslint and biome print the file, then its findings).
      const at = lines.findIndex((l, i) => l.includes(name) && lines.slice(i, i + 12).some((m) => m.includes(p.rule)));
      expect(at, `no ${p.rule} for ${p.file} in:\n${out}`).toBeGreaterThanOrEqual(0);
    });
  }

  it('left no planted file behind', () => {
    expect(written.filter((f) => existsSync(f))).toEqual([]);
  });
});

describe('the tree as committed', () => {
  it('has no planted file (a previous run cleaned up)', () => {
    expect(written.some((f) => existsSync(f))).toBe(false);
  });
});
