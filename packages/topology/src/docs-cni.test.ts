// The lab-format docs' CNI section is a real lab: its full lab parses without a problem and is
// examples/cni.yaml (which the engine's tests apply: cni-script.test.ts). The contract lists every
// cni.* problem code validate-cni.ts reports.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { yamlBlocks } from './docs-macvlan.test.js';
import { parseLabText } from './parse.js';

const ROOT = join(import.meta.dirname, '../../..');
const DOC = readFileSync(join(ROOT, 'docs/lab-format.md'), 'utf8');
const SPEC = readFileSync(join(ROOT, 'docs/spec/LAB-FORMAT.md'), 'utf8');

describe('docs: CNI attachments', () => {
  it('the lab of the section is examples/cni.yaml, and it parses cleanly', () => {
    const [doc] = yamlBlocks(DOC, '## CNI attachments (`cni:`)').filter((b) => /^name:/m.test(b));
    const r = parseLabText(doc!);
    expect(r.problems).toEqual([]);
    expect(r.warnings).toEqual([]);
    const { description: _, ...example } = parseLabText(readFileSync(join(ROOT, 'examples/cni.yaml'), 'utf8')).lab!;
    expect(r.lab).toEqual(example);
  });
  it('every cni.* problem code is in the contract and in the validation table', () => {
    const source = readFileSync(join(import.meta.dirname, 'validate-cni.ts'), 'utf8');
    const codes = [...new Set([...source.matchAll(/'(cni\.[a-z-]+)'/g)].map((m) => m[1]!))];
    expect(codes.length).toBeGreaterThanOrEqual(9);
    for (const code of codes) {
      expect(SPEC, code).toContain(`\`${code}\``);
      expect(DOC, code).toContain(`| \`${code}\` |`);
    }
  });
});
