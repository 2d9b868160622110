// The live tables' shapes (`patchbay state --json`, docs/cli.md): the protocol sends them as
// `unknown` (it does not depend on the engine), the web app reads them with these types.
export interface InterfaceView {
  name: string;
  kind: string;
  up: boolean;
  mtu?: number;
  mac?: string;
  master?: string;
  addresses: string[];
  peer?: { node: string; interface: string };
  vxlan?: { vni: number; port: number; local: string; remotes: string[] };
}

export interface NeighbourView {
  dst: string;
  dev: string;
  lladdr?: string;
  state?: string[] | string;
}

export interface NodeView {
  node: string;
  kind: 'host' | 'netns' | 'router' | 'implicit-host';
  namespace: string;
  present: boolean;
  forwarding?: boolean;
  interfaces: InterfaceView[];
  routes: { to: string; via?: string; dev?: string }[];
  neighbours: NeighbourView[];
  nat?: { nat: string[]; filter: string[] };
}

export interface FdbEntryView {
  mac: string;
  port: string;
  dst?: string;
  vlan?: number;
  flags: string[];
  state?: string;
}

export interface BridgeView {
  bridge: string;
  host: string;
  namespace: string;
  device: string;
  present: boolean;
  up: boolean;
  stp: boolean;
  vlanFiltering: boolean;
  addresses: string[];
  ports: string[];
  fdb: FdbEntryView[];
}

export interface LabStateView {
  lab: string;
  revision: number;
  nodes: NodeView[];
  bridges: BridgeView[];
}
