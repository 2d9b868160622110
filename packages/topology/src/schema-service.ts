// JSON Schema (TypeBox) of Kubernetes Services (model-service.ts); schema.ts places it in the lab.
import { Type } from '@sinclair/typebox';
import { NODE_PORT_MAX, NODE_PORT_MIN } from './model-service.js';
import { NAME_RE } from './naming.js';

const Port = (description: string) => Type.Integer({ minimum: 1, maximum: 65535, description });

export const ServicePortSchema = Type.Object(
  {
    name: Type.Optional(
      Type.String({
        pattern: NAME_RE.source,
        description: 'Port name, [a-z][a-z0-9-]{0,23}; required when the Service has more than one port.',
      }),
    ),
    port: Port('The port clients connect to on the ClusterIP.'),
    targetPort: Type.Optional(Port('The port the endpoints listen on; default `port`.')),
    protocol: Type.Optional(
      Type.Union([Type.Literal('tcp'), Type.Literal('udp')], { description: 'tcp (default) or udp.' }),
    ),
    nodePort: Type.Optional(
      Type.Integer({
        minimum: NODE_PORT_MIN,
        maximum: NODE_PORT_MAX,
        description: `Also reachable on this port of every address of the proxy nodes (${NODE_PORT_MIN}–${NODE_PORT_MAX}).`,
      }),
    ),
  },
  { additionalProperties: false, description: 'One port of a Service.' },
);

export const ServiceEndpointSchema = Type.Object(
  {
    node: Type.String({ description: 'The node (a pod: netns, host or router) serving the Service.' }),
    address: Type.Optional(
      Type.String({ description: "Which of the node's addresses; default its first one of the ClusterIP's family." }),
    ),
  },
  { additionalProperties: false, description: 'An endpoint of a Service.' },
);

export const ServiceSchema = Type.Object(
  {
    name: Type.String({ pattern: NAME_RE.source, description: 'Service name, [a-z][a-z0-9-]{0,23}, unique.' }),
    clusterIP: Type.String({ description: 'The virtual address of the Service (no interface holds it).' }),
    ports: Type.Array(ServicePortSchema, { minItems: 1, description: 'At least one port.' }),
    endpoints: Type.Array(ServiceEndpointSchema, {
      description: 'Where connections go, one chosen at random per connection; may be empty.',
    }),
    nodes: Type.Optional(
      Type.Array(Type.String(), {
        description:
          'Host or router nodes where kube-proxy writes the chains; default every host node and the implicit host of bridges without one.',
      }),
    ),
  },
  { additionalProperties: false, description: "A Kubernetes Service, realized as kube-proxy's iptables mode does." },
);
