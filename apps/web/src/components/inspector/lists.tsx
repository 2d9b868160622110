// List editors of the inspector: a list of strings (addresses), and rows of structured items
// (routes, NAT rules, overlays…) with add/remove, each showing its own problems.
import { useState, type ReactNode } from 'react';
import { removeAt, replaceAt } from '../inspector-model';
import { aria, ProblemList, TextField, useFieldMeta } from './fields';

/** One CIDR (or any string) per row, with add/remove; an empty list removes the field. */
export function AddressList(props: {
  label: string;
  itemLabel?: string;
  path: string;
  values: readonly string[] | undefined;
  onChange: (values: string[]) => void;
  testid?: string;
  placeholder?: string;
}) {
  const values = props.values ?? [];
  const meta = useFieldMeta(props.path, true);
  const [pending, setPending] = useState(false);
  const item = props.itemLabel ?? 'Address';
  return (
    <fieldset className="pb-list-editor" data-testid={props.testid} {...aria(meta)}>
      <legend>{props.label}</legend>
      {/* One keyed list, the new row last: once its text is committed (as it is typed) it becomes
          the row of the new value without being drawn again, so the cursor stays where it was. */}
      {[
        ...values.map((v, i) => (
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
            <button
              type="button"
              className="pb-icon"
              aria-label={`Remove ${item.toLowerCase()} ${v}`}
              title="Remove"
              onClick={() => props.onChange(removeAt(values, i))}
            >
              ×
            </button>
          </div>
        )),
        ...(pending
          ? [
              <div className="pb-list-row" key={values.length}>
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
              </div>,
            ]
          : []),
      ]}
      {!values.length && !pending && <p className="pb-empty">none</p>}
      <button
        type="button"
        className="pb-add"
        data-testid="address-add"
        onClick={() => setPending(true)}
        disabled={pending}
      >
        + {item.toLowerCase()}
      </button>
      <ProblemList id={meta.errId} list={meta.list} />
    </fieldset>
  );
}

/** A list of rows with a legend, the list's own problems, and an add button. */
export function RowList(props: {
  legend: string;
  path: string;
  count: number;
  onAdd: () => void;
  addLabel: string;
  addTestid?: string;
  children: ReactNode;
  addDisabled?: boolean;
}) {
  const meta = useFieldMeta(props.path, true);
  return (
    <fieldset className="pb-list-editor" {...aria(meta)}>
      <legend>{props.legend}</legend>
      {props.children}
      {props.count === 0 && <p className="pb-empty">none</p>}
      <button
        type="button"
        className="pb-add"
        data-testid={props.addTestid}
        onClick={props.onAdd}
        disabled={props.addDisabled}
      >
        + {props.addLabel}
      </button>
      <ProblemList id={meta.errId} list={meta.list} />
    </fieldset>
  );
}

/** A row of a RowList: its fields, a remove button, and the problems of the row as a whole. */
export function Row(props: { path: string; removeLabel: string; onRemove: () => void; children: ReactNode }) {
  const meta = useFieldMeta(props.path, true);
  return (
    <div className={`pb-row-item${meta.list.length ? ' invalid' : ''}`}>
      <div className="pb-list-row">
        {props.children}
        <button
          type="button"
          className="pb-icon"
          aria-label={props.removeLabel}
          title="Remove"
          onClick={props.onRemove}
        >
          ×
        </button>
      </div>
      <ProblemList id={meta.errId} list={meta.list} />
    </div>
  );
}
