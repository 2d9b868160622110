// The inspector for one node: its name, its kind's fields (a bridge's, or a namespace's/host's
// routes, forwarding, NAT and port forwards), and a keyboard way to connect it to another node.
import {
  isBridge,
  type Lab,
  type LinkSpec,
  type NatSpec,
  type NetNodeSpec,
  type NodeSpec,
  type PortForwardSpec,
  type RouteSpec,
} from '@patchbay/topology';
import { useEffect, useState } from 'react';
import { connect, renameNode } from '../../model/lab-edit';
import { DnsFields } from './DnsFields';
import {
  append,
  editNetNode,
  fromTriState,
  interfacesOf,
  newRoute,
  nodeNameError,
  removeAt,
  renamePosition,
  replaceAt,
  routeMode,
  withRouteDev,
  routeTarget,
  setOptional,
  setRequired,
  toTriState,
  withRouteMode,
  type RouteMode,
  type TriState,
} from '../inspector-model';
import { focusPath, useCtx, useEdit } from './context';
import { NumberField, ReadOnly, SelectField, TextField, type Option } from './fields';
import { InterfaceList } from './InterfaceList';
import { Row, RowList } from './lists';
import { CniList } from './CniList';
import { RunList } from './RunList';
import { FirewallFields } from './FirewallFields';
import { BridgeFields } from './BridgeFields';
import { DeleteSelected } from './shared-fields';

export function NodeInspector({ lab, name, spec }: { lab: Lab; name: string; spec: NodeSpec }) {
  const { store, idp } = useCtx();
  const path = `nodes.${name}`;
  const rename = (to: string) => {
    const st = store.getState();
    st.edit((l) => renameNode(l, name, to), renamePosition(st.positions, name, to));
    store.getState().select([to], []);
  };
  return (
    <section className="pb-insp-section">
      <h2>
        Node <span className={`pb-kind kind-${spec.kind}`}>{spec.kind}</span>
      </h2>
      <TextField
        label="Name"
        path={path}
        exact
        value={name}
        testid="inspector-node-name"
        live={false}
        validate={(t) => nodeNameError(store.getState().lab, name, t)}
        onCommit={rename}
      />
      <ReadOnly label="Kind" value={spec.kind} />
      <InterfaceList lab={lab} name={name} />
      {isBridge(spec) ? (
        <BridgeFields lab={lab} name={name} spec={spec} />
      ) : (
        <NetNodeFields lab={lab} name={name} spec={spec} />
      )}
      <ConnectTo lab={lab} name={name} />
      <DeleteSelected what="node" />
      <datalist id={`${idp}ifaces-${name}`}>
        {interfacesOf(lab, name).map((i) => (
          <option key={i} value={i} />
        ))}
      </datalist>
    </section>
  );
}

const TRI_OPTIONS: Option[] = [
  { value: 'default', label: 'default' },
  { value: 'on', label: 'on' },
  { value: 'off', label: 'off' },
];

function NetNodeFields({ lab, name, spec }: { lab: Lab; name: string; spec: NetNodeSpec }) {
  const edit = useEdit();
  const { idp } = useCtx();
  const path = `nodes.${name}`;
  const ifaces = `${idp}ifaces-${name}`;
  const change = (f: (s: NetNodeSpec) => NetNodeSpec) => edit((l) => editNetNode(l, name, f));
  const set = <K extends keyof NetNodeSpec>(key: K, value: NetNodeSpec[K] | undefined) =>
    change((s) => setOptional(s, key, value));
  const routes = spec.routes ?? [];
  const nat = spec.nat ?? [];
  const pfs = spec.portForwards ?? [];
  const setRoute = (i: number, r: RouteSpec) =>
    change((s) => setOptional(s, 'routes', replaceAt(s.routes ?? [], i, r)));
  const setNat = (i: number, n: NatSpec) => change((s) => setOptional(s, 'nat', replaceAt(s.nat ?? [], i, n)));
  const setPf = (i: number, p: PortForwardSpec) =>
    change((s) => setOptional(s, 'portForwards', replaceAt(s.portForwards ?? [], i, p)));
  const defaultForwarding = spec.kind === 'netns' ? 'off' : 'on';
  return (
    <>
      <RowList
        legend="Routes"
        path={`${path}.routes`}
        count={routes.length}
        addLabel="route"
        addTestid="inspector-route-add"
        onAdd={() => {
          change((s) => setOptional(s, 'routes', append(s.routes, newRoute(s.routes))));
          focusPath(idp, `${path}.routes[${routes.length}].to`);
        }}
      >
        {routes.map((r, i) => {
          const rp = `${path}.routes[${i}]`;
          const mode = routeMode(r);
          return (
            <Row
              key={i}
              path={rp}
              removeLabel={`Remove route ${i + 1}`}
              onRemove={() => change((s) => setOptional(s, 'routes', removeAt(s.routes ?? [], i)))}
            >
              <TextField
                label={`Route ${i + 1} destination`}
                hideLabel
                path={`${rp}.to`}
                value={r.to}
                placeholder="default or CIDR"
                className="pb-grow"
                onCommit={(t) => setRoute(i, setRequired(r, 'to', t))}
              />
              <SelectField
                label={`Route ${i + 1} by gateway or device`}
                hideLabel
                id={`${idp}${rp}--mode`}
                path={`${rp}--mode`}
                value={mode}
                options={[
                  { value: 'via', label: 'via' },
                  { value: 'dev', label: 'dev' },
                  { value: 'via-dev', label: 'via + dev (IPv6)' },
                ]}
                onChange={(v) => setRoute(i, withRouteMode(r, v as RouteMode))}
              />
              <TextField
                label={`Route ${i + 1} ${mode === 'dev' ? 'device' : 'gateway'}`}
                hideLabel
                path={`${rp}.${mode === 'dev' ? 'dev' : 'via'}`}
                value={routeTarget(r)}
                placeholder={mode === 'via' ? '10.0.0.1' : mode === 'via-dev' ? 'fe80::1' : 'eth0'}
                className="pb-grow"
                {...(mode === 'dev' ? { list: ifaces } : {})}
                onCommit={(t) => setRoute(i, withRouteMode(r, mode, t))}
              />
              {mode === 'via-dev' && (
                <TextField
                  label={`Route ${i + 1} gateway's device`}
                  hideLabel
                  path={`${rp}.dev`}
                  value={r.dev ?? ''}
                  placeholder="eth0"
                  className="pb-grow"
                  list={ifaces}
                  onCommit={(t) => setRoute(i, withRouteDev(r, t))}
                />
              )}
            </Row>
          );
        })}
      </RowList>
      <SelectField
        label={`IPv4 forwarding (default: ${defaultForwarding})`}
        path={`${path}.forwarding`}
        value={toTriState(spec.forwarding)}
        options={TRI_OPTIONS}
        testid="inspector-forwarding"
        onChange={(v) => set('forwarding', fromTriState(v as TriState))}
      />
      <SelectField
        label="FORWARD policy"
        path={`${path}.forwardPolicy`}
        value={spec.forwardPolicy ?? ''}
        options={[
          { value: '', label: 'default (accept)' },
          { value: 'accept', label: 'accept' },
          { value: 'drop', label: 'drop' },
        ]}
        testid="inspector-forward-policy"
        onChange={(v) => set('forwardPolicy', v === 'accept' || v === 'drop' ? v : undefined)}
      />
      <RowList
        legend="NAT (masquerade)"
        path={`${path}.nat`}
        count={nat.length}
        addLabel="NAT rule"
        addTestid="inspector-nat-add"
        onAdd={() => {
          change((s) => setOptional(s, 'nat', append(s.nat, { masquerade: '' })));
          focusPath(idp, `${path}.nat[${nat.length}].masquerade`);
        }}
      >
        {nat.map((n, i) => {
          const np = `${path}.nat[${i}]`;
          return (
            <Row
              key={i}
              path={np}
              removeLabel={`Remove NAT rule ${i + 1}`}
              onRemove={() => change((s) => setOptional(s, 'nat', removeAt(s.nat ?? [], i)))}
            >
              <TextField
                label={`NAT ${i + 1} source CIDR`}
                hideLabel
                path={`${np}.masquerade`}
                value={n.masquerade}
                placeholder="172.17.0.0/16"
                className="pb-grow"
                onCommit={(t) => setNat(i, setRequired(n, 'masquerade', t))}
              />
              <TextField
                label={`NAT ${i + 1} out interface`}
                hideLabel
                path={`${np}.out`}
                value={n.out}
                placeholder="out"
                list={ifaces}
                className="pb-narrow"
                onCommit={(t) => setNat(i, setOptional(n, 'out', t))}
              />
              <TextField
                label={`NAT ${i + 1} not out interface`}
                hideLabel
                path={`${np}.notOut`}
                value={n.notOut}
                placeholder="! out"
                list={ifaces}
                className="pb-narrow"
                onCommit={(t) => setNat(i, setOptional(n, 'notOut', t))}
              />
            </Row>
          );
        })}
      </RowList>
      <RowList
        legend="Port forwards"
        path={`${path}.portForwards`}
        count={pfs.length}
        addLabel="port forward"
        addTestid="inspector-portforward-add"
        onAdd={() => {
          let port = 8080;
          while (pfs.some((p) => p.port === port)) port++;
          change((s) => setOptional(s, 'portForwards', append(s.portForwards, { proto: 'tcp', port, to: '' })));
          focusPath(idp, `${path}.portForwards[${pfs.length}].to`);
        }}
      >
        {pfs.map((p, i) => {
          const pp = `${path}.portForwards[${i}]`;
          return (
            <Row
              key={i}
              path={pp}
              removeLabel={`Remove port forward ${i + 1}`}
              onRemove={() => change((s) => setOptional(s, 'portForwards', removeAt(s.portForwards ?? [], i)))}
            >
              <SelectField
                label={`Port forward ${i + 1} protocol`}
                hideLabel
                path={`${pp}.proto`}
                value={p.proto}
                options={[
                  { value: 'tcp', label: 'tcp' },
                  { value: 'udp', label: 'udp' },
                ]}
                onChange={(v) => setPf(i, setRequired(p, 'proto', v === 'udp' ? 'udp' : 'tcp'))}
              />
              <NumberField
                label={`Port forward ${i + 1} port`}
                hideLabel
                required
                path={`${pp}.port`}
                value={p.port}
                className="pb-narrow"
                onCommit={(v) => v !== undefined && setPf(i, setRequired(p, 'port', v))}
              />
              <TextField
                label={`Port forward ${i + 1} destination IP:PORT`}
                hideLabel
                path={`${pp}.to`}
                value={p.to}
                placeholder="172.17.0.2:80"
                className="pb-grow"
                onCommit={(t) => setPf(i, setRequired(p, 'to', t))}
              />
            </Row>
          );
        })}
      </RowList>
      <RunList path={`${path}.run`} spec={spec} onChange={(run) => set('run', run.length ? run : undefined)} />
      <FirewallFields lab={lab} name={name} spec={spec} change={change} />
      <DnsFields lab={lab} path={path} spec={spec} onChange={change} />
      <CniList lab={lab} name={name} path={`${path}.cni`} spec={spec} onChange={(cni) => set('cni', cni)} />
    </>
  );
}

/** The keyboard way to draw a link: pick the other node, press Connect. */
function ConnectTo({ lab, name }: { lab: Lab; name: string }) {
  const { store, idp } = useCtx();
  const [other, setOther] = useState('');
  const [status, setStatus] = useState('');
  const others = Object.keys(lab.nodes).filter((n) => n !== name);
  useEffect(() => {
    setOther('');
    setStatus('');
  }, [name]);
  const id = `${idp}connect`;
  return (
    <div className="pb-field pb-connect">
      <label htmlFor={id} className="pb-field-label">
        Connect to…
      </label>
      <div className="pb-list-row">
        <select
          id={id}
          value={other}
          data-testid="inspector-connect-select"
          className="pb-grow"
          onChange={(e) => setOther(e.target.value)}
        >
          <option value="">choose a node</option>
          {others.map((n) => (
            <option key={n} value={n}>
              {n} ({lab.nodes[n]?.kind})
            </option>
          ))}
        </select>
        <button
          type="button"
          data-testid="inspector-connect-button"
          disabled={!other || !Object.hasOwn(lab.nodes, other)}
          onClick={() => {
            let made: LinkSpec | undefined;
            store.getState().edit((l) => {
              if (!Object.hasOwn(l.nodes, other) || !Object.hasOwn(l.nodes, name)) return l;
              const r = connect(l, name, other);
              made = r.link;
              return r.lab;
            });
            const m = made;
            setStatus(m ? `Connected ${m.a.node}:${m.a.interface} ↔ ${m.b.node}:${m.b.interface}` : '');
            setOther('');
          }}
        >
          Connect
        </button>
      </div>
      <p className="pb-status" role="status">
        {status}
      </p>
    </div>
  );
}
