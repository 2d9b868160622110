// A node on the canvas: its kind, name, addresses, and what the kernel says about it (live).
import { plural } from '@patchbay/topology';
import { Handle, Position, useStore as useFlowStore, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import { liveBadge, type LabFlowNode } from '../model/graph';
import { useWhyNode, WhyDeadNote, WhyNodeBadges, whyNodeClass } from '../why/canvas-marks';

const ICON: Record<string, string> = { host: '🖥', netns: '▣', router: '⇄', bridge: '⎍' };

/** Below this zoom a node is a few pixels tall: draw it without handles and details (bench:web). */
export const DETAIL_ZOOM = 0.45;
export const zoomedOut = (s: { transform: [number, number, number] }) => s.transform[2] < DETAIL_ZOOM;
const HANDLES = [Position.Top, Position.Right, Position.Bottom, Position.Left];

/**
 * Zoomed out, a handle is a plain hidden element where React Flow's would be, with the classes and
 * data attributes React Flow measures a handle by. A real Handle subscribes to React Flow's store
 * (four per node ran at every frame of a drag or a pan: bench:web); but a node measured with no
 * handle at all never gets its links drawn, not even once zoomed in (React Flow measures a node's
 * handles again only when its size changes), which is how a large lab opened zoomed out lost its
 * links. Nothing connects from these: connecting needs the zoom where handles are real.
 */
function MeasuredHandle({ position }: { position: Position }) {
  return (
    <div
      className={`react-flow__handle react-flow__handle-${position} source pb-handle pb-handle-measured`}
      data-handleid={position}
      data-handlepos={position}
      aria-hidden
    />
  );
}

function LabNodeView({ data, selected }: NodeProps<LabFlowNode>) {
  const compact = useFlowStore(zoomedOut);
  const live = data.live;
  const badge = liveBadge(data.kind, live);
  const why = useWhyNode(data.name);
  const cls = [
    'pb-node',
    `pb-node-${data.kind}`,
    selected ? 'selected' : '',
    data.problems ? 'has-problems' : '',
    data.mark ? `mark-${data.mark.state}` : '',
    live?.changed ? 'live-changed' : '',
    data.policyPeer ? 'policy-peer' : '',
    whyNodeClass(why),
  ]
    .filter(Boolean)
    .join(' ');
  return (
    <div className={cls} data-testid={`node-${data.name}`} title={data.mark?.why}>
      {HANDLES.map((p) =>
        compact ? (
          <MeasuredHandle key={p} position={p} />
        ) : (
          <Handle key={p} id={p} type="source" position={p} className="pb-handle" />
        ),
      )}
      <div className="pb-node-head">
        <span className="pb-node-icon" aria-hidden>
          {ICON[data.kind]}
        </span>
        <span className="pb-node-name">{data.name}</span>
        <span className="pb-node-kind">{data.kind}</span>
      </div>
      {data.host && <div className="pb-node-sub">in {data.host}</div>}
      {data.addresses.length > 0 && (
        <div className="pb-node-sub mono">
          {data.addresses.slice(0, 3).join(' ')}
          {data.addresses.length > 3 ? ' …' : ''}
        </div>
      )}
      <div className="pb-node-badges">
        {data.problems > 0 && (
          <span className="badge danger" title="problems: see the inspector">
            {data.problems} ⚠
          </span>
        )}
        {badge && (
          <span className={`badge ${badge.tone}`} title={badge.title} data-testid={`live-badge-${data.name}`}>
            {badge.text}
          </span>
        )}
        {live && live.present && data.kind === 'bridge' && (
          <span
            className={`badge ${live.interfacesUp ? 'ok' : 'warn'}`}
            data-testid={`fdb-count-${data.name}`}
            title="learned FDB entries"
          >
            {plural(live.fdb ?? 0, 'MAC')}
          </span>
        )}
        {data.runs > 0 && (
          <span
            className={`badge ${data.running === undefined || data.running === data.runs ? 'ok' : 'warn'}`}
            data-testid={`run-badge-${data.name}`}
            title={
              data.running === undefined
                ? `runs ${plural(data.runs, 'process', 'processes')} (run:)`
                : `${data.running} of ${plural(data.runs, 'process', 'processes')} running`
            }
          >
            ▶ {data.running === undefined ? data.runs : `${data.running}/${data.runs}`}
          </span>
        )}
        {data.cni && (
          <span
            className="badge"
            data-testid={`cni-badge-${data.name}`}
            title={`attached by CNI plugins: ${data.cni.join('; ')}`}
          >
            CNI {data.cni.length > 1 ? data.cni.length : data.cni[0]!.split(' ')[0]}
          </span>
        )}
        {data.policies && (
          <span
            className="badge policy"
            data-testid={`policy-badge-${data.name}`}
            title={`selected by NetworkPolicy ${data.policies.join(', ')}: only what they allow gets through`}
          >
            🛡 {data.policies.join(', ')}
          </span>
        )}
        {data.policyPeer && (
          <span
            className="badge ok"
            data-testid={`policy-peer-${data.name}`}
            title="a peer the selected pod's policy allows"
          >
            allowed peer
          </span>
        )}
        {data.mark && (
          <span className={`badge ${data.mark.state === 'failed' ? 'danger' : 'ok'}`}>{data.mark.state}</span>
        )}
        {why && <WhyNodeBadges name={data.name} mark={why} />}
      </div>
      {why?.dead && <WhyDeadNote name={data.name} mark={why} />}
    </div>
  );
}

export const LabNode = memo(LabNodeView);
