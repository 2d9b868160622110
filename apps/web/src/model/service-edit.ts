// Pure edits of a lab's Services, as the editor makes them. A Service is an object of the drawing
// (`service:NAME`), linked to its endpoint nodes by edges; selected, inspected and deleted like a node.
import { isBridge, parseIPv4, formatIPv4, type Lab, type ServiceSpec } from '@patchbay/topology';

export const SERVICE_ID_PREFIX = 'service:';
export const serviceId = (name: string) => `${SERVICE_ID_PREFIX}${name}`;
export const isServiceId = (id: string) => id.startsWith(SERVICE_ID_PREFIX);
export const serviceNameOf = (id: string) => id.slice(SERVICE_ID_PREFIX.length);

/** Kubernetes' default Service range starts at 10.96.0.0; the first free address from .10 on. */
function freeClusterIP(lab: Lab): string {
  const used = new Set((lab.services ?? []).map((s) => s.clusterIP));
  const base = parseIPv4('10.96.0.10')!;
  for (let i = 0; ; i++) {
    const ip = formatIPv4(base + i);
    if (!used.has(ip)) return ip;
  }
}

/** A new Service `svc`, `svc-2`…: port 80, a free ClusterIP, the given endpoints. */
export function addService(lab: Lab, endpoints: readonly string[] = []): { lab: Lab; id: string } {
  const names = new Set((lab.services ?? []).map((s) => s.name));
  let name = 'svc';
  for (let i = 2; names.has(name); i++) name = `svc-${i}`;
  const service: ServiceSpec = {
    name,
    clusterIP: freeClusterIP(lab),
    ports: [{ port: 80 }],
    endpoints: endpoints.map((node) => ({ node })),
  };
  return { lab: { ...lab, services: [...(lab.services ?? []), service] }, id: serviceId(name) };
}

export function updateService(lab: Lab, name: string, next: ServiceSpec): Lab {
  return { ...lab, services: (lab.services ?? []).map((s) => (s.name === name ? next : s)) };
}

/** Adds `node` to the Service's endpoints, or removes it when it is one. */
export function toggleEndpoint(lab: Lab, name: string, node: string): Lab {
  const s = (lab.services ?? []).find((x) => x.name === name);
  if (!s) return lab;
  const has = s.endpoints.some((e) => e.node === node);
  const endpoints = has ? s.endpoints.filter((e) => e.node !== node) : [...s.endpoints, { node }];
  return updateService(lab, name, { ...s, endpoints });
}

/** The nodes that may be endpoints (pods): every node but bridges. */
export function endpointCandidates(lab: Lab): string[] {
  return Object.entries(lab.nodes)
    .filter(([, n]) => !isBridge(n))
    .map(([name]) => name);
}

/**
 * Without the Services whose ids are in `ids`, and without endpoints or proxy nodes naming nodes
 * that are gone (`lab.nodes` is already the new set): a deleted pod leaves its Services.
 */
export function pruneServices(lab: Lab, ids: readonly string[] = []): Lab {
  if (!lab.services) return lab;
  const gone = new Set(ids.filter(isServiceId).map(serviceNameOf));
  const exists = (n: string) => Object.hasOwn(lab.nodes, n);
  const services = lab.services
    .filter((s) => !gone.has(s.name))
    .map((s) => ({
      ...s,
      endpoints: s.endpoints.filter((e) => exists(e.node)),
      ...(s.nodes ? { nodes: s.nodes.filter(exists) } : {}),
    }));
  const { services: _drop, ...rest } = lab;
  return services.length ? { ...rest, services } : rest;
}

/** "80→8080/tcp, 443/tcp :30443" — the ports as the canvas shows them. */
export function servicePortsText(s: ServiceSpec): string {
  return s.ports
    .map((p) => {
      const target = p.targetPort !== undefined && p.targetPort !== p.port ? `→${p.targetPort}` : '';
      return `${p.port}${target}/${p.protocol ?? 'tcp'}${p.nodePort !== undefined ? ` :${p.nodePort}` : ''}`;
    })
    .join(', ');
}
