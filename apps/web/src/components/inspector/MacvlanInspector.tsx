// The inspector for one macvlan: its node and interface, the host interface it stacks on, its mode,
// addresses, MTU and MAC.
import { MACVLAN_MODES, type Lab, type MacvlanMode, type MacvlanSpec } from '@patchbay/topology';
import { hostInterfaces, macvlanId, updateMacvlan } from '../../model/macvlan-edit';
import { setOptional } from '../inspector-model';
import { useCtx, useEdit } from './context';
import { ProblemList, ReadOnly, SelectField, TextField, useFieldMeta } from './fields';
import { AddressMtuUp, DeleteSelected } from './shared-fields';

const MODE_HINT: Record<MacvlanMode, string> = {
  bridge: 'bridge: macvlans of one parent talk directly',
  private: 'private: they never talk to each other',
  vepa: 'vepa: only through the switch outside (hairpin)',
  passthru: 'passthru: this macvlan takes the parent alone',
};

export function MacvlanInspector({ lab, id }: { lab: Lab; id: string }) {
  const { store } = useCtx();
  const edit = useEdit();
  const index = (lab.macvlans ?? []).findIndex((m) => macvlanId(m) === id);
  const m = lab.macvlans?.[index];
  const path = `macvlans[${index}]`;
  const meta = useFieldMeta(path, true);
  if (!m) return null;
  const set = <K extends keyof MacvlanSpec>(key: K, value: MacvlanSpec[K] | undefined) =>
    edit((l) => updateMacvlan(l, id, setOptional(m, key, value)));
  // A new interface name is a new id: the selection follows it.
  const rename = (name: string) => {
    const next = { ...m, interface: name };
    store.getState().edit((l) => updateMacvlan(l, id, next));
    store.getState().select([], [macvlanId(next)]);
  };
  const parents = hostInterfaces(lab, m.parent.node).map((i) => ({ value: i.name, label: i.name }));
  if (!parents.some((p) => p.value === m.parent.interface))
    parents.unshift({ value: m.parent.interface, label: `${m.parent.interface} (not an interface of the host)` });
  return (
    <section className="pb-insp-section" data-testid="inspector-macvlan">
      <h2>macvlan</h2>
      <p className="pb-muted mono">
        {m.node}:{m.interface} on {m.parent.node}:{m.parent.interface}
      </p>
      <ProblemList id={meta.errId} list={meta.list} />
      <ReadOnly label="Node" value={m.node} />
      <TextField
        label="Interface"
        path={`${path}.interface`}
        value={m.interface}
        testid="inspector-macvlan-interface"
        live={false}
        validate={(t) => (t ? undefined : 'an interface needs a name')}
        onCommit={rename}
      />
      <SelectField
        label={`Parent (an interface of ${m.parent.node})`}
        path={`${path}.parent.interface`}
        value={m.parent.interface}
        options={parents}
        testid="inspector-macvlan-parent"
        onChange={(v) => set('parent', { ...m.parent, interface: v })}
      />
      <SelectField
        label="Mode"
        path={`${path}.mode`}
        value={m.mode ?? 'bridge'}
        options={MACVLAN_MODES.map((x) => ({ value: x, label: MODE_HINT[x] }))}
        testid="inspector-macvlan-mode"
        onChange={(v) => set('mode', v as MacvlanMode)}
      />
      <AddressMtuUp
        path={path}
        testid="inspector-macvlan"
        addresses={m.addresses}
        mtu={m.mtu}
        up={m.up}
        addressPlaceholder="192.168.50.10/24"
        mtuPlaceholder="the parent's"
        onAddresses={(v) => set('addresses', v)}
        onMtu={(v) => set('mtu', v)}
        onUp={(v) => set('up', v)}
      />
      <TextField
        label="MAC"
        path={`${path}.mac`}
        value={m.mac}
        placeholder="kernel-generated"
        testid="inspector-macvlan-mac"
        onCommit={(t) => set('mac', t)}
      />
      <DeleteSelected what="macvlan" />
    </section>
  );
}
