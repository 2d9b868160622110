// The lab-format docs' macvlan and bridge-port examples are real labs: each full lab in those
// sections parses without a problem, and the macvlan one is examples/macvlan.yaml (which the
// engine's real-kernel tests apply). The engine applies the bridge-port one (bridge-ports.test.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLabText } from './parse.js';

const ROOT = join(import.meta.dirname, '../../..');
const DOC = readFileSync(join(ROOT, 'docs/lab-format.md'), 'utf8');

/** The ```yaml blocks between a heading and the next heading of the same level. */
export function yamlBlocks(doc: string, heading: string): string[] {
  const start = doc.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`no section ${heading}`);
  const level = heading.split(' ')[0]!;
  const rest = doc.slice(start + heading.length + 2);
  const end = rest.search(new RegExp(`\\n${level} `));
  const section = end < 0 ? rest : rest.slice(0, end);
  return [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

describe('docs/lab-format.md: macvlans and bridge ports', () => {
  const sections = ['## Bridge ports: flags and anti-spoofing', '## Macvlans'];
  it('every full lab in those sections parses without a problem or a warning', () => {
    const labs = sections.flatMap((h) => yamlBlocks(DOC, h)).filter((b) => /^name:/m.test(b));
    expect(labs.length).toBe(2);
    for (const text of labs) {
      const r = parseLabText(text);
      expect(r.problems).toEqual([]);
      expect(r.warnings).toEqual([]);
    }
  });

  it('the macvlan lab is examples/macvlan.yaml', () => {
    const [doc] = yamlBlocks(DOC, '## Macvlans').filter((b) => /^name:/m.test(b));
    const example = readFileSync(join(ROOT, 'examples/macvlan.yaml'), 'utf8');
    const { description: _, ...exampleLab } = parseLabText(example).lab!;
    expect(parseLabText(doc!).lab).toEqual(exampleLab);
  });
});
