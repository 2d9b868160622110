// The node kinds, dragged onto the canvas (or clicked: added and selected).
import type { NodeKind } from '@patchbay/topology';
import { PALETTE_MIME } from './Canvas';

const KINDS: { kind: NodeKind; label: string; hint: string }[] = [
  { kind: 'netns', label: 'Namespace', hint: 'a network namespace (a container)' },
  { kind: 'host', label: 'Host', hint: 'a machine: forwards, hosts bridges and VXLAN' },
  { kind: 'router', label: 'Router', hint: 'a namespace that forwards between links' },
  { kind: 'bridge', label: 'Bridge', hint: "a Linux bridge (in a host, or the lab's own)" },
];

export function Palette({ onAdd, onAddService }: { onAdd: (kind: NodeKind) => void; onAddService?: () => void }) {
  return (
    <aside className="pb-palette" aria-label="Node kinds">
      <h2>Add</h2>
      {KINDS.map((k) => (
        <button
          key={k.kind}
          type="button"
          className={`pb-palette-item kind-${k.kind}`}
          draggable
          title={`${k.hint} — drag onto the canvas, or click`}
          data-testid={`palette-${k.kind}`}
          onDragStart={(e) => {
            e.dataTransfer.setData(PALETTE_MIME, k.kind);
            e.dataTransfer.effectAllowed = 'move';
          }}
          onClick={() => onAdd(k.kind)}
        >
          {k.label}
        </button>
      ))}
      {onAddService && (
        <button
          type="button"
          className="pb-palette-item kind-service"
          title="a Kubernetes Service (ClusterIP, ports, endpoints): the selected nodes become its endpoints"
          data-testid="palette-service"
          onClick={onAddService}
        >
          Service
        </button>
      )}
      <p className="pb-hint">Drag from a node's edge to another node to connect them with a veth pair.</p>
    </aside>
  );
}
