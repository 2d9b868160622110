// A bridge node's own fields: the host it lives in, its addresses, MTU and state, STP, VLAN
// filtering and the bound on learned MACs.
import { isBridge, type BridgeSpec, type Lab } from '@patchbay/topology';
import { unavailableNote, useKernelFeatures } from '../../api/kernel-features';
import { editNode, setOptional } from '../inspector-model';
import { useEdit } from './context';
import { CheckField, NumberField, SelectField, type Option } from './fields';
import { AddressMtuUp } from './shared-fields';

export function BridgeFields({ lab, name, spec }: { lab: Lab; name: string; spec: BridgeSpec }) {
  const edit = useEdit();
  const kernel = useKernelFeatures();
  const path = `nodes.${name}`;
  const set = <K extends keyof BridgeSpec>(key: K, value: BridgeSpec[K] | undefined) =>
    edit((l) => editNode(l, name, (s) => (isBridge(s) ? setOptional(s, key, value) : s)));
  const hosts = Object.entries(lab.nodes)
    .filter(([, s]) => s.kind === 'host')
    .map(([n]) => n);
  const hostOptions: Option[] = [
    { value: '', label: `none (the lab's implicit host)` },
    ...hosts.map((h) => ({ value: h, label: h })),
  ];
  if (spec.host && !hosts.includes(spec.host))
    hostOptions.push({ value: spec.host, label: `${spec.host} (not a host)` });
  return (
    <>
      <SelectField
        label="Lives in host"
        path={`${path}.host`}
        value={spec.host ?? ''}
        options={hostOptions}
        testid="inspector-bridge-host"
        onChange={(v) => set('host', v || undefined)}
      />
      <AddressMtuUp
        path={path}
        testid="inspector-bridge"
        addresses={spec.addresses}
        mtu={spec.mtu}
        up={spec.up}
        addressPlaceholder="192.168.100.1/24"
        mtuPlaceholder="1500"
        onAddresses={(v) => set('addresses', v)}
        onMtu={(v) => set('mtu', v)}
        onUp={(v) => set('up', v)}
      />
      <CheckField
        label="STP (spanning tree)"
        path={`${path}.stp`}
        checked={spec.stp === true}
        testid="inspector-bridge-stp"
        unavailable={unavailableNote(kernel, 'bridge-stp')}
        onChange={(c) => set('stp', c ? true : undefined)}
      />
      <CheckField
        label="VLAN filtering"
        path={`${path}.vlanFiltering`}
        checked={spec.vlanFiltering === true}
        hint="needs kernel support for bridge VLAN filtering"
        testid="inspector-bridge-vlan-filtering"
        unavailable={unavailableNote(kernel, 'bridge-vlan-filtering')}
        onChange={(c) => set('vlanFiltering', c ? true : undefined)}
      />
      <NumberField
        label="Most learned MACs"
        path={`${path}.fdbMaxLearned`}
        value={spec.fdbMaxLearned}
        placeholder="1024"
        testid="inspector-bridge-fdb-max"
        onCommit={(v) => set('fdbMaxLearned', v)}
      />
    </>
  );
}
