// Interface counters of a subscribed lab (`tables:counters`): once per second, one
// `counters()` call for all of the lab's namespaces — a single round trip to the namespace
// watcher's helper (the engine's watch registry), which reads them through the netlink sockets it
// already holds; no process is spawned. Sent with socket.io's `volatile` flag: a client that is not ready misses a sample
// instead of queueing it (each sample supersedes the last), which is the backpressure.
import type { NamespaceCounters } from '@patchbay/kernel';
import type { TablesCounters } from '@patchbay/protocol';
import type { LiveIo } from './socket.js';

export const COUNTERS_INTERVAL_MS = 1000;

export interface CounterSource {
  lab: string;
  /** Namespace-name start of the lab's namespaces (`<prefix><lab>.`): the rest is the node's name. */
  prefix: string;
  /** The socket.io room of the lab's subscribers. */
  room: string;
  /** The lab's watched namespaces now. */
  namespaces(): string[];
  /** Reads the counters of watched namespaces (undefined: the lab is not watched now). */
  read(namespaces: string[]): Promise<NamespaceCounters> | undefined;
  /** For samples that failed (the watcher closing, …). */
  onError(err: Error): void;
}

/** Samples until stopped; returns the stop function. Samples never overlap. */
export function sampleCounters(io: LiveIo, src: CounterSource): () => void {
  let busy = false;
  let stopped = false;
  const tick = async () => {
    if (busy || stopped) return;
    const namespaces = src.namespaces();
    if (namespaces.length === 0) return;
    const reading = src.read(namespaces);
    if (!reading) return;
    busy = true;
    try {
      const at = Date.now();
      const counters = await reading;
      if (stopped) return;
      const nodes: TablesCounters['nodes'] = {};
      for (const [ns, links] of Object.entries(counters)) {
        if (ns.startsWith(src.prefix)) nodes[ns.slice(src.prefix.length)] = links;
      }
      io.to(src.room).volatile.emit('tables:counters', { lab: src.lab, at, nodes });
    } catch (err) {
      if (!stopped) src.onError(err as Error);
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), COUNTERS_INTERVAL_MS);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
