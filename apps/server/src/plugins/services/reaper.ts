// Idle student labs are destroyed: a lab a student token covers, with no request from a student and
// no student connection for `studentIdleSeconds`, goes (its pings, captures, terminals and watchers
// first), so a class that walked away does not keep hundreds of namespaces; a class session keeps
// the student, and their reset re-creates the lab. Instructors' own labs are never reaped. Activity
// is counted from the server's start (a join counts too), so a restart gives every lab a full idle
// period again.
//
// Idle class sessions end: no request or connection from the instructor or any student for
// `sessionIdleSeconds` (classroom/session-expiry.ts says what counts), and the session ends as if its
// instructor had ended it (reason `idle`): every student's lab destroyed, their tokens revoked.
// With several coordinator replicas, a dashboard open or a student's exercise open on another
// replica counts as well (classroom/replica-presence.ts); requests to another replica do not.
import fp from 'fastify-plugin';
import { sessionIdle } from '../../classroom/session-expiry.js';

export interface ReaperOptions {
  /** How often idle labs and sessions are looked for. */
  intervalMs?: number;
}

export interface Activity {
  touch(lab: string): void;
  /** An instructor's request about session `id`, or a dashboard of it closing. */
  touchSession(id: string): void;
  /** A student connection opened (+1) or closed (-1): a connected lab is never idle. */
  connected(lab: string, delta: 1 | -1): void;
  /** Looks for idle labs now and destroys them; the names destroyed. */
  sweep(): Promise<string[]>;
  /** Looks for idle sessions now and ends them; the ids ended. */
  expireSessions(): Promise<string[]>;
}

export default fp<ReaperOptions>(
  async (app, opts) => {
    const started = Date.now();
    const lastSeen = new Map<string, number>();
    const connections = new Map<string, number>();
    const sessionTouched = new Map<string, number>();
    let sweeping: Promise<string[]> | undefined;
    let expiring: Promise<string[]> | undefined;

    const reap = async (): Promise<string[]> => {
      const idleMs = app.limits.studentIdleSeconds * 1000;
      if (idleMs <= 0) return [];
      const running = new Set((await app.engine.list()).map((l) => l.name));
      const gone: string[] = [];
      for (const lab of await app.store.tokens.studentLabs()) {
        // A student with their exercise open on another replica is connected too (replica-presence.ts).
        if (!running.has(lab) || (connections.get(lab) ?? 0) > 0 || app.exercises.isOnline(lab)) continue;
        if (Date.now() - (lastSeen.get(lab) ?? started) < idleMs) continue;
        try {
          await app.engine.destroy(lab); // its `removing` event ends the lab's processes first
          await app.store.labs.delete(lab);
          gone.push(lab);
          app.log.info({ lab, idleSeconds: app.limits.studentIdleSeconds }, 'idle student lab destroyed');
        } catch (err) {
          app.log.warn({ lab, err: (err as Error).message }, 'an idle student lab could not be destroyed');
        }
      }
      return gone;
    };

    const expire = async (): Promise<string[]> => {
      const idleMs = app.limits.sessionIdleSeconds * 1000;
      if (idleMs <= 0) return [];
      const ended: string[] = [];
      const running = await app.store.sessions.running();
      // Ended sessions need no record of activity any more.
      const live = new Set(running.map((r) => r.id));
      for (const id of sessionTouched.keys()) if (!live.has(id)) sessionTouched.delete(id);
      for (const session of running) {
        const idle = sessionIdle(
          {
            createdAt: Date.parse(session.createdAt),
            touchedAt: sessionTouched.get(session.id),
            dashboardOpen: app.exercises.hasDashboard(session.id),
            students: (await app.store.students.inSession(session.id)).map((st) => ({
              lastSeen: lastSeen.get(st.lab),
              connected: (connections.get(st.lab) ?? 0) > 0 || app.exercises.isOnline(st.lab),
            })),
          },
          Date.now(),
          idleMs,
          started,
        );
        if (!idle) continue;
        try {
          await app.classroom.end(session.id, 'idle');
          ended.push(session.id);
          app.log.info({ session: session.id, idleSeconds: app.limits.sessionIdleSeconds }, 'idle class session ended');
        } catch (err) {
          app.log.warn(
            { session: session.id, err: (err as Error).message },
            'an idle class session could not be ended',
          );
        }
      }
      return ended;
    };

    const activity: Activity = {
      touch: (lab) => lastSeen.set(lab, Date.now()),
      touchSession: (id) => sessionTouched.set(id, Date.now()),
      connected: (lab, delta) => {
        const n = (connections.get(lab) ?? 0) + delta;
        if (n > 0) connections.set(lab, n);
        else connections.delete(lab);
        lastSeen.set(lab, Date.now());
      },
      sweep: () => (sweeping ??= reap().finally(() => (sweeping = undefined))),
      expireSessions: () => (expiring ??= expire().finally(() => (expiring = undefined))),
    };
    app.decorate('activity', activity);
    app.addHook('onResponse', async (req) => {
      if (req.scope?.role === 'student') activity.touch(req.scope.lab);
      // An instructor's request about a session (by the route that matched, never the raw URL).
      else if (req.scope?.role === 'instructor' && req.routeOptions.url?.startsWith('/api/sessions/:id')) {
        const id = (req.params as { id?: unknown }).id;
        if (typeof id === 'string') activity.touchSession(id);
      }
    });
    const timer = setInterval(() => {
      void activity.sweep();
      void activity.expireSessions();
    }, opts.intervalMs ?? 60_000);
    timer.unref();
    app.addHook('preClose', async () => {
      clearInterval(timer);
      await Promise.all([sweeping, expiring]);
    });
  },
  { name: 'reaper', dependencies: ['limits', 'store', 'engine', 'live', 'classroom'] },
);
