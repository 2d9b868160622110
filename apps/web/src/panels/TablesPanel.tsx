// The kernel's tables for one node or bridge of the applied lab, live: a bridge's forwarding
// database (with the VXLAN remote entries) and ebtables, a namespace's interfaces, routes and neighbours. Rows
// that appear with an update flash briefly, so learning (a MAC showing up in `bridge fdb` once a
// ping crosses the bridge) can be watched as it happens.
import { plural } from '@patchbay/topology';
import type { Lab } from '@patchbay/topology';
import { useEffect, useId, useMemo, useState } from 'react';
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import '../components/inspector.css';
import { type BridgeView, type FdbEntryView, type NodeView, ruleText } from '@patchbay/topology';
import type { LiveStore } from '../store/live';
import type { Client } from '../api/client';
import { EbtablesSection } from './EbtablesSection';
import { IptablesSection } from './IptablesSection';
import { CniSection } from './CniSection';
import { ProcessesSection } from './ProcessesSection';
import { resolvConfLines } from './tables-format';
import { fdbCapText, macvlanText, portFlagsText, routeSections, type RouteSection } from './tables-format';

/** Keys made unique by a counter for repeats (a table may list the same row twice). */
function uniqueKeys(keys: string[]): string[] {
  const seen = new Map<string, number>();
  return keys.map((k) => {
    const n = seen.get(k) ?? 0;
    seen.set(k, n + 1);
    return n ? `${k}#${n}` : k;
  });
}

/**
 * The keys that were not there at the previous update of the same table (`scope`); none at the
 * first sight of a table, so opening a panel does not flash everything.
 */
function useFreshKeys(scope: string, keys: string[]): Set<string> {
  const signature = keys.join('\n');
  const [state, setState] = useState<{ scope: string; known: Set<string>; fresh: Set<string> }>(() => ({
    scope,
    known: new Set(keys),
    fresh: new Set(),
  }));
  useEffect(() => {
    setState((prev) => {
      const now = new Set(signature ? signature.split('\n') : []);
      if (prev.scope !== scope) return { scope, known: now, fresh: new Set() };
      const fresh = new Set([...now].filter((k) => !prev.known.has(k)));
      if (!fresh.size && now.size === prev.known.size && [...now].every((k) => prev.known.has(k))) return prev;
      return { scope, known: now, fresh };
    });
  }, [scope, signature]);
  return state.scope === scope ? state.fresh : new Set();
}

const flagText = (e: FdbEntryView) => [...e.flags, ...(e.state ? [e.state] : [])].join(' ');

function FdbTable({ bridge }: { bridge: BridgeView }) {
  const cap = fdbCapText(bridge);
  const [filter, setFilter] = useState('');
  const filterId = useId();
  const keys = uniqueKeys(bridge.fdb.map((e) => `${e.mac}|${e.port}|${e.vlan ?? ''}|${e.dst ?? ''}`));
  const fresh = useFreshKeys(`fdb:${bridge.bridge}`, keys);
  const f = filter.trim().toLowerCase();
  const rows = bridge.fdb
    .map((e, i) => ({ e, key: keys[i] ?? String(i) }))
    .filter(
      ({ e }) =>
        !f || [e.mac, e.port, e.dst ?? '', String(e.vlan ?? ''), flagText(e)].some((x) => x.toLowerCase().includes(f)),
    );
  return (
    <section className="pb-table-section">
      <div className="pb-table-head">
        <h3>
          Forwarding database of <span className="mono">{bridge.bridge}</span>{' '}
          <span className="badge" aria-label={plural(bridge.fdb.length, 'entry', 'entries')}>
            {f ? `${rows.length} of ${bridge.fdb.length}` : bridge.fdb.length}
          </span>
        </h3>
        <label htmlFor={filterId} className="pb-visually-hidden">
          Filter FDB entries
        </label>
        <input
          id={filterId}
          type="search"
          className="pb-filter"
          placeholder="filter (MAC, port, dst…)"
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
          data-testid="fdb-filter"
        />
      </div>
      <p className="pb-muted pb-table-sub">
        in {bridge.host === '_host' ? "the lab's implicit host" : <span className="mono">{bridge.host}</span>} · device{' '}
        <span className="mono">{bridge.device}</span> ·{' '}
        {bridge.up ? <span className="pb-state-up">up</span> : <span className="pb-state-down">down</span>}
        {bridge.stp ? ' · STP' : ''}
        {bridge.vlanFiltering ? ' · VLAN filtering' : ''} · ports:{' '}
        <span className="mono">{bridge.ports.join(', ') || 'none'}</span>
        {cap && (
          <>
            {' · '}
            <span className={cap.full ? 'pb-state-down' : undefined} data-testid="fdb-cap">
              {cap.text}
            </span>
          </>
        )}
      </p>
      <table className="pb-table" data-testid="fdb-table">
        <thead>
          <tr>
            <th scope="col">MAC</th>
            <th scope="col">port</th>
            <th scope="col">flags / state</th>
            <th scope="col">dst</th>
            <th scope="col">vlan</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ e, key }) => (
            <tr key={key} data-testid="fdb-row" className={fresh.has(key) ? 'pb-flash' : undefined}>
              <td className="mono" data-testid="fdb-mac">
                {e.mac}
              </td>
              <td className="mono">{e.port}</td>
              <td>{flagText(e)}</td>
              <td className="mono">{e.dst ?? ''}</td>
              <td className="mono">{e.vlan ?? ''}</td>
            </tr>
          ))}
          {rows.length === 0 && (
            <tr>
              <td colSpan={5} className="pb-muted">
                {bridge.fdb.length ? 'no entry matches the filter' : 'no entries yet'}
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}

const ROUTE_COLUMNS = ['type', 'to', 'via', 'dev', 'proto', 'scope', 'src'] as const;

/** One kernel table's routes; the local table is folded (a <details>) until opened. */
function RouteTable({ section, fresh }: { section: RouteSection; fresh: Set<string> }) {
  const table = (
    <table className="pb-table" data-testid="routes-table" data-table={section.table}>
      <thead>
        <tr>
          {ROUTE_COLUMNS.map((c) => (
            <th key={c} scope="col">
              {c}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {section.rows.map((row) => (
          <tr
            key={row.key}
            className={
              [fresh.has(row.key) ? 'pb-flash' : '', row.drops ? 'pb-route-drops' : ''].join(' ').trim() || undefined
            }
          >
            {row.cells.map((c, i) => (
              <td key={ROUTE_COLUMNS[i]} className={i === 0 ? undefined : 'mono'}>
                {c}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
  return section.folded ? (
    <details className="pb-route-table" data-testid="routes-folded">
      <summary>{section.title}</summary>
      {table}
    </details>
  ) : (
    <div className="pb-route-table">
      <p className="pb-muted pb-table-sub">{section.title}</p>
      {table}
    </div>
  );
}

function NodeTables({ node, lab, client }: { node: NodeView; lab: string; client?: Client }) {
  const ifKeys = uniqueKeys(node.interfaces.map((i) => i.name));
  const routeKeys = routeSections(node.routes).flatMap((section) => section.rows.map((row) => row.key));
  const rules = node.rules ?? [];
  const neighKeys = uniqueKeys(node.neighbours.map((n) => `${n.dst}|${n.dev}`));
  const freshIf = useFreshKeys(`if:${node.node}`, ifKeys);
  const freshRoutes = useFreshKeys(`routes:${node.node}`, routeKeys);
  const freshNeigh = useFreshKeys(`neigh:${node.node}`, neighKeys);
  const flash = (set: Set<string>, key: string | undefined) =>
    key !== undefined && set.has(key) ? 'pb-flash' : undefined;
  return (
    <>
      <p className="pb-muted pb-table-sub">
        <span className="mono">{node.node}</span> ({node.kind}) · namespace{' '}
        <span className="mono">{node.namespace}</span>
        {node.forwarding !== undefined && <> · forwarding {node.forwarding ? 'on' : 'off'}</>}
      </p>
      <ProcessesSection lab={lab} node={node} {...(client ? { client } : {})} />
      {node.resolvConf !== undefined && (
        <section className="pb-table-section" data-testid="tables-resolv-conf">
          <h3>Resolver (/etc/resolv.conf)</h3>
          <pre className="mono">{resolvConfLines(node.resolvConf).join('\n')}</pre>
        </section>
      )}
      {(node.cni?.length ?? 0) > 0 && (
        <CniSection lab={lab} node={node.node} refresh={ifKeys.join()} {...(client ? { client } : {})} />
      )}
      <section className="pb-table-section">
        <h3>
          Interfaces <span className="badge">{node.interfaces.length}</span>
        </h3>
        <table className="pb-table" data-testid="interfaces-table">
          <thead>
            <tr>
              <th scope="col">name</th>
              <th scope="col">kind</th>
              <th scope="col">state</th>
              <th scope="col">MTU</th>
              <th scope="col">MAC</th>
              <th scope="col">master · port flags</th>
              <th scope="col">addresses</th>
              <th scope="col">peer</th>
            </tr>
          </thead>
          <tbody>
            {node.interfaces.map((i, k) => (
              <tr key={ifKeys[k]} className={flash(freshIf, ifKeys[k])}>
                <td className="mono">{i.name}</td>
                <td>{i.kind}</td>
                <td className={i.up ? 'pb-state-up' : 'pb-state-down'}>{i.up ? 'up' : 'down'}</td>
                <td className="mono">{i.mtu ?? ''}</td>
                <td className="mono">{i.mac ?? ''}</td>
                <td className="mono" data-testid={`port-flags-${i.name}`}>
                  {i.master ?? ''}
                  {portFlagsText(i) ? ` · ${portFlagsText(i)}` : ''}
                </td>
                <td className="mono">{i.addresses.join(', ')}</td>
                <td className="mono">
                  {i.peer ? `${i.peer.node}:${i.peer.interface}` : ''}
                  {macvlanText(i)}
                  {i.vxlan
                    ? `vni ${i.vxlan.vni} · ${i.vxlan.local}:${i.vxlan.port} → ${i.vxlan.remotes.join(', ') || 'no remotes'}`
                    : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section className="pb-table-section">
        <h3>
          Routes <span className="badge">{node.routes.length}</span>
        </h3>
        {node.routes.length === 0 && <p className="pb-muted">no routes</p>}
        {routeSections(node.routes).map((section) => (
          <RouteTable key={section.table} section={section} fresh={freshRoutes} />
        ))}
      </section>
      <section className="pb-table-section">
        <h3>
          Policy rules (ip rule) <span className="badge">{rules.length}</span>
        </h3>
        <ul className="pb-rules mono" data-testid="rules-list">
          {rules.map((r) => (
            <li key={`${r.priority}|${ruleText(r)}`}>{ruleText(r)}</li>
          ))}
        </ul>
      </section>
      <section className="pb-table-section">
        <h3>
          Neighbours (ARP, IPv6 NDP) <span className="badge">{node.neighbours.length}</span>
        </h3>
        <table className="pb-table" data-testid="neighbours-table">
          <thead>
            <tr>
              <th scope="col">dst</th>
              <th scope="col">lladdr</th>
              <th scope="col">dev</th>
              <th scope="col">state</th>
            </tr>
          </thead>
          <tbody>
            {node.neighbours.map((n, k) => (
              <tr key={neighKeys[k]} className={flash(freshNeigh, neighKeys[k])}>
                <td className="mono">{n.dst}</td>
                <td className="mono">{n.lladdr ?? ''}</td>
                <td className="mono">{n.dev}</td>
                <td>{n.state.join(' ')}</td>
              </tr>
            ))}
            {node.neighbours.length === 0 && (
              <tr>
                <td colSpan={4} className="pb-muted">
                  no neighbours yet (they appear once traffic flows)
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </section>
      <IptablesSection node={node} />
      {node.nat6 && <IptablesSection node={node} family={6} />}
    </>
  );
}

/** `client`: whose token reads the lab state (a student's exercise page passes its lab's); default the page's. */
export function TablesPanel(props: { live: LiveStore; lab: Lab; node?: string; client?: Client }) {
  const live = useStore(
    props.live,
    useShallow((s) => ({
      subscribed: s.subscribed,
      error: s.error,
      connected: s.connected,
      nodes: s.nodes,
      bridges: s.bridges,
    })),
  );
  const [chosen, setChosen] = useState('');
  const selectId = useId();
  const target = props.node ?? chosen;

  // What can be shown: the lab's nodes, and live objects the lab does not name (the implicit host).
  const choices = useMemo(() => {
    const names = new Set(Object.keys(props.lab.nodes));
    const extra = [...Object.keys(live.nodes), ...Object.keys(live.bridges)].filter((n) => !names.has(n));
    return [
      ...Object.entries(props.lab.nodes).map(([n, s]) => ({ name: n, kind: s.kind })),
      ...[...new Set(extra)].map((n) => ({ name: n, kind: n === '_host' ? 'implicit host' : 'live' })),
    ];
  }, [props.lab.nodes, live.nodes, live.bridges]);

  let body;
  if (!live.subscribed) {
    body = (
      <p className="pb-muted" role="status">
        {live.error ??
          (live.connected
            ? 'Apply the lab to see its kernel tables.'
            : 'Connecting to live updates… apply the lab to see its kernel tables.')}
      </p>
    );
  } else if (!target) {
    body = <p className="pb-muted">Select a node or bridge (on the canvas or above) to see its kernel tables.</p>;
  } else {
    const spec = props.lab.nodes[target];
    const bridge = live.bridges[target];
    const node = live.nodes[target];
    if (spec?.kind === 'bridge' || (!spec && bridge)) {
      body = bridge ? (
        bridge.present ? (
          <>
            <FdbTable bridge={bridge} />
            <EbtablesSection bridge={bridge} />
          </>
        ) : (
          <p className="pb-muted">The bridge {target} is not in the kernel: apply the lab.</p>
        )
      ) : (
        <p className="pb-muted">No tables for {target} yet: apply the lab to create it.</p>
      );
    } else if (node) {
      body = node.present ? (
        <NodeTables node={node} lab={props.lab.name} {...(props.client ? { client: props.client } : {})} />
      ) : (
        <p className="pb-muted">The namespace of {target} is not in the kernel: apply the lab.</p>
      );
    } else {
      body = <p className="pb-muted">No tables for {target} yet: apply the lab to create it.</p>;
    }
  }

  return (
    <div className="pb-tables" data-testid="tables-panel">
      {props.node === undefined && (
        <div className="pb-table-head">
          <label htmlFor={selectId}>Show</label>
          <select id={selectId} value={chosen} onChange={(e) => setChosen(e.target.value)} data-testid="tables-select">
            <option value="">choose a node or bridge</option>
            {choices.map((c) => (
              <option key={c.name} value={c.name}>
                {c.name} ({c.kind})
              </option>
            ))}
          </select>
        </div>
      )}
      {body}
    </div>
  );
}
