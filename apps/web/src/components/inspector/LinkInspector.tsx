// The inspector for one link: its two ends (interface name, addresses, MTU, MAC, flags, the port
// flags and anti-spoofing of an end on a bridge, and the VLAN of an end on a VLAN-filtering
// bridge) and the link's MTU.
import { isBridge, type Lab, type LinkEndSpec, type LinkSpec } from '@patchbay/topology';
import { editLink, editLinkEnd, parseNumberField, renameInterface, setOptional } from '../inspector-model';
import { useCtx, useEdit } from './context';
import { CheckField, NumberField, ProblemList, ReadOnly, TextField, useFieldMeta } from './fields';
import { BridgePortFields } from './BridgePortFields';
import { AddressList } from './lists';
import { DeleteSelected } from './shared-fields';

export function LinkInspector({ lab, id, index, link }: { lab: Lab; id: string; index: number; link: LinkSpec }) {
  const edit = useEdit();
  const path = `links[${index}]`;
  const meta = useFieldMeta(path, true);
  return (
    <section className="pb-insp-section">
      <h2>Link</h2>
      <p className="pb-muted mono">
        {link.a.node}:{link.a.interface} ↔ {link.b.node}:{link.b.interface}
      </p>
      <ProblemList id={meta.errId} list={meta.list} />
      {(['a', 'b'] as const).map((side) => (
        <LinkEndFields key={side} lab={lab} id={id} path={`${path}.${side}`} side={side} end={link[side]} />
      ))}
      <NumberField
        label="MTU (both ends)"
        path={`${path}.mtu`}
        value={link.mtu}
        placeholder="1500"
        testid="inspector-link-mtu"
        onCommit={(v) => edit((l) => editLink(l, id, (k) => setOptional(k, 'mtu', v)))}
      />
      <DeleteSelected what="link" />
    </section>
  );
}

function LinkEndFields({
  lab,
  id,
  path,
  side,
  end,
}: {
  lab: Lab;
  id: string;
  path: string;
  side: 'a' | 'b';
  end: LinkEndSpec;
}) {
  const { store } = useCtx();
  const edit = useEdit();
  const set = <K extends keyof LinkEndSpec>(key: K, value: LinkEndSpec[K] | undefined) =>
    edit((l) => editLinkEnd(l, id, side, (e) => setOptional(e, key, value)));
  const renameIface = (name: string) => {
    let newId = id;
    store.getState().edit((l) => {
      const r = renameInterface(l, id, side, name);
      newId = r.id;
      return r.lab;
    });
    const sel = store.getState().selected;
    if (newId !== id && sel.links.includes(id))
      store.getState().select(
        sel.nodes,
        sel.links.map((x) => (x === id ? newId : x)),
      );
  };
  const nodeSpec = lab.nodes[end.node];
  const onBridge = nodeSpec !== undefined && isBridge(nodeSpec);
  const showVlan = onBridge && (nodeSpec.vlanFiltering === true || end.vlan !== undefined);
  const meta = useFieldMeta(path, true);
  return (
    <fieldset className="pb-end" data-testid={`inspector-link-${side}`}>
      <legend>
        End {side.toUpperCase()}: <span className="mono">{end.node}</span>
      </legend>
      <ProblemList id={meta.errId} list={meta.list} />
      <ReadOnly label="Node" value={`${end.node}${nodeSpec ? ` (${nodeSpec.kind})` : ''}`} />
      <TextField
        label="Interface"
        path={`${path}.interface`}
        value={end.interface}
        testid={`inspector-link-${side}-interface`}
        live={false}
        validate={(t) => (t ? undefined : 'an interface needs a name')}
        onCommit={renameIface}
      />
      <AddressList
        label="Addresses"
        path={`${path}.addresses`}
        values={end.addresses}
        placeholder="10.0.0.1/24"
        testid={`inspector-link-${side}-addresses`}
        onChange={(v) => set('addresses', v)}
      />
      <NumberField
        label="MTU"
        path={`${path}.mtu`}
        value={end.mtu}
        placeholder="1500"
        testid={`inspector-link-${side}-mtu`}
        onCommit={(v) => set('mtu', v)}
      />
      <TextField
        label="MAC"
        path={`${path}.mac`}
        value={end.mac}
        placeholder="02:00:00:00:00:01"
        testid={`inspector-link-${side}-mac`}
        onCommit={(t) => set('mac', t)}
      />
      <div className="pb-checks">
        <CheckField
          label="Up"
          path={`${path}.up`}
          checked={end.up !== false}
          testid={`inspector-link-${side}-up`}
          onChange={(c) => set('up', c ? undefined : false)}
        />
        <CheckField
          label="Proxy ARP"
          path={`${path}.proxyArp`}
          checked={end.proxyArp === true}
          testid={`inspector-link-${side}-proxyarp`}
          onChange={(c) => set('proxyArp', c ? true : undefined)}
        />
      </div>
      {onBridge && (
        <BridgePortFields
          path={`${path}.bridgePort`}
          side={side}
          port={end.bridgePort}
          onChange={(v) => set('bridgePort', v)}
        />
      )}
      {showVlan && <VlanFields path={`${path}.vlan`} end={end} onChange={(v) => set('vlan', v)} />}
    </fieldset>
  );
}

function VlanFields({
  path,
  end,
  onChange,
}: {
  path: string;
  end: LinkEndSpec;
  onChange: (v: LinkEndSpec['vlan']) => void;
}) {
  const vlan = end.vlan ?? {};
  return (
    <div className="pb-list-row">
      <NumberField
        label="VLAN pvid"
        path={`${path}.pvid`}
        value={vlan.pvid}
        className="pb-narrow"
        onCommit={(v) => onChange(setOptional(vlan, 'pvid', v))}
      />
      <TextField
        label="Tagged VLANs"
        path={`${path}.tagged`}
        value={vlan.tagged?.join(', ')}
        placeholder="10, 20"
        className="pb-grow"
        validate={(t) =>
          t === '' || t.split(/[\s,]+/).every((x) => parseNumberField(x).kind === 'number')
            ? undefined
            : 'a list of VLAN numbers, such as 10, 20'
        }
        onCommit={(t) => onChange(setOptional(vlan, 'tagged', t ? t.split(/[\s,]+/).map(Number) : undefined))}
      />
    </div>
  );
}
