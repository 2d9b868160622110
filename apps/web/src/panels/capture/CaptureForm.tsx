// The capture form: node, interface, tcpdump filter and link headers, with Start/Stop and, when the
// capture cannot start, why. The panel owns the state; the fields are locked while capturing.
import type { FormEvent } from 'react';
import type { CaptureNodeOption, IfaceOption } from '../capture-format';
import type { Session } from './session';

export function CaptureForm(props: {
  ids: { node: string; iface: string; filter: string; e: string; hint: string };
  nodes: readonly CaptureNodeOption[];
  ifaces: readonly IfaceOption[];
  node: string;
  iface: string;
  filter: string;
  linkHeaders: boolean;
  onNode: (node: string) => void;
  onIface: (iface: string) => void;
  onFilter: (filter: string) => void;
  onLinkHeaders: (on: boolean) => void;
  session: Session | undefined;
  running: boolean;
  canStart: boolean;
  hint: string | undefined;
  onStart: (ev: FormEvent) => void;
  onStop: () => void;
}) {
  const { ids, nodes, ifaces, session, running, hint } = props;
  return (
    <form className="pb-form" onSubmit={props.onStart} noValidate>
      <div className="pb-field">
        <label htmlFor={ids.node}>Node</label>
        <select
          id={ids.node}
          data-testid="capture-node"
          value={props.node}
          disabled={running}
          onChange={(e) => props.onNode(e.target.value)}
        >
          {nodes.length === 0 && <option value="">(no node)</option>}
          {nodes.map((n) => (
            <option key={n.value} value={n.value}>
              {n.label}
            </option>
          ))}
        </select>
      </div>
      <div className="pb-field">
        <label htmlFor={ids.iface}>Interface</label>
        <select
          id={ids.iface}
          data-testid="capture-iface"
          value={props.iface}
          disabled={running}
          onChange={(e) => props.onIface(e.target.value)}
        >
          {ifaces.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      </div>
      <div className="pb-field pb-field-wide">
        <label htmlFor={ids.filter}>Filter</label>
        <input
          id={ids.filter}
          data-testid="capture-filter"
          type="text"
          autoComplete="off"
          spellCheck={false}
          placeholder="icmp or arp"
          maxLength={1024}
          value={props.filter}
          disabled={running}
          onChange={(e) => props.onFilter(e.target.value)}
        />
      </div>
      <div className="pb-field pb-field-check">
        <input
          id={ids.e}
          data-testid="capture-link-headers"
          type="checkbox"
          checked={props.linkHeaders}
          disabled={running}
          onChange={(e) => props.onLinkHeaders(e.target.checked)}
        />
        <label htmlFor={ids.e}>Link headers (-e)</label>
      </div>
      <div className="pb-actions">
        <button
          type="submit"
          className="pb-btn pb-btn-primary"
          data-testid="capture-start"
          disabled={!props.canStart}
          aria-describedby={hint ? ids.hint : undefined}
        >
          {session?.starting ? 'Starting…' : 'Start'}
        </button>
        <button
          type="button"
          className="pb-btn"
          data-testid="capture-stop"
          disabled={!running || !session?.id || session.starting || session.stopping}
          onClick={props.onStop}
        >
          {session?.stopping ? 'Stopping…' : 'Stop'}
        </button>
        {hint && (
          <span id={ids.hint} className="pb-hint" data-testid="capture-hint">
            {hint}
          </span>
        )}
      </div>
    </form>
  );
}
