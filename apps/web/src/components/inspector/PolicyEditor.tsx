// One NetworkPolicy edited in the inspector (shown under a pod it selects): which pods it selects,
// the directions it isolates (default deny), and each ingress/egress rule's peers and ports as
// short structured text (policy-edit.ts parses it into the lab's fields; validation names a peer
// that is no pod, a bad CIDR or label).
import type { NetworkPolicySpec } from '@patchbay/topology';
import {
  type PolicyDirection,
  addPolicyRule,
  peersText,
  policyTypesOf,
  portsText,
  removePolicyRule,
  rulesOf,
  selectorText,
  setPolicyType,
  setRulePeers,
  setRulePorts,
  setSelector,
} from '../../model/policy-edit';
import { useEdit } from './context';
import { CheckField, TextField } from './fields';

export function PolicyEditor({ policy, index }: { policy: NetworkPolicySpec; index: number }) {
  const edit = useEdit();
  const path = `policies[${index}]`;
  const types = policyTypesOf(policy);
  const change = (f: (p: NetworkPolicySpec) => NetworkPolicySpec | undefined) =>
    edit((lab) => {
      const next = f(lab.policies![index]!);
      return next ? { ...lab, policies: lab.policies!.map((p, i) => (i === index ? next : p)) } : lab;
    });
  const direction = (dir: PolicyDirection, type: 'Ingress' | 'Egress') => {
    const rules = rulesOf(policy, dir);
    const peerWord = dir === 'ingress' ? 'from' : 'to';
    return (
      <div className="pb-field" data-testid={`policy-${dir}`}>
        <CheckField
          label={`${type}: isolate (default deny)`}
          path={`${path}.policyTypes`}
          checked={types.includes(type)}
          testid={`policy-type-${dir}`}
          onChange={(on) => change((p) => setPolicyType(p, type, on))}
        />
        {types.includes(type) && rules.length === 0 && (
          <p className="pb-muted" data-testid={`policy-${dir}-deny`}>
            no rule: every {dir === 'ingress' ? 'incoming' : 'outgoing'} connection is denied
          </p>
        )}
        {types.includes(type) &&
          rules.map((r, i) => {
            const rp = `${path}.${dir}[${i}]`;
            const peers = dir === 'ingress' ? (r as { from?: never }).from : (r as { to?: never }).to;
            return (
              <div key={i} className="pb-row" data-testid={`policy-${dir}-rule`}>
                <TextField
                  label={`${policy.name} ${dir} rule ${i + 1} ${peerWord}`}
                  path={`${rp}.${peerWord}`}
                  value={peersText(peers)}
                  placeholder="anyone (or: app=api, web, 10.0.0.0/8)"
                  testid={`policy-${dir}-peers`}
                  onCommit={(t) => change((p) => setRulePeers(p, dir, i, t))}
                />
                <TextField
                  label={`${policy.name} ${dir} rule ${i + 1} ports`}
                  path={`${rp}.ports`}
                  value={portsText(r.ports)}
                  placeholder="every port (or: TCP 5432, UDP 53)"
                  testid={`policy-${dir}-ports`}
                  validate={(t) => (setRulePorts(policy, dir, i, t) ? undefined : 'ports: TCP 80, UDP 53, 8000-8080')}
                  onCommit={(t) => change((p) => setRulePorts(p, dir, i, t))}
                />
                <button
                  type="button"
                  className="pb-icon"
                  aria-label={`Remove ${policy.name} ${dir} rule ${i + 1}`}
                  onClick={() => change((p) => removePolicyRule(p, dir, i))}
                >
                  ×
                </button>
              </div>
            );
          })}
        <button type="button" data-testid={`policy-${dir}-add`} onClick={() => change((p) => addPolicyRule(p, dir))}>
          Allow {dir} {peerWord}…
        </button>
      </div>
    );
  };
  return (
    <div className="pb-policy-editor" data-testid="policy-editor" data-policy={policy.name}>
      <TextField
        label={`${policy.name} selects pods`}
        path={`${path}.podSelector`}
        value={selectorText(policy)}
        placeholder="db (or: app=db, or * for every pod)"
        testid="policy-selector"
        onCommit={(t) => change((p) => setSelector(p, t))}
      />
      {direction('ingress', 'Ingress')}
      {direction('egress', 'Egress')}
    </div>
  );
}
