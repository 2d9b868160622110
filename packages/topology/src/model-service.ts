// Kubernetes Services in a lab (LAB-FORMAT.md "services"): a virtual address (the ClusterIP) whose
// ports lead to endpoints, realized as kube-proxy's iptables mode writes them (compile-service.ts).

export const SERVICE_PROTOCOLS = ['tcp', 'udp'] as const;
export type ServiceProtocol = (typeof SERVICE_PROTOCOLS)[number];

/** The range Kubernetes allocates NodePorts from (kube-apiserver's --service-node-port-range default). */
export const NODE_PORT_MIN = 30000;
export const NODE_PORT_MAX = 32767;

export interface ServicePortSpec {
  /** Required when the Service has more than one port (as in Kubernetes); part of the chains' hash. */
  name?: string;
  /** The port clients connect to on the ClusterIP. */
  port: number;
  /** The port the endpoints listen on; default `port`. */
  targetPort?: number;
  /** Default tcp. */
  protocol?: ServiceProtocol;
  /** Also reachable on this port of every address of the proxy nodes (30000–32767). */
  nodePort?: number;
}

export interface ServiceEndpointSpec {
  /** The node (a pod) that serves the Service. */
  node: string;
  /** Which of its addresses; default its first address of the ClusterIP's family. */
  address?: string;
}

export interface ServiceSpec {
  /** [a-z][a-z0-9-]{0,23}, unique in the lab; the Service's DNS name. */
  name: string;
  /** The Service's virtual address: no interface holds it, kube-proxy's DNAT gives it meaning. */
  clusterIP: string;
  ports: ServicePortSpec[];
  /** Where connections go, chosen at random (uniformly) per connection; may be empty. */
  endpoints: ServiceEndpointSpec[];
  /**
   * Nodes where kube-proxy writes the Service's chains (host or router nodes); default every host
   * node, and the implicit host of bridges without one.
   */
  nodes?: string[];
}

/** The Kubernetes namespace the chains' hashes and comments name (a lab has only this one). */
export const SERVICE_NAMESPACE = 'default';

/** Each Service's name and ClusterIP: the records a lab DNS server adds for Services. */
export function serviceAddresses(services: readonly ServiceSpec[] | undefined): { name: string; address: string }[] {
  return (services ?? []).map((s) => ({ name: s.name, address: s.clusterIP }));
}
