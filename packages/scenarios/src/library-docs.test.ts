// docs/scenarios.md lists the built-in library twice: by concept (concept → lab feature → exercise)
// and exercise by exercise. Both must name every built-in, and nothing that is not one.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinScenarios, LIBRARY_DIR } from './library.js';

const doc = readFileSync(join(LIBRARY_DIR, '..', '..', '..', 'docs', 'scenarios.md'), 'utf8');
const section = doc.slice(doc.indexOf('\n## The built-in library\n'));

/** The rows of the first Markdown table after `heading` (a line of the section), cells trimmed. */
function tableAfter(heading: string): string[][] {
  const lines = section.slice(section.indexOf(heading)).split('\n');
  const start = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (const l of lines.slice(start + 2)) {
    if (!l.startsWith('|')) break;
    rows.push(
      l
        .slice(1, -1)
        .split(' | ')
        .map((c) => c.trim()),
    );
  }
  return rows;
}
const ids = (cell: string) => [...cell.matchAll(/`([a-z][a-z0-9-]*)` \((beginner|intermediate|advanced)\)/g)];

describe('the library table in docs/scenarios.md', () => {
  const all = builtinScenarios();
  it('lists every exercise under a concept and its lab feature, at its level', () => {
    const rows = tableAfter('| concept | lab feature | exercise |');
    expect(rows.every((r) => r.length === 3 && r[0] && r[1])).toBe(true);
    const listed = rows.flatMap((r) => ids(r[2]!).map((m) => `${m[1]} ${m[2]}`));
    expect(listed.sort()).toEqual(all.map((b) => `${b.id} ${b.scenario.level}`).sort());
  });
  it('describes every exercise with its title and tags', () => {
    const rows = tableAfter('| id | level | what is wrong | concepts | checks |');
    expect(rows.map((r) => r[0]).sort()).toEqual(all.map((b) => `\`${b.id}\``).sort());
    for (const b of all) {
      const row = rows.find((r) => r[0] === `\`${b.id}\``)!;
      expect(row[1], b.id).toBe(b.scenario.level);
      expect(row[2], b.id).toContain(`**${b.scenario.title}**`);
      expect(row[3], b.id).toBe((b.scenario.tags ?? []).join(', '));
      expect(row[4], b.id).toBe(b.scenario.checks.map((c) => c.type).join(', '));
    }
  });
});
