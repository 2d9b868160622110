// One check in the checks list: its id and title, then a field per schema field of its type (see
// check-fields.ts). Node fields are chosen in a select or by clicking the node on the canvas;
// interface fields list the interfaces the chosen node has in the lab; address fields suggest the
// lab's addresses and take a node's first address from a canvas click.
import { CHECK_TYPE_HELP, fieldsOf, type FieldSpec } from './check-fields';
import { NodePicker, PickButton, Row, useAuthor, usePicking, useProblemCount } from './fields';
import {
  getAt,
  moveItem,
  removeAt,
  setCheckField,
  suggestedTitle,
  type DraftCheck,
  type PickTarget,
} from './scenario-draft';

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
/** An integer field's text → its value; what is not a number is kept as text so the parser names it. */
const toInt = (s: string): number | string | undefined =>
  s.trim() === '' ? undefined : /^-?\d+$/.test(s.trim()) ? Number(s.trim()) : s;

export function CheckCard({ check, index, count }: { check: DraftCheck; index: number; count: number }) {
  const { store } = useAuthor();
  const problemCount = useProblemCount(`checks[${index}]`);
  const p = `checks[${index}]`;
  const edit = (path: string, value: unknown) =>
    store.getState().edit((d) => setCheckField(d, index, path, value), `${p}.${path}`);
  const move = (to: number) => {
    store.getState().setPick(undefined);
    store.getState().edit((d) => ({ ...d, checks: moveItem(d.checks, index, to) }));
  };
  return (
    <li className="pb-au-card" data-testid={`check-${index}`}>
      <div className="pb-au-card-head">
        <span className="badge" title={CHECK_TYPE_HELP[check.type]}>
          {check.type}
        </span>
        {problemCount > 0 && (
          <span className="badge danger" title="problems in this check">
            {problemCount}
          </span>
        )}
        <span className="pb-spacer" />
        <button
          type="button"
          onClick={() => move(index - 1)}
          disabled={index === 0}
          aria-label="Move up"
          title="Move up"
          data-testid={`check-${index}-up`}
        >
          ↑
        </button>
        <button
          type="button"
          onClick={() => move(index + 1)}
          disabled={index === count - 1}
          aria-label="Move down"
          title="Move down"
          data-testid={`check-${index}-down`}
        >
          ↓
        </button>
        <button
          type="button"
          className="danger"
          onClick={() => {
            store.getState().setPick(undefined);
            store.getState().edit((d) => ({ ...d, checks: removeAt(d.checks, index) }));
          }}
          aria-label="Remove check"
          title="Remove this check"
          data-testid={`check-${index}-remove`}
        >
          ×
        </button>
      </div>
      <Row label="Id" path={`${p}.id`} required help="Unique in the scenario; [a-z][a-z0-9-]">
        {(id) => (
          <input
            id={id}
            className="mono"
            value={check.id}
            onChange={(e) => edit('id', e.target.value)}
            data-testid={`field-${p}.id`}
          />
        )}
      </Row>
      <Row label="Title" path={`${p}.title`} required help="What the student reads">
        {(id) => (
          <input
            id={id}
            value={check.title}
            placeholder={suggestedTitle(check) || 'what the check proves'}
            onChange={(e) => edit('title', e.target.value)}
            data-testid={`field-${p}.title`}
          />
        )}
      </Row>
      {fieldsOf(check.type).map((f) => (
        <Row key={f.path} label={f.label} path={`${p}.${f.path}`} help={f.help} required={f.required}>
          {(id) => <CheckField id={id} field={f} check={check} index={index} onChange={(v) => edit(f.path, v)} />}
        </Row>
      ))}
    </li>
  );
}

function CheckField({
  id,
  field,
  check,
  index,
  onChange,
}: {
  id: string;
  field: FieldSpec;
  check: DraftCheck;
  index: number;
  onChange: (v: unknown) => void;
}) {
  const { facts } = useAuthor();
  const value = getAt(check, field.path);
  const path = `checks[${index}].${field.path}`;
  const target: PickTarget = { list: 'checks', index, path: field.path, kind: field.kind };
  const testid = `field-${path}`;
  switch (field.kind) {
    case 'node':
    case 'sender':
    case 'bridge': {
      const options = field.kind === 'bridge' ? facts.bridges : field.kind === 'sender' ? facts.senders : facts.nodes;
      return <NodePicker id={id} value={str(value)} options={options} target={target} onChange={onChange} />;
    }
    case 'interface':
    case 'port': {
      const node = str(getAt(check, field.nodeField ?? ''));
      const options = node ? (field.kind === 'port' ? facts.ports(node) : facts.interfaces(node)) : [];
      const v = str(value);
      return (
        <select
          id={id}
          value={v}
          onChange={(e) => onChange(e.target.value)}
          disabled={!node && !v}
          title={node ? undefined : 'choose the node first'}
          data-testid={testid}
        >
          <option value="">{node ? '—' : 'choose the node first'}</option>
          {v && !options.includes(v) && (
            <option value={v}>
              {v} (not in {node || 'the lab'})
            </option>
          )}
          {options.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      );
    }
    case 'ipv4':
      return <AddressInput id={id} value={str(value)} target={target} onChange={onChange} testid={testid} />;
    case 'int':
      return (
        <input
          id={id}
          className="mono"
          inputMode="numeric"
          value={str(value)}
          onChange={(e) => onChange(toInt(e.target.value))}
          data-testid={testid}
        />
      );
    case 'flag':
      return (
        <input
          id={id}
          type="checkbox"
          checked={value === true}
          onChange={(e) => onChange(e.target.checked ? true : undefined)}
          data-testid={testid}
        />
      );
    case 'tristate':
      return (
        <select
          id={id}
          value={value === true ? 'true' : value === false ? 'false' : ''}
          onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value === 'true')}
          data-testid={testid}
        >
          <option value="">(not checked)</option>
          <option value="true">{field.states?.[0] ?? 'true'}</option>
          <option value="false">{field.states?.[1] ?? 'false'}</option>
        </select>
      );
    case 'expect':
      return (
        <select id={id} value={str(value)} onChange={(e) => onChange(e.target.value || undefined)} data-testid={testid}>
          <option value="">pass (default)</option>
          <option value="fail">fail: must NOT get through</option>
        </select>
      );
    case 'addresses':
      return (
        <ListInput
          id={id}
          value={Array.isArray(value) ? value.map(str) : []}
          onChange={onChange}
          placeholder="10.0.0.1/24, 10.0.1.1/24"
          testid={testid}
        />
      );
    case 'route-to':
      return (
        <input
          id={id}
          className="mono"
          list="pb-au-routes"
          value={str(value)}
          placeholder="default or 10.0.0.0/24"
          onChange={(e) => onChange(e.target.value.trim())}
          data-testid={testid}
        />
      );
    case 'multiline':
      return (
        <textarea
          id={id}
          className="mono"
          rows={2}
          value={str(value)}
          onChange={(e) => onChange(e.target.value)}
          data-testid={testid}
        />
      );
    case 'text':
      return (
        <input
          id={id}
          className="mono"
          value={str(value)}
          onChange={(e) => onChange(e.target.value)}
          data-testid={testid}
        />
      );
  }
}

/** An IPv4 address: typed, chosen from the lab's addresses, or a clicked node's first address. */
function AddressInput({
  id,
  value,
  target,
  onChange,
  testid,
}: {
  id: string;
  value: string;
  target: PickTarget;
  onChange: (v: string) => void;
  testid: string;
}) {
  const { store } = useAuthor();
  const active = usePicking(target);
  return (
    <span className={`pb-au-pick${active ? ' active' : ''}`}>
      <input
        id={id}
        className="mono"
        list="pb-au-addresses"
        value={value}
        placeholder="192.168.100.20"
        onFocus={() => store.getState().setPick(target)}
        onChange={(e) => onChange(e.target.value.trim())}
        data-testid={testid}
      />
      <PickButton target={target} />
    </span>
  );
}

/** A list written comma-separated; the text is kept while typing (a trailing comma stays). */
function ListInput({
  id,
  value,
  onChange,
  placeholder,
  testid,
}: {
  id: string;
  value: string[];
  onChange: (v: string[] | undefined) => void;
  placeholder: string;
  testid: string;
}) {
  return (
    <input
      id={id}
      className="mono"
      defaultValue={value.join(', ')}
      key={value.join(',')}
      placeholder={placeholder}
      onBlur={(e) => {
        const list = e.target.value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        onChange(list.length ? list : undefined);
      }}
      data-testid={testid}
    />
  );
}
