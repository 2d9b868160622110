// Idle student labs are destroyed: a lab a student token covers, with no request from a student and
// no student connection for `studentIdleSeconds`, goes (its pings, captures, terminals and watchers
// first), so a class that walked away does not keep hundreds of namespaces; a class session keeps
// the student, and their reset re-creates the lab. Instructors' own labs are never reaped. Activity
// is counted from the server's start (a join counts too), so a restart gives every lab a full idle
// period again.
import fp from 'fastify-plugin';

export interface ReaperOptions {
  /** How often idle labs are looked for. */
  intervalMs?: number;
}

export interface Activity {
  touch(lab: string): void;
  /** A student connection opened (+1) or closed (-1): a connected lab is never idle. */
  connected(lab: string, delta: 1 | -1): void;
  /** Looks for idle labs now and destroys them; the names destroyed. */
  sweep(): Promise<string[]>;
}

export default fp<ReaperOptions>(
  async (app, opts) => {
    const started = Date.now();
    const lastSeen = new Map<string, number>();
    const connections = new Map<string, number>();
    let sweeping: Promise<string[]> | undefined;

    const reap = async (): Promise<string[]> => {
      const idleMs = app.limits.studentIdleSeconds * 1000;
      if (idleMs <= 0) return [];
      const running = new Set((await app.engine.list()).map((l) => l.name));
      const gone: string[] = [];
      for (const lab of app.store.studentLabs()) {
        if (!running.has(lab) || (connections.get(lab) ?? 0) > 0) continue;
        if (Date.now() - (lastSeen.get(lab) ?? started) < idleMs) continue;
        try {
          await app.engine.destroy(lab); // its `removing` event ends the lab's processes first
          app.store.deleteLab(lab);
          gone.push(lab);
          app.log.info({ lab, idleSeconds: app.limits.studentIdleSeconds }, 'idle student lab destroyed');
        } catch (err) {
          app.log.warn({ lab, err: (err as Error).message }, 'an idle student lab could not be destroyed');
        }
      }
      return gone;
    };
    const activity: Activity = {
      touch: (lab) => lastSeen.set(lab, Date.now()),
      connected: (lab, delta) => {
        const n = (connections.get(lab) ?? 0) + delta;
        if (n > 0) connections.set(lab, n);
        else connections.delete(lab);
        lastSeen.set(lab, Date.now());
      },
      sweep: () => (sweeping ??= reap().finally(() => (sweeping = undefined))),
    };
    app.decorate('activity', activity);
    app.addHook('onResponse', async (req) => {
      if (req.scope?.role === 'student') activity.touch(req.scope.lab);
    });
    const timer = setInterval(() => void activity.sweep(), opts.intervalMs ?? 60_000);
    timer.unref();
    app.addHook('preClose', async () => {
      clearInterval(timer);
      await sweeping;
    });
  },
  { name: 'reaper', dependencies: ['limits', 'store', 'engine', 'live', 'classroom'] },
);
