// A student's result as their page last saw it: checks passed of total, when that was, and when the
// exercise was first solved. Kept in the browser (per lab), because once the session ends the
// student's token is revoked and the server no longer answers them: their final result is what the
// page shows then.
import type { CheckRun } from '@patchbay/protocol';
import { clockText, solved } from './progress';

export interface StudentResult {
  passed: number;
  total: number;
  /** When the latest run finished (ISO 8601). */
  at: string;
  /** When every check passed for the first time this page saw (ISO 8601). */
  solvedAt?: string;
}

/** The result after `run`: the latest counts, the first solve kept (older runs change nothing). */
export function nextResult(prev: StudentResult | undefined, run: CheckRun): StudentResult {
  if (prev && Date.parse(run.at) < Date.parse(prev.at)) return prev;
  const solvedAt = prev?.solvedAt ?? (solved(run) ? run.at : undefined);
  return { passed: run.passed, total: run.total, at: run.at, ...(solvedAt ? { solvedAt } : {}) };
}

/** One line for the student: `3/3 checks passed (at 14:03:27) · solved at 14:01:10`, or `· solved earlier, at …` when not every check passes any more. */
export function resultText(r: StudentResult, now: Date = new Date()): string {
  const counts = `${r.passed}/${r.total} check${r.total === 1 ? '' : 's'} passed (at ${clockText(r.at, now)})`;
  if (!r.solvedAt) return `${counts} · not solved`;
  return `${counts} · solved ${solved(r) ? '' : 'earlier, '}at ${clockText(r.solvedAt, now)}`;
}

const KEY = 'patchbay.result.lab.';

export function loadResult(lab: string): StudentResult | undefined {
  try {
    const raw: unknown = JSON.parse(localStorage.getItem(`${KEY}${lab}`) ?? 'null');
    if (!raw || typeof raw !== 'object') return undefined;
    const r = raw as Record<string, unknown>;
    if (typeof r['passed'] !== 'number' || typeof r['total'] !== 'number' || typeof r['at'] !== 'string')
      return undefined;
    return {
      passed: r['passed'],
      total: r['total'],
      at: r['at'],
      ...(typeof r['solvedAt'] === 'string' ? { solvedAt: r['solvedAt'] } : {}),
    };
  } catch {
    return undefined; // a damaged entry is as good as none
  }
}

export function saveResult(lab: string, r: StudentResult): void {
  try {
    localStorage.setItem(`${KEY}${lab}`, JSON.stringify(r));
  } catch {
    // Storage full or refused: the page still shows the result it has in memory.
  }
}
