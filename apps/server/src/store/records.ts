// The rows the store answers, whatever the database: lab documents, class sessions and their
// students, and how a database record (same column names in SQLite and PostgreSQL) becomes one.
import type { CheckRun } from '@patchbay/protocol';

export interface StoredLab {
  name: string;
  document: unknown;
  layout: unknown; // null when none was saved
  updatedAt: string;
}

export interface DocumentRecord {
  name: string;
  document: string;
  layout: string | null;
  updated_at: string;
}

export const storedLabOf = (r: DocumentRecord): StoredLab => ({
  name: r.name,
  document: JSON.parse(r.document),
  layout: r.layout === null ? null : JSON.parse(r.layout),
  updatedAt: r.updated_at,
});

export type EndReason = 'instructor' | 'idle';

export interface SessionRow {
  id: string;
  /** Upper case; students may type it in any case. */
  code: string;
  scenarioId: string;
  /** The scenario file (YAML, lab inline) as it was when the session was opened. */
  scenarioText: string;
  createdAt: string;
  endedAt: string | null;
  endReason: EndReason | null;
  /** Students it takes at most; null for a session opened before seats existed (the server's default). */
  seatLimit: number | null;
  /** No new joins while locked. */
  locked: boolean;
  /** Students may not apply or destroy their lab through the API. */
  terminalsOnly: boolean;
}

export interface SessionRecord {
  id: string;
  code: string;
  scenario_id: string;
  scenario_text: string;
  created_at: string;
  ended_at: string | null;
  end_reason: string | null;
  seat_limit: number | null;
  locked: number;
  terminals_only: number;
}

export const sessionOf = (r: SessionRecord): SessionRow => ({
  id: r.id,
  code: r.code,
  scenarioId: r.scenario_id,
  scenarioText: r.scenario_text,
  createdAt: r.created_at,
  endedAt: r.ended_at,
  endReason: r.end_reason === 'idle' || r.end_reason === 'instructor' ? r.end_reason : r.ended_at ? 'instructor' : null,
  seatLimit: r.seat_limit,
  locked: r.locked !== 0,
  terminalsOnly: r.terminals_only !== 0,
});

export type NewSession = Pick<SessionRow, 'id' | 'code' | 'scenarioId' | 'scenarioText'> & {
  seatLimit?: number | null;
};

/** The row of a session just added (what its columns' defaults make it). */
export const newSessionRow = (s: NewSession, createdAt: string): SessionRow => ({
  ...s,
  seatLimit: s.seatLimit ?? null,
  createdAt,
  endedAt: null,
  endReason: null,
  locked: false,
  terminalsOnly: false,
});

export interface StudentRow {
  id: string;
  session: string;
  /** 1, 2, … in the order of joining (part of the lab name; never reused in a session). */
  seq: number;
  name: string;
  lab: string;
  joinedAt: string;
  hintsShown: number;
  lastRun: CheckRun | null;
  solvedAt: string | null;
  /** Applies and destroys of their lab with their own token. */
  apiChanges: number;
  lastApiChangeAt: string | null;
  /** When an instructor last reset their lab. */
  instructorResetAt: string | null;
  /** When their lab was last re-created on another agent because its agent was lost, and that agent. */
  movedAt: string | null;
  movedFrom: string | null;
}

/** Why a join was refused by the store. */
export type JoinRefusal = 'full' | 'locked' | 'ended' | 'name-taken';

export interface NewStudent {
  id: string;
  session: string;
  name: string;
  token: string;
  /** The lab name for the student's sequence number. */
  labFor: (seq: number) => string;
  /** Students a session may have at most when it has no seat limit of its own (opened before seats existed). */
  max: number;
  /** What two names of one session must not share (the name compared in any case, say). */
  nameKey: (name: string) => string;
}

export interface StudentRecord {
  id: string;
  session: string;
  seq: number;
  name: string;
  lab: string;
  joined_at: string;
  hints_shown: number;
  last_run: string | null;
  solved_at: string | null;
  api_changes: number;
  last_api_change_at: string | null;
  instructor_reset_at: string | null;
  moved_at: string | null;
  moved_from: string | null;
}

export const studentOf = (r: StudentRecord): StudentRow => ({
  id: r.id,
  session: r.session,
  seq: r.seq,
  name: r.name,
  lab: r.lab,
  joinedAt: r.joined_at,
  hintsShown: r.hints_shown,
  lastRun: r.last_run === null ? null : (JSON.parse(r.last_run) as CheckRun),
  solvedAt: r.solved_at,
  apiChanges: r.api_changes,
  lastApiChangeAt: r.last_api_change_at,
  instructorResetAt: r.instructor_reset_at,
  movedAt: r.moved_at,
  movedFrom: r.moved_from,
});

/** The row of a student just added (what its columns' defaults make it). */
export const newStudentRow = (n: NewStudent, seq: number, lab: string, joinedAt: string): StudentRow => ({
  id: n.id,
  session: n.session,
  seq,
  name: n.name,
  lab,
  joinedAt,
  hintsShown: 0,
  lastRun: null,
  solvedAt: null,
  apiChanges: 0,
  lastApiChangeAt: null,
  instructorResetAt: null,
  movedAt: null,
  movedFrom: null,
});

/**
 * Whether a join may take a seat, decided from the session's row and its students' names (both
 * read inside the join's transaction, so two joins at once see each other); undefined when it may.
 */
export function joinRefusal(
  session: { ended_at: string | null; locked: number; seat_limit: number | null } | undefined,
  names: readonly string[],
  n: Pick<NewStudent, 'name' | 'max' | 'nameKey'>,
): JoinRefusal | undefined {
  if (!session || session.ended_at) return 'ended';
  // The name first: a student already in (a second device) is told that, not that no one new may join.
  const keys = names.map((name) => n.nameKey(name));
  if (keys.includes(n.nameKey(n.name))) return 'name-taken';
  if (session.locked) return 'locked';
  if (names.length >= (session.seat_limit ?? n.max)) return 'full';
  return undefined;
}
