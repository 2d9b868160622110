// Semantic validation of a structurally valid lab: names the kernel will accept, references between
// nodes, per-namespace uniqueness of interfaces and addresses, routes, NAT, VLANs and overlays.
// Every problem is collected (never thrown) so the editor can show them all at once.

import { isValidMac, normalizeMac } from './addr.js';
import type { Lab, LinkEndSpec, Problem } from './model.js';
import { deviceName } from './naming.js';
import { checkBridgePorts, checkMacvlans } from './validate-macvlan.js';
import { checkServices } from './validate-service.js';
import { checkOverlays } from './validate-overlays.js';
import { checkRunLines } from './validate-run.js';
import { checkNodeRules } from './validate-routes.js';
import { checkSubnets } from './validate-subnets.js';
import {
  Ctx,
  RESERVED_IFNAMES,
  arr,
  checkMtu,
  checkName,
  ifnameProblem,
  isInt,
  unknownNodeMessage,
  type Place,
} from './validate-context.js';

export interface ValidateOptions {
  /** Default 2000. */
  maxNodes?: number;
  /** Default 4000. */
  maxLinks?: number;
  /** Default 64. */
  maxOverlays?: number;
}

export const DEFAULT_LIMITS = { maxNodes: 2000, maxLinks: 4000, maxOverlays: 64 } as const;

/** Every problem of a lab that stops it from being applied (empty if it is valid). Never throws. */
export function validateLab(lab: Lab, opts: ValidateOptions = {}): Problem[] {
  return checkLab(lab, opts).problems;
}

/**
 * The problems of a lab (errors: it cannot be applied) and its warnings (`severity: 'warning'`: it
 * applies, but probably does not do what was meant). Never throws.
 */
export function checkLab(lab: Lab, opts: ValidateOptions = {}): { problems: Problem[]; warnings: Problem[] } {
  if (lab === null || typeof lab !== 'object')
    return {
      problems: [{ path: '', code: 'lab.invalid', message: 'the lab must be a map with name, nodes and links' }],
      warnings: [],
    };
  const ctx = new Ctx(lab);
  try {
    checkLimits(ctx, opts);
    checkName(ctx, 'name', 'lab name', lab.name);
    checkNodes(ctx);
    checkLinks(ctx);
    checkMacvlans(ctx);
    checkBridgePorts(ctx);
    // Overlays before routes: VXLAN devices and layer 3 VTEP addresses are interfaces and connected
    // subnets that routes and NAT rules may refer to.
    checkOverlays(ctx);
    checkNodeRules(ctx);
    checkSubnets(ctx);
    checkServices(ctx);
    checkRunLines(lab, (path, code, message) => ctx.add(path, code, message));
  } catch (err) {
    // Only reachable with input that bypassed the structural check; still report, never throw.
    ctx.add('', 'lab.invalid', `the lab could not be checked: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { problems: dedupe(ctx.problems), warnings: dedupe(ctx.warnings) };
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\u0000${p.code}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function checkLimits(ctx: Ctx, opts: ValidateOptions): void {
  const limits = { ...DEFAULT_LIMITS, ...opts };
  const counts: [string, number, number, string][] = [
    ['nodes', ctx.nodes.length, limits.maxNodes, 'nodes'],
    ['links', arr(ctx.lab.links).length, limits.maxLinks, 'links'],
    ['overlays', arr(ctx.lab.overlays).length, limits.maxOverlays, 'overlays'],
  ];
  for (const [path, count, max, what] of counts) {
    if (count > max) ctx.add(path, 'lab.too-large', `the lab has ${count} ${what}; at most ${max} are allowed`);
  }
}

function checkNodes(ctx: Ctx): void {
  for (const [name, node] of ctx.nodes) {
    const path = `nodes.${name}`;
    checkName(ctx, path, 'node name', name);
    if (node.kind !== 'bridge') continue;

    const dev = deviceName(name);
    if (Object.prototype.hasOwnProperty.call(RESERVED_IFNAMES, dev)) {
      ctx.add(
        path,
        'iface.invalid',
        `a bridge cannot be named ${name}, because its device would be named ${dev}: ${RESERVED_IFNAMES[dev]}`,
      );
    }
    if (node.host === undefined) {
      if (ctx.hostNames.length > 0) {
        ctx.add(
          `${path}.host`,
          'bridge.host-required',
          `bridge ${name} must say which host it lives in (host: ...), because this lab has host nodes: ${ctx.hostNames.join(', ')}`,
        );
      }
    } else {
      const host = ctx.nodeMap.get(node.host);
      if (!host)
        ctx.add(
          `${path}.host`,
          'ref.unknown',
          unknownNodeMessage(ctx, node.host, 'a bridge lives in a node of kind host'),
        );
      else if (host.kind !== 'host') {
        ctx.add(`${path}.host`, 'ref.kind', `${node.host} is a ${host.kind}; a bridge lives in a node of kind host`);
      }
    }
    checkMtu(ctx, `${path}.mtu`, node.mtu);
    const ns = ctx.nsOf(name);
    if (ns) ctx.addIface(ns, dev, { path, label: `bridge ${name}` });
    arr(node.addresses).forEach((a, i) =>
      ctx.addAddress(ns, dev, a, { path: `${path}.addresses[${i}]`, label: `bridge ${name}` }),
    );
  }
}

function checkLinks(ctx: Ctx): void {
  const macs = new Map<string, string>();
  arr(ctx.lab.links).forEach((link, i) => {
    const path = `links[${i}]`;
    checkMtu(ctx, `${path}.mtu`, link.mtu);
    const { a, b } = link;
    let skipB = false;
    if (a.node === b.node) {
      if (ctx.nodeMap.get(a.node)?.kind === 'bridge') {
        ctx.add(
          path,
          'link.self',
          `both ends of this link are on bridge ${a.node}; a veth pair between two ports of one bridge makes a loop`,
        );
        skipB = true;
      } else if (a.interface === b.interface) {
        ctx.add(
          `${path}.b.interface`,
          'link.self',
          `both ends are ${a.node} ${a.interface}; a link to the same node needs two different interface names`,
        );
        skipB = true;
      }
    }
    checkEnd(ctx, a, `${path}.a`, macs, true);
    checkEnd(ctx, b, `${path}.b`, macs, !skipB);
  });
}

function checkEnd(ctx: Ctx, end: LinkEndSpec, path: string, macs: Map<string, string>, register: boolean): void {
  const node = ctx.nodeMap.get(end.node);
  if (!node)
    ctx.add(
      `${path}.node`,
      'ref.unknown',
      unknownNodeMessage(ctx, end.node, 'a link end must name a node of this lab'),
    );

  const ifProblem = ifnameProblem(end.interface);
  if (ifProblem) ctx.add(`${path}.interface`, 'iface.invalid', ifProblem);

  const label = node?.kind === 'bridge' ? `${end.node} port ${end.interface}` : `${end.node} ${end.interface}`;
  const place: Place = { path: `${path}.interface`, label };
  const ns = node ? ctx.nsOf(end.node) : undefined;
  if (ns && register && !ifProblem) ctx.addIface(ns, end.interface, place);
  arr(end.addresses).forEach((addr, k) =>
    ctx.addAddress(register ? ns : undefined, end.interface, addr, { path: `${path}.addresses[${k}]`, label }),
  );

  checkMtu(ctx, `${path}.mtu`, end.mtu);
  if (end.mac !== undefined) {
    if (typeof end.mac !== 'string' || !isValidMac(end.mac)) {
      ctx.add(`${path}.mac`, 'mac.invalid', macWhy(end.mac));
    } else {
      const key = normalizeMac(end.mac);
      const prev = macs.get(key);
      if (prev)
        ctx.add(
          `${path}.mac`,
          'mac.duplicate',
          `MAC ${end.mac} is already used by ${prev}; MAC addresses must be unique in a lab`,
        );
      else macs.set(key, `${label} (${path})`);
    }
  }
  if (end.vlan !== undefined) checkVlan(ctx, end, path);
}

function macWhy(mac: unknown): string {
  const text = String(mac);
  if (typeof mac === 'string' && /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/.test(mac)) {
    if (/^(00:){5}00$/.test(mac)) return `${text} is the all-zero MAC address, which no interface may carry`;
    return `${text} is a multicast MAC address (the low bit of the first byte is set); use a unicast one such as 02:00:00:00:00:01`;
  }
  return `${text} is not a MAC address; write six hex bytes separated by colons, such as 02:00:00:00:00:01`;
}

function checkVlan(ctx: Ctx, end: LinkEndSpec, path: string): void {
  const node = ctx.nodeMap.get(end.node);
  if (node && (node.kind !== 'bridge' || node.vlanFiltering !== true)) {
    const why =
      node.kind !== 'bridge'
        ? `${end.node} is a ${node.kind}, and only bridge ports carry VLANs`
        : `bridge ${end.node} does not have vlanFiltering: true`;
    ctx.add(
      `${path}.vlan`,
      'vlan.requires-filtering',
      `vlan needs the end's node to be a bridge with vlanFiltering: true; ${why}`,
    );
  }
  const vlan = end.vlan ?? {};
  const bad = (p: string, v: unknown) =>
    ctx.add(p, 'vlan.invalid', `VLAN id ${String(v)} must be a whole number from 1 to 4094`);
  if (vlan.pvid !== undefined && !isInt(vlan.pvid, 1, 4094)) bad(`${path}.vlan.pvid`, vlan.pvid);
  arr(vlan.tagged).forEach((v, k) => {
    if (!isInt(v, 1, 4094)) bad(`${path}.vlan.tagged[${k}]`, v);
  });
}
