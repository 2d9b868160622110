// The lab-format docs' DNS lab is a real lab: it parses without a problem and is examples/dns.yaml
// (which the CLI's real-kernel test applies and resolves through).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLabText } from './parse.js';

const ROOT = join(import.meta.dirname, '../../..');
const DOC = readFileSync(join(ROOT, 'docs/lab-format.md'), 'utf8');

/** The ```yaml blocks of the section under `heading` (as docs-macvlan.test.ts reads them). */
function yamlBlocks(doc: string, heading: string): string[] {
  const start = doc.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`no section ${heading}`);
  const rest = doc.slice(start + heading.length + 2);
  const end = rest.search(/\n## /);
  return [...(end < 0 ? rest : rest.slice(0, end)).matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

describe('docs/lab-format.md: DNS', () => {
  it('the DNS lab parses without a problem or a warning and is examples/dns.yaml', () => {
    const [doc] = yamlBlocks(DOC, '## DNS').filter((b) => /^name:/m.test(b));
    const r = parseLabText(doc!);
    expect(r.problems).toEqual([]);
    expect(r.warnings).toEqual([]);
    const { description: _, ...exampleLab } = parseLabText(readFileSync(join(ROOT, 'examples/dns.yaml'), 'utf8')).lab!;
    expect(r.lab).toEqual(exampleLab);
  });
});
