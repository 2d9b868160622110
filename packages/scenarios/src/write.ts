// A parsed scenario back to a file: YAML with the lab inline (what the server stores, the editor
// exports and `validate` accepts). Field order follows SCENARIO-FORMAT.md.
import { stringify } from 'yaml';
import type { Scenario, ScenarioDocument } from './model.js';

export function scenarioToDocument(s: Scenario): ScenarioDocument {
  const doc: ScenarioDocument = {
    id: s.id,
    title: s.title,
    level: s.level,
    summary: s.summary,
    instructions: s.instructions,
    lab: s.lab,
    checks: s.checks,
    solution: s.solution,
  };
  const ordered: Record<string, unknown> = { id: doc.id, title: doc.title, level: doc.level, summary: doc.summary };
  if (s.tags) ordered.tags = s.tags;
  ordered.instructions = doc.instructions;
  ordered.lab = doc.lab;
  if (s.setup) ordered.setup = s.setup;
  ordered.checks = doc.checks;
  if (s.hints) ordered.hints = s.hints;
  if (s.why !== undefined) ordered.why = s.why;
  ordered.solution = doc.solution;
  return ordered as unknown as ScenarioDocument;
}

export function scenarioToYaml(s: Scenario): string {
  return stringify(scenarioToDocument(s), { lineWidth: 0 });
}
