// The live kernel state of the lab on the canvas: a `tables:subscribe` snapshot, then deltas per
// namespace (acknowledged, so the server's flow control works), and interface counters once per
// second, turned into packet rates from the last two samples. One store per editor instance.
import type { TablesCounters, TablesDelta } from '@patchbay/protocol';
import { createStore, type StoreApi } from 'zustand/vanilla';
import { isNetworkFailure } from '../api/connection';
import { liveSocket, type LiveSocket } from '../api/live';
import type { BridgeView, NodeView } from '@patchbay/topology';

export interface LiveState {
  lab?: string;
  connected: boolean;
  /** The lab is realized and its tables arrive. */
  subscribed: boolean;
  error?: string;
  nodes: Record<string, NodeView>;
  bridges: Record<string, BridgeView>;
  /** When each node or bridge last changed (ms), for a brief highlight. */
  changedAt: Record<string, number>;
  coalesced: number;
  /** The last two `tables:counters` samples (older first). */
  counters: TablesCounters[];
  /** Packets per second per node and interface, from the last two samples. */
  rates: Record<string, Record<string, PacketRate>>;
  watch(lab: string | undefined): void;
}

export interface PacketRate {
  rx: number;
  tx: number;
}

/** Packet rates between two samples; a counter that went back (the interface was re-created) counts as 0. */
export function packetRates(prev: TablesCounters, last: TablesCounters): Record<string, Record<string, PacketRate>> {
  const secs = (last.at - prev.at) / 1000;
  const out: Record<string, Record<string, PacketRate>> = {};
  if (!(secs > 0)) return out;
  for (const [node, links] of Object.entries(last.nodes)) {
    for (const [name, c] of Object.entries(links)) {
      const p = prev.nodes[node]?.[name];
      if (!p) continue;
      (out[node] ??= {})[name] = {
        rx: Math.max(0, c.rxPackets - p.rxPackets) / secs,
        tx: Math.max(0, c.txPackets - p.txPackets) / secs,
      };
    }
  }
  return out;
}

export type LiveStore = StoreApi<LiveState>;

/** `socket`: the page's connection unless a page connects with a token of its own (a student's lab). */
export function createLiveStore(socket: LiveSocket = liveSocket()): LiveStore {
  return createStore<LiveState>()((set, get) => {
    let current: string | undefined;
    const resubscribe = async () => {
      const lab = current;
      if (!lab || !socket.connected) return;
      const ack = await socket.emitWithAck('tables:subscribe', { lab });
      if (current !== lab) return;
      set(ack.ok ? { subscribed: true, error: undefined } : { subscribed: false, error: ack.error });
    };
    socket.on('connect', () => {
      set({ connected: true });
      void resubscribe();
    });
    socket.on('disconnect', () => set({ connected: false, subscribed: false }));
    // The server unreachable is the connection banner's to say (and the manager's to retry); a
    // refusal (a token not valid) is this page's.
    socket.on('connect_error', (err) =>
      set(
        isNetworkFailure(err)
          ? { connected: false }
          : { connected: false, error: `live updates unavailable: ${err.message}` },
      ),
    );
    socket.on('tables:snapshot', (e) => {
      if (e.lab !== current) return;
      const s = e.state;
      set({
        nodes: Object.fromEntries(s.nodes.map((n) => [n.node, n])),
        bridges: Object.fromEntries(s.bridges.map((b) => [b.bridge, b])),
        changedAt: {},
      });
    });
    socket.on('tables:delta', (d: TablesDelta, ack) => {
      ack();
      if (d.lab !== current) return;
      const now = Date.now();
      const nodes = { ...get().nodes };
      const bridges = { ...get().bridges };
      const changedAt = { ...get().changedAt };
      const node = d.state.node;
      if (node) {
        nodes[node.node] = node;
        changedAt[node.node] = now;
      } else if (nodes[d.node]?.namespace === d.namespace) {
        delete nodes[d.node];
      }
      for (const b of Object.values(bridges)) if (b.namespace === d.namespace) delete bridges[b.bridge];
      for (const b of d.state.bridges) {
        bridges[b.bridge] = b;
        changedAt[b.bridge] = now;
      }
      set({ nodes, bridges, changedAt, coalesced: d.coalesced });
    });
    socket.on('tables:counters', (c) => {
      if (c.lab !== current) return;
      const prev = get().counters.at(-1);
      set({ counters: prev ? [prev, c] : [c], rates: prev ? packetRates(prev, c) : {} });
    });
    return {
      connected: socket.connected,
      subscribed: false,
      nodes: {},
      bridges: {},
      changedAt: {},
      coalesced: 0,
      counters: [],
      rates: {},
      watch(lab) {
        if (lab === current) {
          void resubscribe();
          return;
        }
        if (current) socket.emit('tables:unsubscribe', { lab: current });
        current = lab;
        set({
          lab,
          subscribed: false,
          nodes: {},
          bridges: {},
          changedAt: {},
          counters: [],
          rates: {},
          error: undefined,
        });
        void resubscribe();
      },
    };
  });
}
