// Pure: what the API shows of scenarios, sessions and students, from stored rows. The solution is
// never part of a view, and hints only as far as they were revealed.
import type { CheckRun, ExerciseView, ScenarioSummary, Session, StudentProgress } from '@patchbay/protocol';
import type { Scenario } from '@patchbay/scenarios';
import type { SessionRow, StudentRow } from '../store/store.js';

export function scenarioSummary(s: Scenario): ScenarioSummary {
  return {
    id: s.id,
    title: s.title,
    level: s.level,
    summary: s.summary,
    tags: s.tags ?? [],
    checks: s.checks.length,
    hints: s.hints?.length ?? 0,
    checkList: s.checks.map((c) => ({ id: c.id, title: c.title, type: c.type })),
  };
}

export function studentProgress(st: StudentRow, scenario: Scenario, online?: boolean): StudentProgress {
  const run = st.lastRun;
  return {
    id: st.id,
    name: st.name,
    lab: st.lab,
    joinedAt: st.joinedAt,
    passed: run?.passed ?? 0,
    total: run?.total ?? scenario.checks.length,
    hintsShown: st.hintsShown,
    results: run?.results ?? [],
    ...(run ? { lastCheckAt: run.at } : {}),
    ...(st.solvedAt ? { solvedAt: st.solvedAt } : {}),
    ...(online === undefined ? {} : { online }),
    ...(st.apiChanges > 0 && st.lastApiChangeAt
      ? { apiChanges: { count: st.apiChanges, lastAt: st.lastApiChangeAt } }
      : {}),
    ...(st.movedAt && st.movedFrom ? { moved: { at: st.movedAt, from: st.movedFrom } } : {}),
  };
}

/** `defaultSeats`: the seats of a session opened before sessions had their own. */
export function sessionView(
  row: SessionRow,
  scenario: Scenario,
  students: StudentRow[],
  defaultSeats: number,
  online?: (lab: string) => boolean,
): Session {
  return {
    id: row.id,
    code: row.code,
    joinPath: `/join/${row.code}`,
    scenario: scenarioSummary(scenario),
    createdAt: row.createdAt,
    ...(row.endedAt ? { endedAt: row.endedAt, endReason: row.endReason ?? 'instructor' } : {}),
    seatLimit: row.seatLimit ?? defaultSeats,
    locked: row.locked,
    terminalsOnly: row.terminalsOnly,
    students: students.map((st) => studentProgress(st, scenario, online?.(st.lab))),
  };
}

/** The hints revealed so far: the first `shown`, never more than there are. */
export const revealedHints = (scenario: Scenario, shown: number): string[] =>
  (scenario.hints ?? []).slice(0, Math.max(0, shown));

/** A session lab's view: its session, whether it is terminals only, the instructor's latest reset of it. */
export interface ExerciseSessionPart {
  id: string;
  terminalsOnly: boolean;
  instructorResetAt?: string | null;
}

export function exerciseView(
  lab: string,
  scenario: Scenario,
  hintsShown: number,
  lastRun: CheckRun | undefined,
  session?: ExerciseSessionPart,
  asker: 'student' | 'instructor' = 'student',
): ExerciseView {
  return {
    lab,
    // The scenario decides for students (absent: allowed); an instructor may always ask.
    why: asker === 'instructor' || scenario.why !== false,
    ...(session ? { session: session.id, terminalsOnly: session.terminalsOnly } : {}),
    ...(session?.instructorResetAt ? { instructorResetAt: session.instructorResetAt } : {}),
    scenario: {
      id: scenario.id,
      title: scenario.title,
      level: scenario.level,
      summary: scenario.summary,
      instructions: scenario.instructions,
      tags: scenario.tags ?? [],
      checks: scenario.checks.map((c) => ({ id: c.id, title: c.title, type: c.type })),
      hintCount: scenario.hints?.length ?? 0,
    },
    hints: revealedHints(scenario, hintsShown),
    ...(lastRun ? { lastRun } : {}),
  };
}
