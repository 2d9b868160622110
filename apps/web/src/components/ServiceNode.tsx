// A Kubernetes Service on the canvas: its name, ClusterIP and ports, with an edge to each endpoint
// (drawn from the Service to a node, a connection adds that node as an endpoint).
import { BaseEdge, Handle, Position, getStraightPath, type EdgeProps, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import type { ServiceEndpointFlowEdge, ServiceFlowNode } from '../model/graph';
import { servicePortsText } from '../model/service-edit';

function ServiceNodeView({ data, selected }: NodeProps<ServiceFlowNode>) {
  const s = data.service;
  const cls = ['pb-node', 'pb-node-service', selected ? 'selected' : '', data.problems ? 'has-problems' : '']
    .filter(Boolean)
    .join(' ');
  return (
    <div className={cls} data-testid={`service-${s.name}`}>
      {[Position.Top, Position.Right, Position.Bottom, Position.Left].map((p) => (
        <Handle key={p} id={p} type="source" position={p} className="pb-handle" />
      ))}
      <div className="pb-node-head">
        <span className="pb-node-icon" aria-hidden>
          ⎈
        </span>
        <span className="pb-node-name">{s.name}</span>
        <span className="pb-node-kind">service</span>
      </div>
      <div className="pb-node-addr mono">{s.clusterIP}</div>
      <div className="pb-node-addr mono">{servicePortsText(s)}</div>
      <div className="pb-muted">
        {s.endpoints.length} endpoint{s.endpoints.length === 1 ? '' : 's'}
      </div>
    </div>
  );
}
export const ServiceNode = memo(ServiceNodeView);

function ServiceEndpointEdgeView({ id, sourceX, sourceY, targetX, targetY }: EdgeProps<ServiceEndpointFlowEdge>) {
  const [path] = getStraightPath({ sourceX, sourceY, targetX, targetY });
  return <BaseEdge id={id} path={path} className="pb-service-endpoint" />;
}
export const ServiceEndpointEdge = memo(ServiceEndpointEdgeView);
