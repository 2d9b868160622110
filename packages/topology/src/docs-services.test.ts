// The lab-format docs' Services section is a real lab: it parses without a problem, and it is
// examples/kubernetes-service.yaml (which the engine's real-kernel test applies); every service.*
// problem code validate-service.ts gives is documented.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLabText } from './parse.js';

const ROOT = join(import.meta.dirname, '../../..');
const DOC = readFileSync(join(ROOT, 'docs/lab-format.md'), 'utf8');

/** The ```yaml blocks of a level-2 section. */
function yamlBlocks(doc: string, heading: string): string[] {
  const start = doc.indexOf(`\n${heading}\n`);
  const rest = doc.slice(start + heading.length + 2);
  const end = rest.search(/\n## /);
  return [...(end < 0 ? rest : rest.slice(0, end)).matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

describe('docs/lab-format.md: Services', () => {
  it('the Services lab parses and is examples/kubernetes-service.yaml', () => {
    const [doc] = yamlBlocks(DOC, '## Services (Kubernetes)').filter((b) => /^name:/m.test(b));
    const r = parseLabText(doc!);
    expect(r.problems).toEqual([]);
    const example = readFileSync(join(ROOT, 'examples/kubernetes-service.yaml'), 'utf8');
    expect(r.lab).toEqual(parseLabText(example).lab);
  });

  it('documents every service problem code', () => {
    const source = ['validate-service.ts', 'parse-structure.ts']
      .map((f) => readFileSync(join(import.meta.dirname, f), 'utf8'))
      .join('\n');
    const codes = new Set([...source.matchAll(/'(service\.[a-z-]+)'/g)].map((m) => m[1]!));
    expect(codes.size).toBeGreaterThan(10);
    for (const code of codes) expect(DOC, code).toContain(`| \`${code}\` |`);
  });
});
