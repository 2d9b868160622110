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

let cache: { scenarios: BuiltinScenario[]; broken: { file: string; problems: string[] }[] } | undefined;

function load(): NonNullable<typeof cache> {
  if (cache) return cache;
  const scenarios: BuiltinScenario[] = [];
  const broken: { file: string; problems: string[] }[] = [];
  for (const file of readdirSync(LIBRARY_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    const path = join(LIBRARY_DIR, file);
    const text = readFileSync(path, 'utf8');
    const { scenario, problems } = parseScenarioText(text, {
      readLab: (p) => readFileSync(join(LIBRARY_DIR, p), 'utf8'),
    });
    if (!scenario || problems.length) broken.push({ file, problems: problems.map(formatScenarioProblem) });
    else if (`${scenario.id}.yaml` !== file)
      broken.push({ file, problems: [`its id is ${scenario.id}: the file must be named ${scenario.id}.yaml`] });
    else scenarios.push({ id: scenario.id, file: path, text, scenario });
  }
  scenarios.sort((a, b) => LEVEL_ORDER[a.scenario.level] - LEVEL_ORDER[b.scenario.level] || a.id.localeCompare(b.id));
  cache = { scenarios, broken };
  return cache;
}

/**
 * Every built-in scenario, by level then id. A file that does not parse is left out (and listed by
 * `brokenBuiltins`, which the library's test requires to be empty): one bad file must not hide the rest.
 */
export function builtinScenarios(): BuiltinScenario[] {
  return load().scenarios;
}

/** Built-in files that do not parse, with their problems (a bug: the test suite fails on any). */
export function brokenBuiltins(): { file: string; problems: string[] }[] {
  return load().broken;
}

/** The built-in scenario `id`, or undefined. */
export function builtinScenario(id: string): BuiltinScenario | undefined {
  return builtinScenarios().find((s) => s.id === id);
}
