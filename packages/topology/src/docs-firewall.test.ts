// The lab-format docs' firewall and policy lab is examples/network-policy.yaml (which the engine's
// real-kernel test applies), and the chains the docs print are the ones Patchbay compiles.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from './compile.js';
import { yamlBlocks } from './docs-macvlan.test.js';
import { parseLabText } from './parse.js';

const ROOT = join(import.meta.dirname, '../../..');
const DOC = readFileSync(join(ROOT, 'docs/lab-format.md'), 'utf8');

describe('docs/lab-format.md: firewall rules and network policies', () => {
  it('the lab in the section is examples/network-policy.yaml and parses without a problem', () => {
    const [doc] = yamlBlocks(DOC, '## Firewall rules and network policies');
    const r = parseLabText(doc!);
    expect(r.problems).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(doc).toBe(readFileSync(join(ROOT, 'examples/network-policy.yaml'), 'utf8'));
  });

  it('every -A line the docs show for it is in the compiled filter table', () => {
    const lab = parseLabText(readFileSync(join(ROOT, 'examples/network-policy.yaml'), 'utf8')).lab!;
    const filter = compile(lab, 'pb-').namespaces['pb-network-policy.node1']!.iptables!.filter;
    const shown = DOC.split('\n').filter((l) => l.startsWith('-A cali-') || /^-A (INPUT|FORWARD) -j cali/.test(l));
    expect(shown.length).toBeGreaterThan(8);
    for (const line of shown) expect(filter).toContain(line);
  });
});
