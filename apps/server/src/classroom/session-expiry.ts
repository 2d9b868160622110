// Pure: whether a class session has been idle long enough to end. Idle means no request and no
// connection from its instructor or any of its students: an open dashboard or a connected student
// keeps it alive; otherwise the latest sign of life counts — the session's opening, an instructor's
// request about it or a dashboard closing, any student's request, join or connection coming or
// going. Activity is remembered in memory from the server's start (as for idle student labs), so a
// restart gives every session a full idle period again.

export interface SessionActivity {
  /** When the session was opened (ms since the epoch). */
  createdAt: number;
  /** The instructor's latest request about it, or a dashboard of it closing. */
  touchedAt: number | undefined;
  /** Whether a dashboard of it is open now. */
  dashboardOpen: boolean;
  /** Each student's latest activity, and whether they are connected now. */
  students: readonly { lastSeen: number | undefined; connected: boolean }[];
}

/** Whether the session has had no sign of life for `idleMs` (never when `idleMs` ≤ 0). */
export function sessionIdle(a: SessionActivity, now: number, idleMs: number, serverStarted: number): boolean {
  if (idleMs <= 0 || a.dashboardOpen || a.students.some((s) => s.connected)) return false;
  let last = Math.max(serverStarted, Number.isNaN(a.createdAt) ? 0 : a.createdAt, a.touchedAt ?? 0);
  for (const s of a.students) last = Math.max(last, s.lastSeen ?? 0);
  return now - last >= idleMs;
}
