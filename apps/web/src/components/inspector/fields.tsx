// Field building blocks of the inspector. Text fields commit as the user types (gathered for
// LIVE_COMMIT_MS), and on blur or Enter (Escape reverts); what one focus of a field typed is one
// undo step. Numbers, checkboxes and selects commit on change. Under each field:
// the validator's problems for that field's path.
import type { Problem } from '@patchbay/topology';
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { parseNumberField, problemsAt, problemsExact } from '../inspector-model';
import { useCtx } from './context';
import { liveCommit, typingSession, type LiveCommit } from './live-commit';

export interface FieldMeta {
  id: string;
  errId: string;
  list: Problem[];
}

export function useFieldMeta(path: string, exact = false): FieldMeta {
  const { problems, idp } = useCtx();
  return {
    id: idp + path,
    errId: `${idp}${path}--problems`,
    list: exact ? problemsExact(problems, path) : problemsAt(problems, path),
  };
}

export function ProblemList({ id, list, local }: { id: string; list: readonly Problem[]; local?: string | undefined }) {
  if (!list.length && !local) return null;
  return (
    <ul className="pb-field-problems" id={id}>
      {local && <li>{local}</li>}
      {list.map((p, i) => (
        <li key={i} title={p.path} className={p.severity === 'warning' ? 'pb-warning' : undefined}>
          {p.severity === 'warning' ? `warning: ${p.message}` : p.message}
        </li>
      ))}
    </ul>
  );
}

/** aria attributes of a control given its problems. */
export function aria(meta: FieldMeta, local?: string) {
  // A warning is described, but the value is not invalid: the lab applies with it.
  const invalid = meta.list.some((p) => p.severity !== 'warning') || !!local;
  const described = meta.list.length > 0 || !!local;
  return { 'aria-invalid': invalid || undefined, 'aria-describedby': described ? meta.errId : undefined };
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

function FieldShell(props: {
  meta: FieldMeta;
  label: string;
  hideLabel?: boolean | undefined;
  className?: string | undefined;
  local?: string | undefined;
  children: ReactNode;
  after?: boolean;
}) {
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
  /**
   * false: commit only on blur or Enter, for a text that names what the inspector shows (a node's or
   * an interface's name) or that a draft is saved under (the lab's name): renaming at each key would
   * leave the field, or a draft per prefix typed.
   */
  live?: boolean;
}

export function TextField(props: TextFieldProps) {
  const meta = useFieldMeta(props.path, props.exact);
  const { store } = useCtx();
  const [draft, setDraftState] = useState(props.value ?? '');
  const [local, setLocal] = useState<string>();
  const latest = useRef(props);
  latest.current = props;
  const text = useRef(draft);
  const setDraft = (t: string) => {
    text.current = t;
    setDraftState(t);
  };
  // Texts this field committed since the value last changed from elsewhere: the value coming back
  // from the store as one of them must not overwrite what was typed since.
  const sent = useRef<{ path: string; texts: Set<string> }>({ path: props.path, texts: new Set() });
  const closed = useRef(false);
  const session = useRef(typingSession(props.path));

  const commit = (final: boolean) => {
    const p = latest.current;
    const t = text.current.trim();
    // Emptying a field to retype it is not removing its value (an address row would vanish).
    if (!final && t === '') return;
    if (t === (p.value ?? '') && !(final && p.commitAlways)) {
      setLocal(undefined);
      if (final && text.current !== t) setDraft(t);
      return;
    }
    const why = p.validate?.(t);
    setLocal(why);
    if (why) return;
    if (final && p.commitAlways) {
      if (closed.current) return;
      closed.current = true;
    }
    if (sent.current.path !== p.path) sent.current = { path: p.path, texts: new Set() };
    sent.current.texts.add(t);
    store.getState().typing(session.current, () => p.onCommit(t));
  };
  const live = useRef<LiveCommit>(undefined);
  live.current ??= liveCommit(() => commit(false));
  useEffect(() => () => live.current?.cancel(), []);

  useEffect(() => {
    const mine = sent.current;
    if (mine.path === props.path && mine.texts.has(props.value ?? '')) return;
    sent.current = { path: props.path, texts: new Set() };
    live.current?.cancel();
    setDraft(props.value ?? '');
    setLocal(undefined);
  }, [props.value, props.path]);

  const change = (t: string) => {
    setDraft(t);
    if (props.live !== false) live.current?.input(t);
  };
  const finish = () => {
    live.current?.cancel();
    commit(true);
  };
  const revert = () => {
    live.current?.cancel();
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
    onFocus: () => {
      session.current = typingSession(props.path);
    },
    onBlur: finish,
  };
  return (
    <FieldShell meta={meta} label={props.label} hideLabel={props.hideLabel} className={props.className} local={local}>
      {props.multiline ? (
        <textarea
          {...common}
          className={undefined}
          rows={2}
          onChange={(e) => change(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey) {
              e.preventDefault();
              finish();
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
          onChange={(e) => change(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              finish();
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

export function NumberField(props: NumberFieldProps) {
  const meta = useFieldMeta(props.path, props.exact);
  const { store } = useCtx();
  const session = useRef(typingSession(props.path));
  const commit = (v: number | undefined) => store.getState().typing(session.current, () => props.onCommit(v));
  const [state, setState] = useState<{ text: string; local?: string }>({
    text: props.value === undefined ? '' : String(props.value),
  });
  useEffect(() => {
    setState((s) => {
      const parsed = parseNumberField(s.text);
      const same =
        parsed.kind === 'number'
          ? parsed.value === props.value
          : parsed.kind === 'empty' && props.value === undefined && !s.local;
      return same ? s : { text: props.value === undefined ? '' : String(props.value) };
    });
  }, [props.value, props.path]);

  const onChange = (text: string) => {
    const parsed = parseNumberField(text);
    if (parsed.kind === 'invalid') return setState({ text, local: 'not a number' });
    if (parsed.kind === 'empty') {
      if (props.required) return setState({ text, local: 'required' });
      setState({ text });
      return commit(undefined);
    }
    setState({ text });
    if (parsed.value !== props.value) commit(parsed.value);
  };
  return (
    <FieldShell
      meta={meta}
      label={props.label}
      hideLabel={props.hideLabel}
      className={props.className}
      local={state.local}
    >
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
        onFocus={() => {
          session.current = typingSession(props.path);
        }}
        onBlur={() => {
          // Leaving an unparsable number puts the document's value back.
          if (state.local) setState({ text: props.value === undefined ? '' : String(props.value) });
        }}
      />
    </FieldShell>
  );
}

export function CheckField(props: BaseProps & { checked: boolean; onChange(checked: boolean): void; hint?: string }) {
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

export interface Option {
  value: string;
  label: string;
}

export function SelectField(
  props: BaseProps & {
    value: string;
    options: Option[] | { group: string; options: Option[] }[];
    onChange(value: string): void;
    id?: string;
  },
) {
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

export function ReadOnly({ label, value }: { label: string; value: string }) {
  return (
    <div className="pb-field">
      <span className="pb-field-label">{label}</span>
      <output className="mono pb-readonly">{value}</output>
    </div>
  );
}
