// Field building blocks of the inspector. Text fields commit on blur or Enter (Escape reverts), so
// each commit is one undo step; numbers, checkboxes and selects commit on change. Under each field:
// the validator's problems for that field's path.
import type { Problem } from '@patchbay/topology';
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { parseNumberField, problemsAt, problemsExact } from '../inspector-model';
import { useCtx } from './context';

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
        <li key={i} title={p.path}>
          {p.message}
        </li>
      ))}
    </ul>
  );
}

/** aria attributes of a control given its problems. */
export function aria(meta: FieldMeta, local?: string) {
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

function FieldShell(props: {
  meta: FieldMeta;
  label: string;
  hideLabel?: boolean | undefined;
  className?: string | undefined;
  local?: string | undefined;
  children: ReactNode;
  after?: boolean;
  /** Shown after the label of an inline (checkbox) field. */
  note?: ReactNode;
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
          {props.note}
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

export function TextField(props: TextFieldProps) {
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

export function NumberField(props: NumberFieldProps) {
  const meta = useFieldMeta(props.path, props.exact);
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
      return props.onCommit(undefined);
    }
    setState({ text });
    if (parsed.value !== props.value) props.onCommit(parsed.value);
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
        onBlur={() => {
          // Leaving an unparsable number puts the document's value back.
          if (state.local) setState({ text: props.value === undefined ? '' : String(props.value) });
        }}
      />
    </FieldShell>
  );
}

/**
 * `unavailable`: why the box cannot be ticked here (a kernel feature this server lacks), shown beside
 * it; a box already ticked stays enabled, so it can be cleared.
 */
export function CheckField(
  props: BaseProps & { checked: boolean; onChange(checked: boolean): void; hint?: string; unavailable?: string },
) {
  const meta = useFieldMeta(props.path, props.exact);
  const noteId = `${meta.id}--unavailable`;
  const a = aria(meta);
  const describedBy = [a['aria-describedby'], props.unavailable ? noteId : undefined].filter(Boolean).join(' ');
  return (
    <FieldShell
      meta={meta}
      label={props.label}
      className={props.className}
      after
      note={
        props.unavailable !== undefined && (
          <span
            className="pb-field-note"
            id={noteId}
            data-testid={props.testid ? `${props.testid}-unavailable` : undefined}
          >
            {props.unavailable}
          </span>
        )
      }
    >
      <input
        id={meta.id}
        type="checkbox"
        checked={props.checked}
        disabled={props.unavailable !== undefined && !props.checked}
        data-testid={props.testid}
        title={props.hint}
        {...a}
        aria-describedby={describedBy || undefined}
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
