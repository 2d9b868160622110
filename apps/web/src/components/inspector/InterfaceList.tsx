// The interfaces of the node in the inspector: name, peer, addresses and MAC, each a button that
// selects its link (or, for a bridge device in a host, the bridge).
import type { Lab } from '@patchbay/topology';
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import { createStore } from 'zustand/vanilla';
import { liveMac, nodeInterfaces } from '../../model/interfaces';
import type { LiveState } from '../../store/live';
import { useCtx } from './context';

// Stands in for the live store where there is none, so the hook below is always called.
const NO_LIVE = createStore<Pick<LiveState, 'nodes' | 'bridges' | 'subscribed'>>()(() => ({
  nodes: {},
  bridges: {},
  subscribed: false,
}));

export function InterfaceList({ lab, name }: { lab: Lab; name: string }) {
  const { store, live } = useCtx();
  const kernel = useStore(
    live ?? NO_LIVE,
    useShallow((s) => ({ nodes: s.nodes, bridges: s.bridges, subscribed: s.subscribed })),
  );
  const rows = nodeInterfaces(lab, name);
  return (
    <fieldset className="pb-list-editor pb-ifaces" data-testid="inspector-interfaces">
      <legend>Interfaces</legend>
      {rows.length === 0 && <p className="pb-empty">none: connect it to another node</p>}
      <ul className="pb-iface-list">
        {rows.map((r) => {
          const mac = r.mac ?? (kernel.subscribed ? liveMac(lab, name, r.name, kernel) : undefined);
          const sel = r.select;
          const body = (
            <>
              <span className="mono pb-iface-name">{r.name}</span>
              <span className="pb-iface-peer">
                {r.kind === 'bridge'
                  ? 'bridge device'
                  : r.macvlan
                    ? `macvlan ${r.macvlan.mode} on ${r.macvlan.parent.node} ${r.macvlan.parent.interface}`
                    : r.peer
                      ? `↔ ${r.peer.node} ${r.peer.interface}`
                      : ''}
              </span>
              <span className="mono pb-iface-addr">{r.addresses.length ? r.addresses.join(', ') : 'no address'}</span>
              {mac && <span className="mono pb-iface-mac">MAC {mac}</span>}
            </>
          );
          return (
            <li key={`${r.kind}:${r.name}:${r.peer?.node ?? ''}:${r.peer?.interface ?? ''}`}>
              {sel ? (
                <button
                  type="button"
                  className="pb-iface"
                  data-testid={`inspector-interface-${r.name}`}
                  title={
                    'link' in sel
                      ? r.macvlan
                        ? 'select this macvlan'
                        : 'select this link'
                      : `select bridge ${sel.node}`
                  }
                  onClick={() =>
                    'link' in sel ? store.getState().select([], [sel.link]) : store.getState().select([sel.node], [])
                  }
                >
                  {body}
                </button>
              ) : (
                <div className="pb-iface" data-testid={`inspector-interface-${r.name}`}>
                  {body}
                </div>
              )}
            </li>
          );
        })}
      </ul>
    </fieldset>
  );
}
