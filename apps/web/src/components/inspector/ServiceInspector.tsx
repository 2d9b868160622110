// The inspector for one Kubernetes Service: its name, ClusterIP, ports (port, targetPort, protocol,
// NodePort) and endpoints (a checkbox per node that may serve it).
import type { Lab, ServicePortSpec, ServiceSpec } from '@patchbay/topology';
import { endpointCandidates, serviceId, toggleEndpoint, updateService } from '../../model/service-edit';
import { useCtx, useEdit } from './context';
import { CheckField, NumberField, ProblemList, SelectField, TextField, useFieldMeta } from './fields';
import { Row, RowList } from './lists';
import { DeleteSelected } from './shared-fields';

export function ServiceInspector({ lab, name }: { lab: Lab; name: string }) {
  const { store } = useCtx();
  const edit = useEdit();
  const index = (lab.services ?? []).findIndex((s) => s.name === name);
  const s = lab.services?.[index];
  const path = `services[${index}]`;
  const meta = useFieldMeta(path, true);
  if (!s) return null;
  const set = (next: ServiceSpec) => edit((l) => updateService(l, name, next));
  const setPort = (k: number, port: ServicePortSpec) =>
    set({ ...s, ports: s.ports.map((p, i) => (i === k ? port : p)) });
  const optional = <K extends keyof ServicePortSpec>(p: ServicePortSpec, key: K, v: ServicePortSpec[K] | undefined) => {
    const next = { ...p };
    if (v === undefined) delete next[key];
    else next[key] = v;
    return next;
  };
  // A new name is a new id: the selection follows it.
  const rename = (next: string) => {
    store.getState().edit((l) => updateService(l, name, { ...s, name: next }));
    store.getState().select([serviceId(next)], []);
  };
  return (
    <section className="pb-insp-section" data-testid="inspector-service">
      <h2>Service</h2>
      <p className="pb-muted">
        kube-proxy's iptables chains on {s.nodes?.join(', ') || 'every host node'}: the ClusterIP's port leads to one
        endpoint at random per connection.
      </p>
      <ProblemList id={meta.errId} list={meta.list} />
      <TextField
        label="Name"
        path={`${path}.name`}
        value={s.name}
        testid="inspector-service-name"
        live={false}
        validate={(t) => (t ? undefined : 'a Service needs a name')}
        onCommit={rename}
      />
      <TextField
        label="ClusterIP"
        path={`${path}.clusterIP`}
        value={s.clusterIP}
        testid="inspector-service-clusterip"
        onCommit={(t) => set({ ...s, clusterIP: t ?? '' })}
      />
      <RowList
        legend="Ports"
        path={`${path}.ports`}
        count={s.ports.length}
        addLabel="port"
        addTestid="inspector-service-add-port"
        onAdd={() => set({ ...s, ports: [...s.ports, { port: 80 }] })}
      >
        {s.ports.map((p, k) => (
          <Row
            key={k}
            path={`${path}.ports[${k}]`}
            removeLabel={`Remove port ${p.port}`}
            onRemove={() => set({ ...s, ports: s.ports.filter((_, i) => i !== k) })}
          >
            <TextField
              label="Name"
              path={`${path}.ports[${k}].name`}
              value={p.name}
              placeholder="(one port: none)"
              testid={`inspector-service-port-name-${k}`}
              onCommit={(t) => setPort(k, optional(p, 'name', t || undefined))}
            />
            <NumberField
              label="Port"
              path={`${path}.ports[${k}].port`}
              value={p.port}
              required
              testid={`inspector-service-port-${k}`}
              onCommit={(v) => setPort(k, { ...p, port: v ?? p.port })}
            />
            <NumberField
              label="targetPort"
              path={`${path}.ports[${k}].targetPort`}
              value={p.targetPort}
              placeholder="the port"
              testid={`inspector-service-target-port-${k}`}
              onCommit={(v) => setPort(k, optional(p, 'targetPort', v))}
            />
            <SelectField
              label="Protocol"
              path={`${path}.ports[${k}].protocol`}
              value={p.protocol ?? 'tcp'}
              options={[
                { value: 'tcp', label: 'tcp' },
                { value: 'udp', label: 'udp' },
              ]}
              testid={`inspector-service-protocol-${k}`}
              onChange={(v) => setPort(k, optional(p, 'protocol', v === 'tcp' ? undefined : 'udp'))}
            />
            <NumberField
              label="nodePort"
              path={`${path}.ports[${k}].nodePort`}
              value={p.nodePort}
              placeholder="none (30000–32767)"
              testid={`inspector-service-node-port-${k}`}
              onCommit={(v) => setPort(k, optional(p, 'nodePort', v))}
            />
          </Row>
        ))}
      </RowList>
      <fieldset className="pb-list-editor">
        <legend>Endpoints</legend>
        <div className="pb-checks">
          {endpointCandidates(lab).map((node) => (
            <CheckField
              key={node}
              label={node}
              path={`${path}.endpoints.${node}`}
              checked={s.endpoints.some((e) => e.node === node)}
              testid={`inspector-service-endpoint-${node}`}
              onChange={() => edit((l) => toggleEndpoint(l, name, node))}
            />
          ))}
        </div>
      </fieldset>
      <DeleteSelected what="Service" />
    </section>
  );
}
