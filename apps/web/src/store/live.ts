// The live kernel state of the lab on the canvas: a `tables:subscribe` snapshot, then deltas per
// namespace (acknowledged, so the server's flow control works). One store per editor instance.
import type { TablesDelta } from '@patchbay/protocol';
import { createStore, type StoreApi } from 'zustand/vanilla';
import { liveSocket } from '../api/live';
import type { BridgeView, LabStateView, NodeView } from '../model/live-types';

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
  watch(lab: string | undefined): void;
}

export type LiveStore = StoreApi<LiveState>;

export function createLiveStore(): LiveStore {
  const socket = liveSocket();
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
    socket.on('connect_error', (err) => set({ connected: false, error: `live updates unavailable: ${err.message}` }));
    socket.on('tables:snapshot', (e) => {
      if (e.lab !== current) return;
      const s = e.state as unknown as LabStateView;
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
      const node = d.state.node as NodeView | undefined;
      if (node) {
        nodes[node.node] = node;
        changedAt[node.node] = now;
      } else if (nodes[d.node]?.namespace === d.namespace) {
        delete nodes[d.node];
      }
      for (const b of Object.values(bridges)) if (b.namespace === d.namespace) delete bridges[b.bridge];
      for (const b of d.state.bridges as BridgeView[]) {
        bridges[b.bridge] = b;
        changedAt[b.bridge] = now;
      }
      set({ nodes, bridges, changedAt, coalesced: d.coalesced });
    });
    return {
      connected: socket.connected,
      subscribed: false,
      nodes: {},
      bridges: {},
      changedAt: {},
      coalesced: 0,
      watch(lab) {
        if (lab === current) {
          void resubscribe();
          return;
        }
        if (current) socket.emit('tables:unsubscribe', { lab: current });
        current = lab;
        set({ lab, subscribed: false, nodes: {}, bridges: {}, changedAt: {}, error: undefined });
        void resubscribe();
      },
    };
  });
}
