// A lab's life as typed events, owned by the engine: whoever holds something in a lab's namespaces
// (a server's terminals, captures, pings, check runs, live tables) subscribes here instead of being
// called by whoever changes the lab. The engine emits under the lab's lock and waits for every
// listener, so the order is a guarantee:
//   removing → (the namespaces are deleted) → … → applied | destroyed
// `removing` is awaited BEFORE any namespace goes: a process left in a namespace keeps it alive
// after `ip netns del`, so listeners end theirs first. A listener that throws is logged and does not
// stop the apply or destroy (the engine kills what is left in the namespaces anyway).
import type { Op } from '@patchbay/topology';

export interface RemovingEvent {
  lab: string;
  /** Namespaces about to be deleted (all of the lab's on destroy; a node's removed by an apply). */
  namespaces: string[];
  /** destroy: the whole lab; apply: nodes removed or re-created; rollback: a failed apply's new namespaces. */
  reason: 'destroy' | 'apply' | 'rollback';
}

export interface AppliedEvent {
  lab: string;
  revision: number;
  /** The changes made (the operations executed); empty when the kernel already matched. */
  ops: readonly Op[];
  /** The lab's namespaces now. */
  namespaces: string[];
  /** Namespaces this apply created / deleted. */
  added: string[];
  removed: string[];
}

export interface DestroyedEvent {
  lab: string;
  /** The namespaces deleted. */
  removed: string[];
}

export interface LabLifecycleEvents {
  removing: RemovingEvent;
  applied: AppliedEvent;
  destroyed: DestroyedEvent;
}

export type LabLifecycleEvent = keyof LabLifecycleEvents;
export type LifecycleListener<E extends LabLifecycleEvent> = (event: LabLifecycleEvents[E]) => void | Promise<void>;

/** Where listener failures go (a pino logger fits; the default writes one line to stderr). */
export interface LifecycleLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

export const stderrLog: LifecycleLog = {
  warn: (fields, message) => process.stderr.write(`patchbay: ${message} ${JSON.stringify(fields)}\n`),
};

export class LabLifecycle {
  private readonly listeners: { [E in LabLifecycleEvent]: Set<LifecycleListener<E>> } = {
    removing: new Set(),
    applied: new Set(),
    destroyed: new Set(),
  };

  constructor(private log: LifecycleLog = stderrLog) {}

  /** Where listener failures are logged from now on (a server passes its logger). */
  setLog(log: LifecycleLog): void {
    this.log = log;
  }

  /**
   * Adds a listener; returns the function that removes it. Listeners run under the lab's lock:
   * one must not apply or destroy the lab it is told about (that would wait for itself).
   */
  on<E extends LabLifecycleEvent>(event: E, listener: LifecycleListener<E>): () => void {
    const set = this.listeners[event] as Set<LifecycleListener<E>>;
    set.add(listener);
    return () => void set.delete(listener);
  }

  listenerCount(event: LabLifecycleEvent): number {
    return this.listeners[event].size;
  }

  /** Runs every listener of `event` at once and waits for all of them; failures are logged, never thrown. */
  async emit<E extends LabLifecycleEvent>(event: E, payload: LabLifecycleEvents[E]): Promise<void> {
    const listeners = [...(this.listeners[event] as Set<LifecycleListener<E>>)];
    const results = await Promise.allSettled(listeners.map(async (l) => l(payload)));
    for (const r of results) {
      if (r.status === 'rejected') {
        const err = r.reason instanceof Error ? r.reason.message : String(r.reason);
        this.log.warn({ event, lab: payload.lab, err }, `a ${event} listener failed`);
      }
    }
  }
}
