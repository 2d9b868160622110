// The inspector: a form for what is selected (one node, one link, several, or the lab itself when
// nothing is). Text fields commit on blur or Enter (Escape reverts), so each commit is one undo
// step; numbers, checkboxes and selects commit on change. Every edit goes through the store's
// `edit`, immutably, and removes optional fields left empty so the document stays clean YAML.
// Under each field: the validator's problems for that field's path (the same ones the server finds).
import {
  isBridge,
  type BridgeSpec,
  type HostMemberSpec,
  type Lab,
  type LinkEndSpec,
  type LinkSpec,
  type NatSpec,
  type NetNodeSpec,
  type NodeSpec,
  type OverlaySpec,
  type PortForwardSpec,
  type Problem,
  type RouteSpec,
} from '@patchbay/topology';
import { createContext, useContext, useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import { connect, linkId, renameNode } from '../model/lab-edit';
import type { EditorStore } from '../store/editor';
import {
  append,
  editLink,
  editLinkEnd,
  editNetNode,
  editNode,
  editOverlay,
  fromTriState,
  interfacesOf,
  memberCandidates,
  memberFromRef,
  memberRef,
  newMember,
  newOverlay,
  newRoute,
  nodeNameError,
  parseNumberField,
  pathAncestors,
  problemsAt,
  problemsExact,
  problemSelection,
  removeAt,
  removeOverlay,
  renameInterface,
  renamePosition,
  replaceAt,
  routeMode,
  routeTarget,
  setOptional,
  setRequired,
  toTriState,
  withRouteMode,
  type RouteMode,
  type TriState,
} from './inspector-model';
import './inspector.css';

// ---------------------------------------------------------------------------------------------
// Context: the store, the problems, and a per-instance prefix for element ids (`<prefix><path>`),
// so a problem can focus the field it is about.

interface Ctx {
  store: EditorStore;
  problems: Problem[];
  idp: string;
}
const InspectorContext = createContext<Ctx | null>(null);

function useCtx(): Ctx {
  const ctx = useContext(InspectorContext);
  if (!ctx) throw new Error('inspector fields must be used inside <Inspector>');
  return ctx;
}

function useEdit(): (change: (lab: Lab) => Lab) => void {
  const { store } = useCtx();
  return (change) => store.getState().edit(change);
}

/** Focuses the field for `path` (or its nearest ancestor that has one), after the next render. */
function focusPath(idp: string, path: string): void {
  requestAnimationFrame(() =>
    requestAnimationFrame(() => {
      for (const p of pathAncestors(path)) {
        const el = document.getElementById(idp + p);
        if (el) {
          el.focus();
          el.scrollIntoView?.({ block: 'nearest' });
          return;
        }
      }
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Field building blocks

interface FieldMeta {
  id: string;
  errId: string;
  list: Problem[];
}

function useFieldMeta(path: string, exact = false): FieldMeta {
  const { problems, idp } = useCtx();
  return { id: idp + path, errId: `${idp}${path}--problems`, list: exact ? problemsExact(problems, path) : problemsAt(problems, path) };
}

function ProblemList({ id, list, local }: { id: string; list: readonly Problem[]; local?: string | undefined }) {
  if (!list.length && !local) return null;
  return (
    <ul className="pb-field-problems" id={id}>
      {local && <li>{local}</li>}
      {list.map((p, i) => (
        <li key={i} title={p.path}>
          {p.message}
        </li>
      ))}
    </ul>
  );
}

/** aria attributes of a control given its problems. */
function aria(meta: FieldMeta, local?: string) {
  const invalid = meta.list.length > 0 || !!local;
  return { 'aria-invalid': invalid || undefined, 'aria-describedby': invalid ? meta.errId : undefined };
}

interface BaseProps {
  label: string;
  path: string;
  /** Problems at exactly `path` only (lists show their items' problems on the items). */
  exact?: boolean;
  /** The label is for screen readers only (rows of a list). */
  hideLabel?: boolean;
  testid?: string;
  className?: string;
}

function FieldShell(props: { meta: FieldMeta; label: string; hideLabel?: boolean | undefined; className?: string | undefined; local?: string | undefined; children: ReactNode; after?: boolean }) {
  const label = props.hideLabel ? null : (
    <label htmlFor={props.meta.id} className="pb-field-label">
      {props.label}
    </label>
  );
  return (
    <div className={`pb-field${props.after ? ' pb-field-check' : ''}${props.className ? ` ${props.className}` : ''}`}>
      {props.after ? (
        <div className="pb-field-inline">
          {props.children}
          {label}
        </div>
      ) : (
        <>
          {label}
          {props.children}
        </>
      )}
      <ProblemList id={props.meta.errId} list={props.meta.list} local={props.local} />
    </div>
  );
}

interface TextFieldProps extends BaseProps {
  value: string | undefined;
  onCommit(text: string): void;
  /** A local reason to refuse the text (it stays as typed, with the reason shown). */
  validate?(text: string): string | undefined;
  placeholder?: string;
  list?: string;
  multiline?: boolean;
  autoFocus?: boolean;
  /** Call onCommit even when the text equals the value (a new row's first commit). */
  commitAlways?: boolean;
  onCancel?(): void;
  mono?: boolean;
}

function TextField(props: TextFieldProps) {
  const meta = useFieldMeta(props.path, props.exact);
  const [draft, setDraft] = useState(props.value ?? '');
  const [local, setLocal] = useState<string>();
  const done = useRef(false);
  useEffect(() => {
    setDraft(props.value ?? '');
    setLocal(undefined);
  }, [props.value, props.path]);

  const commit = () => {
    if (done.current) return;
    const text = draft.trim();
    if (!props.commitAlways && text === (props.value ?? '')) {
      setLocal(undefined);
      if (draft !== text) setDraft(text);
      return;
    }
    const why = props.validate?.(text);
    setLocal(why);
    if (why) return;
    if (props.commitAlways) done.current = true;
    props.onCommit(text);
  };
  const revert = () => {
    setDraft(props.value ?? '');
    setLocal(undefined);
    props.onCancel?.();
  };
  const common = {
    id: meta.id,
    value: draft,
    className: props.mono === false ? undefined : 'mono',
    placeholder: props.placeholder,
    autoFocus: props.autoFocus,
    'data-testid': props.testid,
    ...(props.hideLabel ? { 'aria-label': props.label } : {}),
    ...aria(meta, local),
    onBlur: commit,
  };
  return (
    <FieldShell meta={meta} label={props.label} hideLabel={props.hideLabel} className={props.className} local={local}>
      {props.multiline ? (
        <textarea
          {...common}
          className={undefined}
          rows={2}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey) {
              e.preventDefault();
              commit();
            } else if (e.key === 'Escape') revert();
          }}
        />
      ) : (
        <input
          {...common}
          type="text"
          list={props.list}
          spellCheck={false}
          autoComplete="off"
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              commit();
            } else if (e.key === 'Escape') revert();
          }}
        />
      )}
    </FieldShell>
  );
}

interface NumberFieldProps extends BaseProps {
  value: number | undefined;
  onCommit(value: number | undefined): void;
  /** Blank is refused (shown as "required") rather than removing the field. */
  required?: boolean;
  placeholder?: string;
}

function NumberField(props: NumberFieldProps) {
  const meta = useFieldMeta(props.path, props.exact);
  const [state, setState] = useState<{ text: string; local?: string }>({ text: props.value === undefined ? '' : String(props.value) });
  useEffect(() => {
    setState((s) => {
      const parsed = parseNumberField(s.text);
      const same = parsed.kind === 'number' ? parsed.value === props.value : parsed.kind === 'empty' && props.value === undefined && !s.local;
      return same ? s : { text: props.value === undefined ? '' : String(props.value) };
    });
  }, [props.value, props.path]);

  const onChange = (text: string) => {
    const parsed = parseNumberField(text);
    if (parsed.kind === 'invalid') return setState({ text, local: 'not a number' });
    if (parsed.kind === 'empty') {
      if (props.required) return setState({ text, local: 'required' });
      setState({ text });
      return props.onCommit(undefined);
    }
    setState({ text });
    if (parsed.value !== props.value) props.onCommit(parsed.value);
  };
  return (
    <FieldShell meta={meta} label={props.label} hideLabel={props.hideLabel} className={props.className} local={state.local}>
      <input
        id={meta.id}
        type="text"
        inputMode="numeric"
        className="mono pb-number"
        value={state.text}
        placeholder={props.placeholder}
        autoComplete="off"
        data-testid={props.testid}
        {...(props.hideLabel ? { 'aria-label': props.label } : {})}
        {...aria(meta, state.local)}
        onChange={(e) => onChange(e.target.value)}
        onBlur={() => {
          // Leaving an unparsable number puts the document's value back.
          if (state.local) setState({ text: props.value === undefined ? '' : String(props.value) });
        }}
      />
    </FieldShell>
  );
}

function CheckField(props: BaseProps & { checked: boolean; onChange(checked: boolean): void; hint?: string }) {
  const meta = useFieldMeta(props.path, props.exact);
  return (
    <FieldShell meta={meta} label={props.label} className={props.className} after>
      <input
        id={meta.id}
        type="checkbox"
        checked={props.checked}
        data-testid={props.testid}
        title={props.hint}
        {...aria(meta)}
        onChange={(e) => props.onChange(e.target.checked)}
      />
    </FieldShell>
  );
}

interface Option {
  value: string;
  label: string;
}

function SelectField(props: BaseProps & { value: string; options: Option[] | { group: string; options: Option[] }[]; onChange(value: string): void; id?: string }) {
  const meta = useFieldMeta(props.path, props.exact);
  const m = props.id ? { ...meta, id: props.id } : meta;
  return (
    <FieldShell meta={m} label={props.label} hideLabel={props.hideLabel} className={props.className}>
      <select
        id={m.id}
        value={props.value}
        data-testid={props.testid}
        {...(props.hideLabel ? { 'aria-label': props.label } : {})}
        {...aria(m)}
        onChange={(e) => props.onChange(e.target.value)}
      >
        {props.options.map((o) =>
          'group' in o ? (
            <optgroup key={o.group} label={o.group}>
              {o.options.map((x) => (
                <option key={x.value} value={x.value}>
                  {x.label}
                </option>
              ))}
            </optgroup>
          ) : (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ),
        )}
      </select>
    </FieldShell>
  );
}

/** One CIDR (or any string) per row, with add/remove; an empty list removes the field. */
function AddressList(props: { label: string; itemLabel?: string; path: string; values: readonly string[] | undefined; onChange(values: string[]): void; testid?: string; placeholder?: string }) {
  const values = props.values ?? [];
  const meta = useFieldMeta(props.path, true);
  const [pending, setPending] = useState(false);
  const item = props.itemLabel ?? 'Address';
  return (
    <fieldset className="pb-list-editor" data-testid={props.testid} {...aria(meta)}>
      <legend>{props.label}</legend>
      {values.map((v, i) => (
        <div className="pb-list-row" key={i}>
          <TextField
            label={`${item} ${i + 1}`}
            hideLabel
            path={`${props.path}[${i}]`}
            value={v}
            testid="address-input"
            placeholder={props.placeholder}
            className="pb-grow"
            onCommit={(t) => props.onChange(t ? replaceAt(values, i, t) : removeAt(values, i))}
          />
          <button type="button" className="pb-icon" aria-label={`Remove ${item.toLowerCase()} ${v}`} title="Remove" onClick={() => props.onChange(removeAt(values, i))}>
            ×
          </button>
        </div>
      ))}
      {pending && (
        <div className="pb-list-row">
          <TextField
            label={`New ${item.toLowerCase()}`}
            hideLabel
            path={`${props.path}[${values.length}]`}
            value=""
            testid="address-input"
            placeholder={props.placeholder}
            className="pb-grow"
            autoFocus
            commitAlways
            onCancel={() => setPending(false)}
            onCommit={(t) => {
              setPending(false);
              if (t) props.onChange([...values, t]);
            }}
          />
        </div>
      )}
      {!values.length && !pending && <p className="pb-empty">none</p>}
      <button type="button" className="pb-add" data-testid="address-add" onClick={() => setPending(true)} disabled={pending}>
        + {item.toLowerCase()}
      </button>
      <ProblemList id={meta.errId} list={meta.list} />
    </fieldset>
  );
}

/** A list of rows with a legend, the list's own problems, and an add button. */
function RowList(props: { legend: string; path: string; count: number; onAdd(): void; addLabel: string; addTestid?: string; children: ReactNode; addDisabled?: boolean }) {
  const meta = useFieldMeta(props.path, true);
  return (
    <fieldset className="pb-list-editor" {...aria(meta)}>
      <legend>{props.legend}</legend>
      {props.children}
      {props.count === 0 && <p className="pb-empty">none</p>}
      <button type="button" className="pb-add" data-testid={props.addTestid} onClick={props.onAdd} disabled={props.addDisabled}>
        + {props.addLabel}
      </button>
      <ProblemList id={meta.errId} list={meta.list} />
    </fieldset>
  );
}

/** A row of a RowList: its fields, a remove button, and the problems of the row as a whole. */
function Row(props: { path: string; removeLabel: string; onRemove(): void; children: ReactNode }) {
  const meta = useFieldMeta(props.path, true);
  return (
    <div className={`pb-row-item${meta.list.length ? ' invalid' : ''}`}>
      <div className="pb-list-row">
        {props.children}
        <button type="button" className="pb-icon" aria-label={props.removeLabel} title="Remove" onClick={props.onRemove}>
          ×
        </button>
      </div>
      <ProblemList id={meta.errId} list={meta.list} />
    </div>
  );
}

function ReadOnly({ label, value }: { label: string; value: string }) {
  return (
    <div className="pb-field">
      <span className="pb-field-label">{label}</span>
      <output className="mono pb-readonly">{value}</output>
    </div>
  );
}

// ---------------------------------------------------------------------------------------------
// The inspector

export function Inspector(props: { store: EditorStore }) {
  const { lab, selected, problems } = useStore(
    props.store,
    useShallow((s) => ({ lab: s.lab, selected: s.selected, problems: s.problems })),
  );
  const idp = `pb-insp${useId().replace(/[^A-Za-z0-9_-]/g, '')}-`;
  const ctx: Ctx = { store: props.store, problems, idp };

  let body: ReactNode;
  const oneNode = selected.nodes.length === 1 && selected.links.length === 0 ? selected.nodes[0] : undefined;
  const oneLink = selected.links.length === 1 && selected.nodes.length === 0 ? selected.links[0] : undefined;
  const nodeSpec = oneNode !== undefined ? lab.nodes[oneNode] : undefined;
  const linkIndex = oneLink !== undefined ? lab.links.findIndex((l) => linkId(l) === oneLink) : -1;
  const link = lab.links[linkIndex];
  if (oneNode !== undefined && nodeSpec) {
    body = <NodeInspector lab={lab} name={oneNode} spec={nodeSpec} />;
  } else if (oneLink !== undefined && link) {
    body = <LinkInspector lab={lab} id={oneLink} index={linkIndex} link={link} />;
  } else if (selected.nodes.length + selected.links.length > 1) {
    const n = selected.nodes.length;
    const m = selected.links.length;
    body = (
      <section className="pb-insp-section">
        <h2>Selection</h2>
        <p>
          {n} {n === 1 ? 'node' : 'nodes'}, {m} {m === 1 ? 'link' : 'links'} selected
        </p>
        <button type="button" className="danger" data-testid="inspector-delete" onClick={() => props.store.getState().deleteSelected()}>
          Delete
        </button>
      </section>
    );
  } else {
    body = <LabInspector lab={lab} problems={problems} />;
  }
  return (
    <InspectorContext.Provider value={ctx}>
      <aside className="pb-inspector" aria-label="Inspector" data-testid="inspector">
        {body}
      </aside>
    </InspectorContext.Provider>
  );
}

// ---------------------------------------------------------------------------------------------
// One node

function NodeInspector({ lab, name, spec }: { lab: Lab; name: string; spec: NodeSpec }) {
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
        validate={(t) => nodeNameError(store.getState().lab, name, t)}
        onCommit={rename}
      />
      <ReadOnly label="Kind" value={spec.kind} />
      {isBridge(spec) ? <BridgeFields lab={lab} name={name} spec={spec} /> : <NetNodeFields name={name} spec={spec} />}
      <ConnectTo lab={lab} name={name} />
      <div className="pb-actions">
        <button type="button" className="danger" data-testid="inspector-delete" onClick={() => store.getState().deleteSelected()}>
          Delete node
        </button>
      </div>
      <datalist id={`${idp}ifaces-${name}`}>
        {interfacesOf(lab, name).map((i) => (
          <option key={i} value={i} />
        ))}
      </datalist>
    </section>
  );
}

function BridgeFields({ lab, name, spec }: { lab: Lab; name: string; spec: BridgeSpec }) {
  const edit = useEdit();
  const path = `nodes.${name}`;
  const set = <K extends keyof BridgeSpec>(key: K, value: BridgeSpec[K] | undefined) =>
    edit((l) => editNode(l, name, (s) => (isBridge(s) ? setOptional(s, key, value) : s)));
  const hosts = Object.entries(lab.nodes)
    .filter(([, s]) => s.kind === 'host')
    .map(([n]) => n);
  const hostOptions: Option[] = [{ value: '', label: `none (the lab's implicit host)` }, ...hosts.map((h) => ({ value: h, label: h }))];
  if (spec.host && !hosts.includes(spec.host)) hostOptions.push({ value: spec.host, label: `${spec.host} (not a host)` });
  return (
    <>
      <SelectField label="Lives in host" path={`${path}.host`} value={spec.host ?? ''} options={hostOptions} testid="inspector-bridge-host" onChange={(v) => set('host', v || undefined)} />
      <AddressList label="Addresses" path={`${path}.addresses`} values={spec.addresses} placeholder="192.168.100.1/24" testid="inspector-bridge-addresses" onChange={(v) => set('addresses', v)} />
      <NumberField label="MTU" path={`${path}.mtu`} value={spec.mtu} placeholder="1500" testid="inspector-bridge-mtu" onCommit={(v) => set('mtu', v)} />
      <CheckField label="Up" path={`${path}.up`} checked={spec.up !== false} testid="inspector-bridge-up" onChange={(c) => set('up', c ? undefined : false)} />
      <CheckField label="STP (spanning tree)" path={`${path}.stp`} checked={spec.stp === true} testid="inspector-bridge-stp" onChange={(c) => set('stp', c ? true : undefined)} />
      <CheckField
        label="VLAN filtering"
        path={`${path}.vlanFiltering`}
        checked={spec.vlanFiltering === true}
        hint="needs kernel support for bridge VLAN filtering"
        onChange={(c) => set('vlanFiltering', c ? true : undefined)}
      />
    </>
  );
}

const TRI_OPTIONS: Option[] = [
  { value: 'default', label: 'default' },
  { value: 'on', label: 'on' },
  { value: 'off', label: 'off' },
];

function NetNodeFields({ name, spec }: { name: string; spec: NetNodeSpec }) {
  const edit = useEdit();
  const { idp } = useCtx();
  const path = `nodes.${name}`;
  const ifaces = `${idp}ifaces-${name}`;
  const change = (f: (s: NetNodeSpec) => NetNodeSpec) => edit((l) => editNetNode(l, name, f));
  const set = <K extends keyof NetNodeSpec>(key: K, value: NetNodeSpec[K] | undefined) => change((s) => setOptional(s, key, value));
  const routes = spec.routes ?? [];
  const nat = spec.nat ?? [];
  const pfs = spec.portForwards ?? [];
  const setRoute = (i: number, r: RouteSpec) => change((s) => setOptional(s, 'routes', replaceAt(s.routes ?? [], i, r)));
  const setNat = (i: number, n: NatSpec) => change((s) => setOptional(s, 'nat', replaceAt(s.nat ?? [], i, n)));
  const setPf = (i: number, p: PortForwardSpec) => change((s) => setOptional(s, 'portForwards', replaceAt(s.portForwards ?? [], i, p)));
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
            <Row key={i} path={rp} removeLabel={`Remove route ${i + 1}`} onRemove={() => change((s) => setOptional(s, 'routes', removeAt(s.routes ?? [], i)))}>
              <TextField label={`Route ${i + 1} destination`} hideLabel path={`${rp}.to`} value={r.to} placeholder="default or CIDR" className="pb-grow" onCommit={(t) => setRoute(i, setRequired(r, 'to', t))} />
              <SelectField
                label={`Route ${i + 1} by gateway or device`}
                hideLabel
                id={`${idp}${rp}--mode`}
                path={`${rp}--mode`}
                value={mode}
                options={[
                  { value: 'via', label: 'via' },
                  { value: 'dev', label: 'dev' },
                ]}
                onChange={(v) => setRoute(i, withRouteMode(r, v as RouteMode))}
              />
              <TextField
                label={`Route ${i + 1} ${mode === 'via' ? 'gateway' : 'device'}`}
                hideLabel
                path={`${rp}.${mode}`}
                value={routeTarget(r)}
                placeholder={mode === 'via' ? '10.0.0.1' : 'eth0'}
                className="pb-grow"
                {...(mode === 'dev' ? { list: ifaces } : {})}
                onCommit={(t) => setRoute(i, withRouteMode(r, mode, t))}
              />
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
            <Row key={i} path={np} removeLabel={`Remove NAT rule ${i + 1}`} onRemove={() => change((s) => setOptional(s, 'nat', removeAt(s.nat ?? [], i)))}>
              <TextField label={`NAT ${i + 1} source CIDR`} hideLabel path={`${np}.masquerade`} value={n.masquerade} placeholder="172.17.0.0/16" className="pb-grow" onCommit={(t) => setNat(i, setRequired(n, 'masquerade', t))} />
              <TextField label={`NAT ${i + 1} out interface`} hideLabel path={`${np}.out`} value={n.out} placeholder="out" list={ifaces} className="pb-narrow" onCommit={(t) => setNat(i, setOptional(n, 'out', t))} />
              <TextField label={`NAT ${i + 1} not out interface`} hideLabel path={`${np}.notOut`} value={n.notOut} placeholder="! out" list={ifaces} className="pb-narrow" onCommit={(t) => setNat(i, setOptional(n, 'notOut', t))} />
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
            <Row key={i} path={pp} removeLabel={`Remove port forward ${i + 1}`} onRemove={() => change((s) => setOptional(s, 'portForwards', removeAt(s.portForwards ?? [], i)))}>
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
              <NumberField label={`Port forward ${i + 1} port`} hideLabel required path={`${pp}.port`} value={p.port} className="pb-narrow" onCommit={(v) => v !== undefined && setPf(i, setRequired(p, 'port', v))} />
              <TextField label={`Port forward ${i + 1} destination IP:PORT`} hideLabel path={`${pp}.to`} value={p.to} placeholder="172.17.0.2:80" className="pb-grow" onCommit={(t) => setPf(i, setRequired(p, 'to', t))} />
            </Row>
          );
        })}
      </RowList>
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
        <select id={id} value={other} data-testid="inspector-connect-select" className="pb-grow" onChange={(e) => setOther(e.target.value)}>
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
            const m = made as LinkSpec | undefined;
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

// ---------------------------------------------------------------------------------------------
// One link

function LinkInspector({ lab, id, index, link }: { lab: Lab; id: string; index: number; link: LinkSpec }) {
  const { store } = useCtx();
  const edit = useEdit();
  const path = `links[${index}]`;
  const meta = useFieldMeta(path, true);
  return (
    <section className="pb-insp-section">
      <h2>Link</h2>
      <p className="pb-muted mono">
        {link.a.node}:{link.a.interface} ↔ {link.b.node}:{link.b.interface}
      </p>
      <ProblemList id={meta.errId} list={meta.list} />
      {(['a', 'b'] as const).map((side) => (
        <LinkEndFields key={side} lab={lab} id={id} path={`${path}.${side}`} side={side} end={link[side]} />
      ))}
      <NumberField label="MTU (both ends)" path={`${path}.mtu`} value={link.mtu} placeholder="1500" testid="inspector-link-mtu" onCommit={(v) => edit((l) => editLink(l, id, (k) => setOptional(k, 'mtu', v)))} />
      <div className="pb-actions">
        <button type="button" className="danger" data-testid="inspector-delete" onClick={() => store.getState().deleteSelected()}>
          Delete link
        </button>
      </div>
    </section>
  );
}

function LinkEndFields({ lab, id, path, side, end }: { lab: Lab; id: string; path: string; side: 'a' | 'b'; end: LinkEndSpec }) {
  const { store } = useCtx();
  const edit = useEdit();
  const set = <K extends keyof LinkEndSpec>(key: K, value: LinkEndSpec[K] | undefined) => edit((l) => editLinkEnd(l, id, side, (e) => setOptional(e, key, value)));
  const renameIface = (name: string) => {
    let newId = id;
    store.getState().edit((l) => {
      const r = renameInterface(l, id, side, name);
      newId = r.id;
      return r.lab;
    });
    const sel = store.getState().selected;
    if (newId !== id && sel.links.includes(id)) store.getState().select(sel.nodes, sel.links.map((x) => (x === id ? newId : x)));
  };
  const nodeSpec = lab.nodes[end.node];
  const onBridge = nodeSpec !== undefined && isBridge(nodeSpec);
  const showVlan = onBridge && (nodeSpec.vlanFiltering === true || end.vlan !== undefined);
  const meta = useFieldMeta(path, true);
  return (
    <fieldset className="pb-end" data-testid={`inspector-link-${side}`}>
      <legend>
        End {side.toUpperCase()}: <span className="mono">{end.node}</span>
      </legend>
      <ProblemList id={meta.errId} list={meta.list} />
      <ReadOnly label="Node" value={`${end.node}${nodeSpec ? ` (${nodeSpec.kind})` : ''}`} />
      <TextField
        label="Interface"
        path={`${path}.interface`}
        value={end.interface}
        testid={`inspector-link-${side}-interface`}
        validate={(t) => (t ? undefined : 'an interface needs a name')}
        onCommit={renameIface}
      />
      <AddressList label="Addresses" path={`${path}.addresses`} values={end.addresses} placeholder="10.0.0.1/24" testid={`inspector-link-${side}-addresses`} onChange={(v) => set('addresses', v)} />
      <NumberField label="MTU" path={`${path}.mtu`} value={end.mtu} placeholder="1500" testid={`inspector-link-${side}-mtu`} onCommit={(v) => set('mtu', v)} />
      <TextField label="MAC" path={`${path}.mac`} value={end.mac} placeholder="02:00:00:00:00:01" testid={`inspector-link-${side}-mac`} onCommit={(t) => set('mac', t)} />
      <div className="pb-checks">
        <CheckField label="Up" path={`${path}.up`} checked={end.up !== false} testid={`inspector-link-${side}-up`} onChange={(c) => set('up', c ? undefined : false)} />
        <CheckField label="Proxy ARP" path={`${path}.proxyArp`} checked={end.proxyArp === true} testid={`inspector-link-${side}-proxyarp`} onChange={(c) => set('proxyArp', c ? true : undefined)} />
      </div>
      {showVlan && <VlanFields path={`${path}.vlan`} end={end} onChange={(v) => set('vlan', v)} />}
    </fieldset>
  );
}

function VlanFields({ path, end, onChange }: { path: string; end: LinkEndSpec; onChange(v: LinkEndSpec['vlan']): void }) {
  const vlan = end.vlan ?? {};
  return (
    <div className="pb-list-row">
      <NumberField label="VLAN pvid" path={`${path}.pvid`} value={vlan.pvid} className="pb-narrow" onCommit={(v) => onChange(setOptional(vlan, 'pvid', v))} />
      <TextField
        label="Tagged VLANs"
        path={`${path}.tagged`}
        value={vlan.tagged?.join(', ')}
        placeholder="10, 20"
        className="pb-grow"
        validate={(t) => (t === '' || t.split(/[\s,]+/).every((x) => parseNumberField(x).kind === 'number') ? undefined : 'a list of VLAN numbers, such as 10, 20')}
        onCommit={(t) => onChange(setOptional(vlan, 'tagged', t ? t.split(/[\s,]+/).map(Number) : undefined))}
      />
    </div>
  );
}

// ---------------------------------------------------------------------------------------------
// Nothing selected: the lab

function LabInspector({ lab, problems }: { lab: Lab; problems: Problem[] }) {
  const { store, idp } = useCtx();
  const edit = useEdit();
  const overlays = lab.overlays ?? [];
  const onProblem = (p: Problem) => {
    const l = store.getState().lab;
    const sel = problemSelection(l, p.path);
    if (sel) store.getState().select(sel.nodes, sel.links);
    focusPath(idp, p.path);
  };
  return (
    <section className="pb-insp-section">
      <h2>Lab</h2>
      <TextField label="Name" path="name" value={lab.name} testid="inspector-lab-name" validate={(t) => (t ? undefined : 'a lab needs a name')} onCommit={(t) => edit((l) => setRequired(l, 'name', t))} />
      <TextField label="Description" path="description" value={lab.description} multiline mono={false} testid="inspector-lab-description" onCommit={(t) => edit((l) => setOptional(l, 'description', t))} />
      <RowList
        legend="Overlays (VXLAN)"
        path="overlays"
        count={overlays.length}
        addLabel="overlay"
        addTestid="inspector-overlay-add"
        onAdd={() => {
          edit((l) => setOptional(l, 'overlays', append(l.overlays, newOverlay(l))));
          focusPath(idp, `overlays[${overlays.length}].name`);
        }}
      >
        {overlays.map((o, i) => (
          <OverlayFields key={i} lab={lab} index={i} overlay={o} />
        ))}
      </RowList>
      <section className="pb-problems-section" aria-labelledby={`${idp}problems-h`}>
        <h3 id={`${idp}problems-h`}>
          Problems <span className={`badge${problems.length ? ' danger' : ' ok'}`}>{problems.length}</span>
        </h3>
        {problems.length === 0 ? (
          <p className="pb-muted" data-testid="inspector-problems">
            No problems: the lab can be applied.
          </p>
        ) : (
          <ul className="pb-problem-list" data-testid="inspector-problems">
            {problems.map((p, i) => (
              <li key={i}>
                <button type="button" className="pb-problem" data-testid="problem" onClick={() => onProblem(p)} title="Show the field">
                  <span className="mono pb-problem-path">{p.path || '(lab)'}</span>
                  <span className="pb-problem-message">{p.message}</span>
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>
    </section>
  );
}

function OverlayFields({ lab, index, overlay }: { lab: Lab; index: number; overlay: OverlaySpec }) {
  const edit = useEdit();
  const path = `overlays[${index}]`;
  const change = (f: (o: OverlaySpec) => OverlaySpec) => edit((l) => editOverlay(l, index, f));
  const { bridges, hosts } = memberCandidates(lab);
  const meta = useFieldMeta(path, true);
  const setMember = (j: number, m: OverlaySpec['members'][number]) => change((o) => setRequired(o, 'members', replaceAt(o.members, j, m)));
  const next = newMember(lab, overlay);
  return (
    <fieldset className="pb-overlay" data-testid="inspector-overlay">
      <legend className="mono">{overlay.name || `overlay ${index + 1}`}</legend>
      <ProblemList id={meta.errId} list={meta.list} />
      <div className="pb-list-row">
        <TextField label="Name" path={`${path}.name`} value={overlay.name} className="pb-grow" validate={(t) => (t ? undefined : 'an overlay needs a name')} onCommit={(t) => change((o) => setRequired(o, 'name', t))} />
        <NumberField label="VNI" path={`${path}.vni`} value={overlay.vni} required className="pb-narrow" onCommit={(v) => v !== undefined && change((o) => setRequired(o, 'vni', v))} />
      </div>
      <div className="pb-list-row">
        <NumberField label="UDP port" path={`${path}.port`} value={overlay.port} placeholder="4789" className="pb-grow" onCommit={(v) => change((o) => setOptional(o, 'port', v))} />
        <NumberField label="MTU" path={`${path}.mtu`} value={overlay.mtu} placeholder="underlay − 50" className="pb-grow" onCommit={(v) => change((o) => setOptional(o, 'mtu', v))} />
      </div>
      <RowList
        legend="Members"
        path={`${path}.members`}
        count={overlay.members.length}
        addLabel="member"
        addTestid="inspector-member-add"
        addDisabled={!next}
        onAdd={() => next && change((o) => setRequired(o, 'members', append(o.members, next)))}
      >
        {overlay.members.map((m, j) => {
          const mp = `${path}.members[${j}]`;
          const ref = memberRef(m);
          const groups = [
            { group: 'Bridges (layer 2)', options: bridges.map((b) => ({ value: `bridge:${b}`, label: b })) },
            { group: 'Hosts (layer 3)', options: hosts.map((h) => ({ value: `host:${h}`, label: h })) },
          ];
          if (!groups.some((g) => g.options.some((x) => x.value === ref))) groups.push({ group: 'Missing', options: [{ value: ref, label: `${ref.slice(ref.indexOf(':') + 1)} (not in the lab)` }] });
          return (
            <Row key={j} path={mp} removeLabel={`Remove member ${j + 1}`} onRemove={() => change((o) => setRequired(o, 'members', removeAt(o.members, j)))}>
              <div className="pb-member">
                <div className="pb-list-row">
                  <SelectField
                    label={`Member ${j + 1}`}
                    hideLabel
                    path={'bridge' in m ? `${mp}.bridge` : `${mp}.host`}
                    value={ref}
                    options={groups}
                    className="pb-grow"
                    onChange={(v) => setMember(j, memberFromRef(m, v))}
                  />
                  <TextField
                    label={`Member ${j + 1} local underlay address`}
                    hideLabel
                    path={`${mp}.local`}
                    value={m.local}
                    placeholder="local (underlay IP)"
                    className="pb-grow"
                    onCommit={(t) => setMember(j, setOptional(m, 'local', t))}
                  />
                </div>
                {'host' in m && (
                  <AddressList
                    label="VTEP addresses"
                    path={`${mp}.addresses`}
                    values={m.addresses}
                    placeholder="10.244.0.0/32"
                    onChange={(v) => setMember(j, setOptional(m as HostMemberSpec, 'addresses', v))}
                  />
                )}
              </div>
            </Row>
          );
        })}
      </RowList>
      <div className="pb-actions">
        <button type="button" className="danger" onClick={() => edit((l) => removeOverlay(l, index))} aria-label={`Remove overlay ${overlay.name}`}>
          Remove overlay
        </button>
      </div>
    </fieldset>
  );
}
