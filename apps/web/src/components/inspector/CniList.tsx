// A node's CNI attachments (LAB-FORMAT.md "cni") in the inspector: one block per attachment — the
// host the plugin runs in, the interface it makes, the plugin, the network and its host-local pool,
// the routes, and the plugin's own fields (bridge for bridge, master and mode for macvlan) — and,
// once the lab is applied, what Patchbay passed and what the plugin returned (CniSection).
import type { CniMacvlanMode, CniSpec, Lab, NetNodeSpec } from '@patchbay/topology';
import { cniHostChoices, cniRoutesText, newCniAttachment, parseCniRoutes, withCniPlugin } from '../../model/cni-edit';
import { hostInterfaces } from '../../model/macvlan-edit';
import { CniSection } from '../../panels/CniSection';
import { removeAt, replaceAt } from '../inspector-model';
import { useStore } from 'zustand';
import { createStore } from 'zustand/vanilla';
import type { LiveState } from '../../store/live';
import { useCtx } from './context';
import { SelectField, TextField } from './fields';
import { Row, RowList } from './lists';

// Stands in for the live store where there is none, so the hook below is always called.
const NO_LIVE = createStore<Pick<LiveState, 'nodes' | 'subscribed'>>()(() => ({ nodes: {}, subscribed: false }));

export function CniList(props: {
  lab: Lab;
  name: string;
  path: string;
  spec: NetNodeSpec;
  onChange: (cni: CniSpec[] | undefined) => void;
}) {
  const list = props.spec.cni ?? [];
  const { live } = useCtx();
  // The node's interfaces as the kernel has them: an apply that attaches or detaches changes them,
  // and the section reads the lab state again.
  const kernelIfaces = useStore(live ?? NO_LIVE, (s) =>
    s.subscribed ? (s.nodes[props.name]?.interfaces.map((i) => i.name).join() ?? '') : 'none',
  );
  const set = (i: number, c: CniSpec) => props.onChange(replaceAt(list, i, c));
  const hosts = cniHostChoices(props.lab, props.name);
  const fresh = newCniAttachment(props.lab, props.name);
  return (
    <>
      <RowList
        legend="CNI attachments"
        path={props.path}
        count={list.length}
        addLabel="CNI attachment"
        addTestid="cni-add"
        addDisabled={fresh === undefined}
        onAdd={() => fresh && props.onChange([...list, fresh])}
      >
        {list.map((c, i) => {
          const p = `${props.path}[${i}]`;
          const what = `CNI attachment ${i + 1}`;
          const text = (label: string, field: 'interface' | 'network' | 'subnet' | 'bridge', placeholder: string) => (
            <TextField
              label={`${what} ${label}`}
              path={`${p}.${field}`}
              value={c[field]}
              placeholder={placeholder}
              testid={`cni-${field}`}
              className="mono"
              onCommit={(t) => set(i, { ...c, [field]: t || undefined })}
            />
          );
          return (
            <div key={i} data-testid="cni-attachment">
              <Row
                path={p}
                removeLabel={`Remove ${what}`}
                onRemove={() => props.onChange(list.length > 1 ? removeAt(list, i) : undefined)}
              >
                <SelectField
                  label={`${what} plugin`}
                  path={`${p}.plugin`}
                  testid="cni-plugin"
                  value={c.plugin}
                  options={['bridge', 'ptp', 'macvlan'].map((v) => ({ value: v, label: v }))}
                  onChange={(v) => set(i, withCniPlugin(props.lab, c, v as CniSpec['plugin']))}
                />
                <SelectField
                  label={`${what} host`}
                  path={`${p}.host`}
                  testid="cni-host"
                  value={c.host}
                  options={[...new Set([c.host, ...hosts])].map((h) => ({ value: h, label: h }))}
                  onChange={(v) => set(i, { ...c, host: v })}
                />
              </Row>
              {text('interface', 'interface', 'eth0')}
              {text('network', 'network', 'podnet')}
              {text('subnet', 'subnet', '10.22.0.0/24')}
              <TextField
                label={`${what} routes`}
                path={`${p}.routes`}
                value={cniRoutesText(c)}
                placeholder="0.0.0.0/0"
                testid="cni-routes"
                className="mono"
                onCommit={(t) => {
                  const routes = parseCniRoutes(t);
                  const { routes: _, ...rest } = c;
                  set(i, routes ? { ...rest, routes } : rest);
                }}
              />
              {c.plugin === 'bridge' && text('bridge', 'bridge', 'cni0')}
              {c.plugin === 'macvlan' && (
                <>
                  <SelectField
                    label={`${what} master`}
                    path={`${p}.master`}
                    testid="cni-master"
                    value={c.master ?? ''}
                    options={[
                      ...new Set([
                        ...(c.master ? [c.master] : []),
                        ...hostInterfaces(props.lab, c.host).map((h) => h.name),
                      ]),
                    ].map((m) => ({ value: m, label: m }))}
                    onChange={(v) => set(i, { ...c, master: v })}
                  />
                  <SelectField
                    label={`${what} mode`}
                    path={`${p}.mode`}
                    value={c.mode ?? 'bridge'}
                    options={['bridge', 'private', 'vepa', 'passthru'].map((v) => ({ value: v, label: v }))}
                    onChange={(v) => set(i, { ...c, mode: v === 'bridge' ? undefined : (v as CniMacvlanMode) })}
                  />
                </>
              )}
            </div>
          );
        })}
        {hosts.length === 0 && <p className="pb-hint">A CNI plugin runs in a host node: add one first.</p>}
      </RowList>
      {list.length > 0 && <CniSection lab={props.lab.name} node={props.name} refresh={kernelIfaces} />}
    </>
  );
}
