// Pure helpers of the classroom pages: how a run or a student's progress is summed up, which of two
// runs is the latest, how a live progress event changes a session, and what a failed join means.
import { plural } from '@patchbay/topology';
import type {
  CheckResult,
  CheckRun,
  Session,
  SessionProgressEvent,
  SessionSettingsEvent,
  SessionStudentRemovedEvent,
  StudentProgress,
} from '@patchbay/protocol';

/** `2/3`, or `–/3` before the first run. */
export function summaryText(passed: number | undefined, total: number): string {
  return `${passed ?? '–'}/${total}`;
}

/** 0..100, for a progress bar. */
export function percent(passed: number, total: number): number {
  return total > 0 ? Math.round((Math.max(0, Math.min(passed, total)) / total) * 100) : 0;
}

export const solved = (p: { passed: number; total: number }): boolean => p.total > 0 && p.passed === p.total;

const TRIGGERS: Record<CheckRun['trigger'], string> = {
  start: 'when the lab started',
  change: 'after a change in the lab',
  periodic: 'on its regular re-check',
  request: 'on request',
  reset: 'after a reset',
};
export const triggerText = (t: CheckRun['trigger']): string => TRIGGERS[t];

/** The later of two runs (by when they finished): a live event and a fetched view may cross. */
export function latestRun(a: CheckRun | undefined, b: CheckRun | undefined): CheckRun | undefined {
  if (!a) return b;
  if (!b) return a;
  return Date.parse(b.at) >= Date.parse(a.at) ? b : a;
}

/** A clock time (`14:03:27`) for today, a date and time otherwise. */
export function clockText(iso: string | undefined, now: Date = new Date()): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  return d.toDateString() === now.toDateString() ? time : `${d.toLocaleDateString()} ${time}`;
}

/** `12 s ago`, `4 min ago`, `2 h ago`. */
export function agoText(iso: string | undefined, now: number = Date.now()): string {
  if (!iso) return '';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (Number.isNaN(s)) return '';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  return `${Math.floor(s / 3600)} h ago`;
}

/** How long a student took to solve (from joining), `7 min 12 s`. */
export function durationText(fromIso: string, toIso: string): string {
  const s = Math.max(0, Math.round((Date.parse(toIso) - Date.parse(fromIso)) / 1000));
  if (Number.isNaN(s)) return '';
  const m = Math.floor(s / 60);
  return m ? `${m} min ${s % 60} s` : `${s} s`;
}

/** A session after a `session:progress` event: the student replaced (or added, on a join). */
export function applyProgress(session: Session, e: SessionProgressEvent): Session {
  if (e.session !== session.id) return session;
  const i = session.students.findIndex((s) => s.id === e.student.id);
  const students = i < 0 ? [...session.students, e.student] : session.students.map((s, k) => (k === i ? e.student : s));
  return { ...session, students };
}

/** A session after a `session:settings` event: its seats and lock as they are now. */
export function applySettings(session: Session, e: SessionSettingsEvent): Session {
  if (e.session !== session.id) return session;
  return { ...session, seatLimit: e.seatLimit, locked: e.locked, terminalsOnly: e.terminalsOnly };
}

/** A session after a `session:student-removed` event: the student's row gone. */
export function withoutStudent(session: Session, e: SessionStudentRemovedEvent): Session {
  if (e.session !== session.id) return session;
  return { ...session, students: session.students.filter((s) => s.id !== e.student) };
}

/** `12/60 seats`, and whether every seat is taken (more students than seats: the limit was lowered). */
export function seatsText(session: Pick<Session, 'students' | 'seatLimit'>): { text: string; full: boolean } {
  const used = session.students.length;
  return {
    text: `${used}/${plural(session.seatLimit, 'seat')}`,
    full: used >= session.seatLimit,
  };
}

/** Students as the dashboard lists them: by name, then by when they joined. */
export function sortStudents(students: StudentProgress[]): StudentProgress[] {
  return [...students].sort((a, b) => a.name.localeCompare(b.name) || a.joinedAt.localeCompare(b.joinedAt));
}

/** One dot per check of the scenario, in its order: pass, fail, or not run yet. */
export function checkDots(
  checks: { id: string; title: string }[],
  results: CheckResult[],
): { id: string; title: string; state: 'pass' | 'fail' | 'unknown'; reason: string }[] {
  const byId = new Map(results.map((r) => [r.id, r]));
  const ids = checks.length ? checks : results;
  return ids.map((c) => {
    const r = byId.get(c.id);
    return {
      id: c.id,
      title: c.title,
      state: r ? (r.pass ? 'pass' : 'fail') : 'unknown',
      reason: r ? [r.reason, r.seen].filter(Boolean).join(' — ') : 'not checked yet',
    };
  });
}

/** What a check dot says, in words, for its tooltip and for screen readers: the title and the reason. */
export function checkDotText(dot: { title: string; state: 'pass' | 'fail' | 'unknown'; reason: string }): string {
  if (dot.state === 'pass') return `${dot.title}: passes`;
  if (dot.state === 'fail') return `${dot.title}: fails${dot.reason ? ` — ${dot.reason}` : ''}`;
  return `${dot.title}: ${dot.reason || 'not checked yet'}`;
}

/** Per check, how many students pass it in their latest run (and how many have run at all): where the class is stuck. */
export function checkTally(
  checks: readonly { id: string; title: string }[],
  students: readonly StudentProgress[],
): { id: string; title: string; passing: number; ran: number }[] {
  return checks.map((c) => {
    let passing = 0;
    let ran = 0;
    for (const s of students) {
      const r = s.results.find((x) => x.id === c.id);
      if (!r) continue;
      ran++;
      if (r.pass) passing++;
    }
    return { id: c.id, title: c.title, passing, ran };
  });
}

/**
 * Solved means solved once: every check passed at some point (`solvedAt`), whatever the checks say
 * now. The dashboard's column, its header and the sessions list all count it so; where a student
 * has since broken something, they say "now x/y" beside it.
 */
export const solvedOnce = (s: StudentProgress): boolean => Boolean(s.solvedAt) || solved(s);

/** The dashboard's "solved" cell: `14:03:27 (7 min 12 s)`, `solved at 14:03:27 (7 min 12 s), now 0/3`, or ''. */
export function solvedText(s: StudentProgress, now: Date = new Date()): string {
  if (!s.solvedAt) return '';
  const when = `${clockText(s.solvedAt, now)} (${durationText(s.joinedAt, s.solvedAt)})`;
  return solved(s) ? when : `solved at ${when}, now ${summaryText(s.results.length ? s.passed : undefined, s.total)}`;
}

/** The class's totals for the dashboard's header (`slipped`: solved once, not every check passes now). */
export function classSummary(students: StudentProgress[]): {
  students: number;
  solved: number;
  slipped: number;
  hints: number;
} {
  return {
    students: students.length,
    solved: students.filter(solvedOnce).length,
    slipped: students.filter((s) => solvedOnce(s) && !solved(s)).length,
    hints: students.reduce((n, s) => n + s.hintsShown, 0),
  };
}

/** What a failed join tells the student: the server's words when it gave some, else what the status means. */
export function joinErrorText(status: number, serverMessage: string): string {
  if (status === 0)
    return 'Cannot reach the Patchbay server: check the address, or ask your instructor whether it is running.';
  if (status === 404) return 'No class session has this code: check it with your instructor.';
  if (status === 410) return 'This class session has ended.';
  // 409: full or locked; the server says which, and that the instructor decides.
  if (status === 409)
    return serverMessage
      ? `${serverMessage[0]!.toUpperCase()}${serverMessage.slice(1)}.`
      : 'This class session takes no new students now.';
  if (status === 429) return 'Too many attempts: wait a minute and try again.';
  if (status === 400) return `That does not work: ${serverMessage}`;
  return serverMessage || `The server answered ${status}.`;
}

/** A join code as typed: letters and digits only (spaces and dashes from a projector copy dropped). */
export const normalizeCode = (code: string): string => code.replace(/[^A-Za-z0-9]/g, '');
