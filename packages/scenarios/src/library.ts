// The built-in exercise library: one scenario file per exercise in `library/` (YAML, lab inline).
// Node-only (reads files): imported as `@patchbay/scenarios/library`, so the package's main entry
// stays free of node:* for the browser.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Scenario } from './model.js';
import { formatScenarioProblem, parseScenarioText } from './parse.js';

/** The folder of the built-in scenario files. */
export const LIBRARY_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'library');

export interface BuiltinScenario {
  id: string;
  file: string;
  text: string;
  scenario: Scenario;
}

const LEVEL_ORDER = { beginner: 0, intermediate: 1, advanced: 2 } as const;

let cache: BuiltinScenario[] | undefined;

/** Every built-in scenario, by level then id. A broken built-in is a bug: it throws with its problems. */
export function builtinScenarios(): BuiltinScenario[] {
  if (cache) return cache;
  const out: BuiltinScenario[] = [];
  for (const file of readdirSync(LIBRARY_DIR).filter((f) => f.endsWith('.yaml')).sort()) {
    const path = join(LIBRARY_DIR, file);
    const text = readFileSync(path, 'utf8');
    const { scenario, problems } = parseScenarioText(text, { readLab: (p) => readFileSync(join(LIBRARY_DIR, p), 'utf8') });
    if (!scenario || problems.length) throw new Error(`built-in scenario ${file}: ${problems.map(formatScenarioProblem).join('; ')}`);
    if (`${scenario.id}.yaml` !== file) throw new Error(`built-in scenario ${file} has id ${scenario.id}: the file must be named ${scenario.id}.yaml`);
    out.push({ id: scenario.id, file: path, text, scenario });
  }
  out.sort((a, b) => LEVEL_ORDER[a.scenario.level] - LEVEL_ORDER[b.scenario.level] || a.id.localeCompare(b.id));
  cache = out;
  return out;
}

/** The built-in scenario `id`, or undefined. */
export function builtinScenario(id: string): BuiltinScenario | undefined {
  return builtinScenarios().find((s) => s.id === id);
}
