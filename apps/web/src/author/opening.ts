// What the authoring workspace opens with: a draft, where its nodes go, and a line saying where it
// came from (and how many problems it has, which the form then shows by the fields).
import { plural } from '@patchbay/topology';
import { formatScenarioProblem, type Problem } from '@patchbay/scenarios';
import { autoLayout } from '../model/layout';
import type { Working } from './handoff';
import { draftFromText } from './scenario-draft';

export interface Opening {
  working: Working;
  note?: string;
}

const problemNote = (ps: Problem[]) =>
  ps.length ? ` (${plural(ps.length, 'problem')} to fix, shown by the fields)` : '';

/** A scenario file's text → what the workspace opens, or why it cannot be opened. */
export function openingFromText(name: string, text: string): Opening | { error: string } {
  const { draft, problems } = draftFromText(text);
  if (!draft)
    return {
      error: `${name} cannot be opened: ${problems.slice(0, 3).map(formatScenarioProblem).join('; ') || 'not a scenario file'}`,
    };
  return { working: { draft, positions: autoLayout(draft.lab) }, note: `opened ${name}${problemNote(problems)}` };
}
