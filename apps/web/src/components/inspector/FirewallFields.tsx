// A node's firewall rules, labels and the NetworkPolicies that select it, in the inspector. Each rule
// is a row of fields (table, chain, protocol, source, destination, dport, in, out, bridge ports,
// action and its parameter), never free text; under it, the line iptables-save will print. A pod
// shows the policies that select it, and can get a default-deny one.
import {
  FIREWALL_ACTIONS,
  FIREWALL_CHAINS,
  FIREWALL_TABLES,
  type FirewallRuleSpec,
  type FirewallTable,
  type Lab,
  type NetNodeSpec,
  firewallRuleLine,
  ruleFamilies,
} from '@patchbay/topology';
import {
  addPolicyFor,
  labelsText,
  newFirewallRule,
  parseLabels,
  policiesSelecting,
  portValue,
  removePolicy,
  setRuleField,
} from '../../model/firewall-edit';
import { append, removeAt, replaceAt, setOptional } from '../inspector-model';
import { focusPath, useCtx, useEdit } from './context';
import { SelectField, TextField, type Option } from './fields';
import { Row, RowList } from './lists';
import { PolicyEditor } from './PolicyEditor';

const opts = (values: readonly string[]): Option[] => values.map((v) => ({ value: v, label: v }));
const PROTOCOLS: Option[] = [{ value: '', label: 'any' }, ...opts(['tcp', 'udp', 'icmp'])];
/** Which of iptables and ip6tables holds the rule (default: its addresses' family, else IPv4). */
const FAMILIES: Option[] = [
  { value: '', label: 'family of its addresses' },
  { value: 'ipv4', label: 'IPv4 (iptables)' },
  { value: 'ipv6', label: 'IPv6 (ip6tables)' },
  { value: 'both', label: 'both' },
];
/** The parameter each action takes, as a text field. */
const PARAM: Partial<Record<FirewallRuleSpec['action'], { key: keyof FirewallRuleSpec; placeholder: string }>> = {
  DNAT: { key: 'toDestination', placeholder: '10.0.0.2:80' },
  SNAT: { key: 'toSource', placeholder: '10.0.0.1' },
  REDIRECT: { key: 'toPort', placeholder: '15001' },
  REJECT: { key: 'rejectWith', placeholder: 'icmp-port-unreachable' },
  LOG: { key: 'logPrefix', placeholder: 'prefix' },
};

export function FirewallFields({
  lab,
  name,
  spec,
  change,
}: {
  lab: Lab;
  name: string;
  spec: NetNodeSpec;
  change: (f: (s: NetNodeSpec) => NetNodeSpec) => void;
}) {
  const { idp } = useCtx();
  const edit = useEdit();
  const path = `nodes.${name}`;
  const rules = spec.firewall ?? [];
  const ifaces = `${idp}ifaces-${name}`;
  const setRule = (i: number, r: FirewallRuleSpec) =>
    change((s) => setOptional(s, 'firewall', replaceAt(s.firewall ?? [], i, r)));
  const selecting = spec.kind === 'netns' ? policiesSelecting(lab, name) : [];
  return (
    <>
      <TextField
        label="Labels (for policies)"
        path={`${path}.labels`}
        value={labelsText(spec.labels)}
        placeholder="app=web, tier=db"
        testid="inspector-labels"
        onCommit={(t) => change((s) => setOptional(s, 'labels', parseLabels(t)))}
      />
      {spec.kind === 'netns' && (
        <div className="pb-field" data-testid="inspector-policies">
          <span className="pb-field-label">NetworkPolicies selecting {name}</span>
          {selecting.length === 0 && <p className="pb-muted">none: all traffic to and from it is allowed</p>}
          <ul className="pb-rules">
            {selecting.map((p) => (
              <li key={p.index} data-testid="inspector-policy">
                <span className="mono">{p.name}</span> ({p.types.join(', ')}){' '}
                <button
                  type="button"
                  className="pb-icon"
                  aria-label={`Remove policy ${p.name}`}
                  title="Remove policy"
                  onClick={() => edit((l) => removePolicy(l, p.index))}
                >
                  ×
                </button>
                <details data-testid="inspector-policy-edit">
                  <summary>Edit {p.name}</summary>
                  <PolicyEditor policy={lab.policies![p.index]!} index={p.index} />
                </details>
              </li>
            ))}
          </ul>
          <button
            type="button"
            data-testid="inspector-policy-add"
            onClick={() => edit((l) => addPolicyFor(l, name).lab)}
          >
            Add a default-deny ingress policy
          </button>
        </div>
      )}
      <RowList
        legend="Firewall rules (iptables)"
        path={`${path}.firewall`}
        count={rules.length}
        addLabel="firewall rule"
        addTestid="inspector-firewall-add"
        onAdd={() => {
          change((s) => setOptional(s, 'firewall', append(s.firewall, newFirewallRule())));
          focusPath(idp, `${path}.firewall[${rules.length}].source`);
        }}
      >
        {rules.map((r, i) => {
          const rp = `${path}.firewall[${i}]`;
          const n = i + 1;
          const table = r.table ?? 'filter';
          const param = PARAM[r.action];
          const text = (key: keyof FirewallRuleSpec, label: string, placeholder: string, list?: string) => (
            <TextField
              label={`Rule ${n} ${label}`}
              hideLabel
              path={`${rp}.${key}`}
              value={r[key] === undefined ? '' : String(r[key])}
              placeholder={placeholder}
              className="pb-narrow"
              {...(list ? { list } : {})}
              onCommit={(t) =>
                setRule(
                  i,
                  setRuleField(
                    r,
                    key,
                    (key === 'sport' || key === 'dport'
                      ? portValue(t)
                      : key === 'toPort'
                        ? portValue(t)
                        : t.trim() || undefined) as never,
                  ),
                )
              }
            />
          );
          return (
            <Row
              key={i}
              path={rp}
              removeLabel={`Remove firewall rule ${n}`}
              onRemove={() => change((s) => setOptional(s, 'firewall', removeAt(s.firewall ?? [], i)))}
            >
              <div className="pb-grow" data-testid="inspector-firewall-rule">
                <div className="pb-list-row">
                  <SelectField
                    label={`Rule ${n} table`}
                    hideLabel
                    path={`${rp}.table`}
                    value={table}
                    options={opts(FIREWALL_TABLES)}
                    onChange={(v) => setRule(i, setRuleField(r, 'table', v as FirewallTable))}
                  />
                  <SelectField
                    label={`Rule ${n} chain`}
                    hideLabel
                    path={`${rp}.chain`}
                    value={r.chain}
                    options={opts(FIREWALL_CHAINS[table])}
                    onChange={(v) => setRule(i, setRuleField(r, 'chain', v))}
                  />
                  <SelectField
                    label={`Rule ${n} protocol`}
                    hideLabel
                    path={`${rp}.protocol`}
                    value={r.protocol ?? ''}
                    options={PROTOCOLS}
                    onChange={(v) =>
                      setRule(i, setRuleField(r, 'protocol', (v || undefined) as FirewallRuleSpec['protocol']))
                    }
                  />
                  <SelectField
                    label={`Rule ${n} family`}
                    hideLabel
                    path={`${rp}.family`}
                    value={r.family ?? ''}
                    options={FAMILIES}
                    onChange={(v) =>
                      setRule(i, setRuleField(r, 'family', (v || undefined) as FirewallRuleSpec['family']))
                    }
                  />
                  <SelectField
                    label={`Rule ${n} action`}
                    hideLabel
                    path={`${rp}.action`}
                    value={r.action}
                    options={opts(FIREWALL_ACTIONS)}
                    onChange={(v) => setRule(i, setRuleField(r, 'action', v as FirewallRuleSpec['action']))}
                  />
                </div>
                <div className="pb-list-row">
                  {text('source', 'source', 'source')}
                  {text('destination', 'destination', 'destination')}
                  {text('dport', 'destination port', 'dport')}
                </div>
                <div className="pb-list-row">
                  {text('in', 'in interface', 'in', ifaces)}
                  {text('out', 'out interface', 'out', ifaces)}
                  {text('physdevIn', 'bridge port in', 'port in', ifaces)}
                  {text('physdevOut', 'bridge port out', 'port out', ifaces)}
                  {param && text(param.key, param.key, param.placeholder)}
                </div>
                <code className="pb-muted mono" data-testid="inspector-firewall-line">
                  {ruleFamilies(r).includes(6) ? (ruleFamilies(r).includes(4) ? 'ip{,6}tables ' : 'ip6tables ') : ''}
                  {table === 'filter' ? '' : `-t ${table} `}
                  {firewallRuleLine(r, ruleFamilies(r).length === 1 ? ruleFamilies(r)[0] : 4)}
                </code>
              </div>
            </Row>
          );
        })}
      </RowList>
    </>
  );
}
