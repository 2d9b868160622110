// What the server asks of its database, whichever it is: SQLite in PATCHBAY_DATA (the embedded
// default) or PostgreSQL (PATCHBAY_DATABASE=postgres://…, shared by several coordinator replicas).
// Asynchronous because PostgreSQL is; SQLite answers at once. Every write that must hold against a
// second writer (a join's seat and sequence number, a session code) is one transaction or one
// constrained statement in both.
import type { EndReason, JoinRefusal, NewSession, NewStudent, SessionRow, StoredLab, StudentRow } from './records.js';
import type { CheckRun } from '@patchbay/protocol';
import type { Role, TokenRow } from './tokens.js';
import type { AgentStore } from './agents.js';

/** The labs applied (table `labs`): their document, kept for the editor and for reloads. */
export interface LabStore {
  put(name: string, document: unknown): Promise<void>;
  get(name: string): Promise<StoredLab | undefined>;
  delete(name: string): Promise<void>;
}

/** The editor's drafts (table `drafts`), with their layout. */
export interface DraftStore {
  /** Saves a draft; answers when it was saved. */
  put(name: string, document: unknown, layout: unknown): Promise<string>;
  get(name: string): Promise<StoredLab | undefined>;
  /** Newest first. */
  list(): Promise<{ name: string; updatedAt: string }[]>;
  delete(name: string): Promise<void>;
}

/** Access tokens (table `tokens`), by their hash. */
export interface TokenStore {
  /** Records a token (by its hash); an existing one is left as it is. Rejects a malformed token. */
  add(token: string, role: Role, lab?: string | null): Promise<void>;
  /** The token's role, or undefined for an unknown or malformed one (never looked up). */
  find(token: string): Promise<TokenRow | undefined>;
  /**
   * Makes `token` the one instructor token: every other instructor token is revoked (a server
   * started with a new PATCHBAY_ADMIN_TOKEN no longer accepts the old one). The number revoked.
   */
  setInstructor(token: string): Promise<number>;
  /** The labs student tokens cover. */
  studentLabs(): Promise<string[]>;
  /** Revokes every student token of `lab` (the end of a class session): they answer 401 afterwards. */
  revokeStudentTokens(lab: string): Promise<void>;
}

/** Class sessions (table `sessions`). */
export interface SessionStore {
  /** A new session; false when its code (or id) is taken (the caller draws another). */
  add(s: NewSession): Promise<SessionRow | false>;
  get(id: string): Promise<SessionRow | undefined>;
  /** By code, in any case. */
  byCode(code: string): Promise<SessionRow | undefined>;
  /** Newest first. */
  list(): Promise<SessionRow[]>;
  /** The sessions not ended yet. */
  running(): Promise<SessionRow[]>;
  /** Changes the seats, the lock or terminals only of a session; the row as it is now. */
  update(
    id: string,
    change: { seatLimit?: number; locked?: boolean; terminalsOnly?: boolean },
  ): Promise<SessionRow | undefined>;
  /** Marks the session ended (the first end counts, its reason too); answers when it ended. */
  end(id: string, reason?: EndReason): Promise<string>;
}

/** The students of class sessions (table `students`), each with their token. */
export interface StudentStore {
  /**
   * Adds a student and their token (covering only their lab) in one transaction, so two joins at
   * once — on one server or two — never get the same lab, the same name or the last seat twice; why
   * not when the session has ended, has a student of that name, is locked, or has as many students as seats.
   */
  add(n: NewStudent): Promise<StudentRow | JoinRefusal>;
  /** Students in the session now (seats taken). */
  count(session: string): Promise<number>;
  /** Forgets a student (their token too): a join whose lab could not be realized, or a student removed. */
  delete(id: string): Promise<void>;
  get(id: string): Promise<StudentRow | undefined>;
  byLab(lab: string): Promise<StudentRow | undefined>;
  /** The students of a session, in the order they joined. */
  inSession(session: string): Promise<StudentRow[]>;
  /** Keeps a run as the student's latest; the first run where every check passes sets solvedAt. */
  recordRun(student: string, run: CheckRun): Promise<StudentRow | undefined>;
  /** Counts a change the student made to their lab through the API (an apply or a destroy). */
  recordApiChange(student: string, at?: string): Promise<StudentRow | undefined>;
  /** An instructor reset the student's lab. */
  recordInstructorReset(student: string, at?: string): Promise<void>;
  /** The student's lab was re-created on another agent because agent `from` was lost. */
  recordMove(student: string, from: string, at?: string): Promise<void>;
  setHintsShown(student: string, n: number): Promise<void>;
}

/** The server's database: one store per table (students with their tokens). */
export interface Store {
  /** Which database: `sqlite` (a file in PATCHBAY_DATA) or `postgres`. */
  readonly kind: 'sqlite' | 'postgres';
  readonly labs: LabStore;
  readonly drafts: DraftStore;
  readonly tokens: TokenStore;
  readonly sessions: SessionStore;
  readonly students: StudentStore;
  /** The agents (lab hosts) and the lab placements. */
  readonly agents: AgentStore;
  /** The newest migration applied. */
  schemaVersion(): Promise<number>;
  close(): Promise<void>;
}
