// What the engine's parts (apply, converge-back, destroy) share of it: settings, the journal, the
// observation cache, the lifecycle events and the watch registry. Engine implements it; the parts
// take it as an argument, so none of them imports engine.ts (no import cycle).
import { killProcessesIn, removeNetnsEtc } from '@patchbay/kernel';
import type { ObservationCache } from './cache.js';
import type { Journal } from './journal.js';
import type { LabLifecycle, RemovingEvent } from './lifecycle.js';
import type { EngineSettings } from './settings.js';
import { stopProcessesIn } from './run-processes.js';
import type { WatchRegistry } from './watch-registry.js';

export interface EngineContext {
  readonly settings: EngineSettings;
  readonly prefix: string;
  readonly journal: Journal;
  readonly cache: ObservationCache;
  readonly lifecycle: LabLifecycle;
  readonly watches: WatchRegistry;
  /** Namespace-name start shared by every namespace of lab `name`. */
  labNamespacePrefix(name: string): string;
}

/**
 * Deletes namespaces of lab `lab` the one safe way: `removing` listeners end what they run there
 * (awaited), the watchers let go of their sockets (fenced until `remove` is over), whatever still
 * runs inside is killed, and only then `remove` runs (the command that deletes them). A process or
 * socket left in a namespace would keep it alive after `ip netns del`.
 */
export async function removingNamespaces<T>(
  ctx: EngineContext,
  lab: string,
  names: readonly string[],
  reason: RemovingEvent['reason'],
  remove: () => Promise<T>,
): Promise<T> {
  if (names.length === 0) return remove();
  const sorted = [...new Set(names)].sort();
  await ctx.lifecycle.emit('removing', { lab, namespaces: sorted, reason });
  await stopProcessesIn(ctx, lab, sorted); // `run:` processes: SIGTERM first, then their whole sandbox
  await ctx.cache.forget(sorted);
  await ctx.watches.release(sorted);
  try {
    await killProcessesIn(sorted);
    const removed = await remove();
    for (const ns of sorted) removeNetnsEtc(ns); // their resolver files (lab `dns:`, resolv-files.ts)
    return removed;
  } finally {
    ctx.watches.unfence(sorted);
  }
}
