// Semantic checks of Services (LAB-FORMAT.md "services"): a ClusterIP no interface holds and no
// other Service uses, ports unique per protocol and named when there are several, NodePorts unique
// in the lab, endpoints that are nodes with an address of the ClusterIP's family, and proxy nodes
// (where kube-proxy writes the chains) that are host or router nodes.
import { formatIPv4, parseIPv4 } from './addr.js';
import { canonicalIp, formatIPv6, parseIPv6 } from './addr6.js';
import { addressFamily, endpointAddress, serviceProxyNodes } from './compile-service.js';
import { NODE_PORT_MAX, NODE_PORT_MIN, SERVICE_PROTOCOLS } from './model-service.js';
import { IMPLICIT_HOST } from './naming.js';
import { type Ctx, arr, checkName, isInt, unknownNodeMessage } from './validate-context.js';

export function checkServices(ctx: Ctx): void {
  const services = arr(ctx.lab.services);
  const names = new Map<string, number>();
  const clusterIPs = new Map<string, string>();
  const nodePorts = new Map<number, string>();
  const held = new Map<string, string>();
  for (const ns of ctx.allNamespaces()) {
    for (const a of ns.addresses) held.set(formatIPv4(a.parsed.addr), a.place.path);
    for (const a of ns.addresses6) held.set(formatIPv6(a.parsed.addr), a.place.path);
  }

  services.forEach((s, i) => {
    const path = `services[${i}]`;
    if (!s || typeof s !== 'object') return;
    if (checkName(ctx, `${path}.name`, 'service name', s.name)) {
      const prev = names.get(s.name);
      if (prev !== undefined)
        ctx.add(`${path}.name`, 'service.duplicate', `service ${s.name} is already defined (services[${prev}])`);
      else names.set(s.name, i);
    }
    const label = `service ${String(s.name)}`;
    const ipPath = `${path}.clusterIP`;
    const v6 = typeof s.clusterIP === 'string' && addressFamily(s.clusterIP) === 6;
    if (
      typeof s.clusterIP !== 'string' ||
      (v6 ? parseIPv6(s.clusterIP) === undefined : parseIPv4(s.clusterIP) === undefined)
    ) {
      ctx.add(
        ipPath,
        'service.clusterip-invalid',
        `${label}: ${String(s.clusterIP)} is not an IPv4 or IPv6 address (no /len)`,
      );
    } else {
      const ip = canonicalIp(s.clusterIP);
      const where = held.get(ip);
      if (where)
        ctx.add(
          ipPath,
          'service.clusterip-in-use',
          `${label}: ${s.clusterIP} is an interface address (${where}); a ClusterIP is virtual, no interface may hold it`,
        );
      const other = clusterIPs.get(ip);
      if (other)
        ctx.add(ipPath, 'service.clusterip-duplicate', `${label}: ClusterIP ${s.clusterIP} is already ${other}'s`);
      else clusterIPs.set(ip, String(s.name));
    }
    checkPorts(ctx, path, label, s.ports, nodePorts);
    checkEndpoints(ctx, path, label, s);
    checkProxyNodes(ctx, path, label, s);
  });
}

type ServiceInput = NonNullable<NonNullable<Ctx['lab']['services']>[number]>;

function checkPorts(
  ctx: Ctx,
  path: string,
  label: string,
  ports: ServiceInput['ports'],
  nodePorts: Map<number, string>,
) {
  const list = arr(ports);
  if (list.length === 0) ctx.add(`${path}.ports`, 'service.ports', `${label} needs at least one port`);
  const seen = new Map<string, number>();
  const portNames = new Set<string>();
  list.forEach((p, k) => {
    const pp = `${path}.ports[${k}]`;
    if (!p || typeof p !== 'object') return;
    if (list.length > 1 && !p.name)
      ctx.add(`${pp}.name`, 'service.port-name', `${label} has several ports: each needs a name (as in Kubernetes)`);
    if (p.name) {
      if (portNames.has(p.name))
        ctx.add(`${pp}.name`, 'service.port-name', `${label}: port name ${p.name} is used twice`);
      portNames.add(p.name);
    }
    const proto = p.protocol ?? 'tcp';
    if (!(SERVICE_PROTOCOLS as readonly string[]).includes(proto))
      ctx.add(`${pp}.protocol`, 'service.port-invalid', `${label}: protocol must be tcp or udp`);
    for (const key of ['port', 'targetPort'] as const) {
      const v = p[key];
      if (v !== undefined && !isInt(v, 1, 65535))
        ctx.add(`${pp}.${key}`, 'service.port-invalid', `${label}: ${key} must be a port number 1–65535`);
    }
    const key = `${proto}/${p.port}`;
    if (seen.has(key))
      ctx.add(
        `${pp}.port`,
        'service.port-duplicate',
        `${label}: ${proto} port ${p.port} is listed twice (ports[${seen.get(key)}])`,
      );
    else seen.set(key, k);
    if (p.nodePort !== undefined) {
      if (!isInt(p.nodePort, NODE_PORT_MIN, NODE_PORT_MAX)) {
        ctx.add(
          `${pp}.nodePort`,
          'service.nodeport-range',
          `${label}: nodePort ${String(p.nodePort)} is outside Kubernetes' NodePort range ${NODE_PORT_MIN}–${NODE_PORT_MAX}`,
        );
      } else {
        const other = nodePorts.get(p.nodePort);
        if (other)
          ctx.add(
            `${pp}.nodePort`,
            'service.nodeport-duplicate',
            `${label}: nodePort ${p.nodePort} is already used by ${other}`,
          );
        else nodePorts.set(p.nodePort, label);
      }
    }
  });
}

function checkEndpoints(ctx: Ctx, path: string, label: string, s: ServiceInput): void {
  const family = typeof s.clusterIP === 'string' ? addressFamily(s.clusterIP) : 4;
  const seen = new Set<string>();
  arr(s.endpoints).forEach((e, k) => {
    const ep = `${path}.endpoints[${k}]`;
    if (!e || typeof e !== 'object') return;
    const node = ctx.nodeMap.get(e.node);
    if (!node) {
      ctx.add(
        `${ep}.node`,
        'ref.unknown',
        unknownNodeMessage(ctx, e.node, "a Service's endpoint is a node of this lab"),
      );
      return;
    }
    if (node.kind === 'bridge') {
      ctx.add(`${ep}.node`, 'ref.kind', `${e.node} is a bridge; an endpoint is a pod (a netns, host or router node)`);
      return;
    }
    const nsOfNode = ctx.nsOf(e.node);
    const own = [
      ...(nsOfNode?.addresses.map((a) => formatIPv4(a.parsed.addr)) ?? []),
      ...(nsOfNode?.addresses6.map((a) => formatIPv6(a.parsed.addr)) ?? []),
    ];
    if (e.address !== undefined && !own.includes(canonicalIp(String(e.address)))) {
      ctx.add(
        `${ep}.address`,
        'service.endpoint-address',
        `${label}: ${String(e.address)} is not an address of ${e.node} (it has ${own.join(', ') || 'none'})`,
      );
      return;
    }
    if (e.address !== undefined && addressFamily(e.address) !== family) {
      ctx.add(
        `${ep}.address`,
        'service.endpoint-family',
        `${label}: ${e.address} is IPv${addressFamily(e.address)} but the ClusterIP is IPv${family}; kube-proxy sends to endpoints of the ClusterIP's family`,
      );
      return;
    }
    const address = endpointAddress(ctx.lab, e.node, family, e.address);
    if (!address) {
      ctx.add(
        `${ep}.node`,
        'service.endpoint-no-address',
        `${label}: endpoint ${e.node} has no IPv${family} address to send to`,
      );
      return;
    }
    if (seen.has(canonicalIp(address)))
      ctx.add(ep, 'service.endpoint-duplicate', `${label}: endpoint ${address} (${e.node}) is listed twice`);
    seen.add(canonicalIp(address));
  });
}

function checkProxyNodes(ctx: Ctx, path: string, label: string, s: ServiceInput): void {
  if (s.nodes === undefined) {
    if (serviceProxyNodes(ctx.lab, s).length === 0)
      ctx.add(
        `${path}.nodes`,
        'service.no-proxy',
        `${label}: the lab has no host node (nor a bridge on the implicit host) for kube-proxy to write its chains in; name host or router nodes in nodes`,
      );
    return;
  }
  arr(s.nodes).forEach((name, k) => {
    const node = ctx.nodeMap.get(name);
    const np = `${path}.nodes[${k}]`;
    if (name === IMPLICIT_HOST) return;
    if (!node) ctx.add(np, 'ref.unknown', unknownNodeMessage(ctx, name, 'kube-proxy runs on a node of this lab'));
    else if (node.kind !== 'host' && node.kind !== 'router')
      ctx.add(np, 'ref.kind', `${name} is a ${node.kind}; kube-proxy's chains go on host or router nodes`);
  });
}
