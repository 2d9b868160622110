// Who is connected to the other coordinator replicas. Each replica keeps its own connections in
// memory (exercise-audience.ts): which students have their exercise open (the dashboards' `online`)
// and which sessions have a dashboard open (an open dashboard keeps a session from ending as idle).
// Behind a load balancer a student may be connected to A while the dashboard that shows them, or
// the reaper that would end their session, runs on B: with PATCHBAY_REDIS each replica announces
// its connections to the others (socket.io's serverSideEmit, carried by the Redis adapter) at once
// when they change and every `announceMs`, and counts another replica's announcement for `staleMs`
// — a replica killed without a word is forgotten after that, and its students are offline then
// unless they reconnected somewhere (their pages do, to another replica).
import { randomUUID } from 'node:crypto';
import type { ReplicaPresence as Announcement } from '@patchbay/protocol';
import type { LiveIo } from '../live/socket.js';

export interface ReplicaPresenceOptions {
  announceMs: number;
  staleMs: number;
}

export const REPLICA_PRESENCE_DEFAULTS: ReplicaPresenceOptions = { announceMs: 5000, staleMs: 15_000 };

interface Remote {
  labs: Set<string>;
  sessions: Set<string>;
  at: number;
}

const isAnnouncement = (p: unknown): p is Announcement => {
  const a = p as Partial<Announcement> | undefined;
  const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');
  return typeof a === 'object' && a !== null && typeof a.replica === 'string' && strings(a.labs) && strings(a.sessions);
};

export class ReplicaPresence {
  readonly replica = randomUUID();
  private readonly remote = new Map<string, Remote>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly io: LiveIo,
    /** This replica's own connections now. */
    private readonly local: () => { labs: string[]; sessions: string[] },
    /** Labs a replica that went quiet had online (their dashboards learn they are not, unless they are elsewhere). */
    private readonly onGone: (labs: string[]) => void,
    private readonly options: ReplicaPresenceOptions = REPLICA_PRESENCE_DEFAULTS,
  ) {
    io.on('replica:presence', (p: unknown) => {
      if (!isAnnouncement(p) || p.replica === this.replica) return;
      this.remote.set(p.replica, { labs: new Set(p.labs), sessions: new Set(p.sessions), at: Date.now() });
    });
    this.timer = setInterval(() => {
      this.forgetStale();
      this.announce();
    }, options.announceMs);
    this.timer.unref();
  }

  /** Tells the other replicas this one's connections (after a change; also every announceMs). */
  announce(): void {
    this.io.serverSideEmit('replica:presence', { replica: this.replica, ...this.local() });
  }

  /** Whether a student has lab `lab`'s exercise open on another replica. */
  onlineElsewhere(lab: string): boolean {
    return this.some((r) => r.labs.has(lab));
  }

  /** Whether session `id` has a dashboard open on another replica. */
  dashboardElsewhere(id: string): boolean {
    return this.some((r) => r.sessions.has(id));
  }

  close(): void {
    clearInterval(this.timer);
  }

  private some(test: (r: Remote) => boolean): boolean {
    const now = Date.now();
    for (const r of this.remote.values()) if (now - r.at <= this.options.staleMs && test(r)) return true;
    return false;
  }

  private forgetStale(): void {
    const now = Date.now();
    for (const [id, r] of this.remote) {
      if (now - r.at <= this.options.staleMs) continue;
      this.remote.delete(id);
      if (r.labs.size) this.onGone([...r.labs]);
    }
  }
}
