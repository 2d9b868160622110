// The bridge-port settings of a link end on a bridge: the kernel's port flags (hairpin, learning,
// flood, isolated) and ebtables anti-spoofing. A flag at its default is left out of the file.
import { DEFAULT_PORT_FLAGS, type BridgePortSpec, type PortFlags } from '@patchbay/topology';
import { CheckField } from './fields';

const FLAGS: { key: keyof PortFlags; label: string; hint: string }[] = [
  { key: 'hairpin', label: 'Hairpin', hint: 'frames may go back out of the port they came in by' },
  { key: 'learning', label: 'Learning', hint: 'the bridge learns source MACs on this port' },
  { key: 'flood', label: 'Flood', hint: 'unknown-unicast frames are flooded to this port' },
  { key: 'isolated', label: 'Isolated', hint: 'isolated ports cannot talk to each other' },
];

/** `port` with `key` set; a value equal to the default (false for antiSpoof) is dropped. */
export function setPortFlag(
  port: BridgePortSpec | undefined,
  key: keyof BridgePortSpec,
  on: boolean,
): BridgePortSpec | undefined {
  const fallback = key === 'antiSpoof' ? false : DEFAULT_PORT_FLAGS[key];
  const next: BridgePortSpec = { ...(port ?? {}) };
  if (on === fallback) delete next[key];
  else next[key] = on;
  return Object.keys(next).length ? next : undefined;
}

export function BridgePortFields(props: {
  path: string;
  side: 'a' | 'b';
  port: BridgePortSpec | undefined;
  onChange: (port: BridgePortSpec | undefined) => void;
}) {
  const { path, side, port } = props;
  const value = (key: keyof PortFlags) => port?.[key] ?? DEFAULT_PORT_FLAGS[key];
  return (
    <div className="pb-checks" data-testid={`inspector-link-${side}-bridgeport`}>
      {FLAGS.map((f) => (
        <CheckField
          key={f.key}
          label={f.label}
          path={`${path}.${f.key}`}
          checked={value(f.key)}
          hint={f.hint}
          testid={`inspector-link-${side}-${f.key}`}
          onChange={(c) => props.onChange(setPortFlag(port, f.key, c))}
        />
      ))}
      <CheckField
        label="Anti-spoofing"
        path={`${path}.antiSpoof`}
        checked={port?.antiSpoof === true}
        hint="ebtables: only the far end's MAC and addresses may enter by this port (the far end needs a MAC)"
        testid={`inspector-link-${side}-antispoof`}
        onChange={(c) => props.onChange(setPortFlag(port, 'antiSpoof', c))}
      />
    </div>
  );
}
