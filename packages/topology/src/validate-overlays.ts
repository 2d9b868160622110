// Overlay (VXLAN) rules. Each member puts one VXLAN device into a host's namespace, and that device
// needs an underlay address of the host to send from: `local`, or the host's only address. The
// underlay is what the host's own links carry; bridge and VTEP addresses are not an underlay.

import { parseCidr, parseIPv4 } from './addr.js';
import { isBridgeMember, type OverlaySpec } from './model.js';
import { deviceName } from './naming.js';
import {
  Ctx,
  RESERVED_IFNAMES,
  arr,
  checkMtu,
  checkName,
  isInt,
  listAddresses,
  unknownNodeMessage,
} from './validate-context.js';

export function checkOverlays(ctx: Ctx): void {
  const names = new Map<string, number>();
  const vnis = new Map<number, number>();
  arr(ctx.lab.overlays).forEach((ov, i) => {
    const path = `overlays[${i}]`;
    if (checkName(ctx, `${path}.name`, 'overlay name', ov.name)) {
      const dev = deviceName(ov.name);
      if (Object.prototype.hasOwnProperty.call(RESERVED_IFNAMES, dev)) {
        ctx.add(
          `${path}.name`,
          'iface.invalid',
          `an overlay cannot be named ${ov.name}, because its VXLAN devices would be named ${dev}: ${RESERVED_IFNAMES[dev]}`,
        );
      }
      const prev = names.get(ov.name);
      if (prev !== undefined)
        ctx.add(`${path}.name`, 'overlay.duplicate', `overlay name ${ov.name} is already used by overlays[${prev}]`);
      else names.set(ov.name, i);
    }
    if (!isInt(ov.vni, 1, 16777215)) {
      ctx.add(`${path}.vni`, 'overlay.invalid', `vni ${String(ov.vni)} must be a whole number from 1 to 16777215`);
    } else {
      const prev = vnis.get(ov.vni);
      if (prev !== undefined)
        ctx.add(
          `${path}.vni`,
          'overlay.duplicate',
          `vni ${ov.vni} is already used by overlays[${prev}]; each overlay needs its own VNI`,
        );
      else vnis.set(ov.vni, i);
    }
    if (ov.port !== undefined && !isInt(ov.port, 1, 65535)) {
      ctx.add(`${path}.port`, 'overlay.invalid', `port ${String(ov.port)} must be a whole number from 1 to 65535`);
    }
    checkMtu(ctx, `${path}.mtu`, ov.mtu);
    checkMembers(ctx, ov, path);
  });
}

function checkMembers(ctx: Ctx, ov: OverlaySpec, path: string): void {
  const members = arr(ov.members);
  if (members.length < 2) {
    ctx.add(
      `${path}.members`,
      'overlay.members',
      `an overlay needs at least 2 members to join; it has ${members.length}`,
    );
  }
  const hostsSeen = new Map<string, number>();
  members.forEach((m, j) => {
    const mpath = `${path}.members[${j}]`;
    const host = memberHost(ctx, m, mpath);
    if (host === undefined) return;
    const prev = hostsSeen.get(host);
    if (prev !== undefined) {
      ctx.add(
        mpath,
        'overlay.same-host',
        `${host} already has a member of overlay ${ov.name} (${path}.members[${prev}]); a host takes one VTEP per overlay`,
      );
      return;
    }
    hostsSeen.set(host, j);
    checkUnderlay(ctx, host, m.local, mpath);

    const ns = ctx.nsOf(host);
    if (!ns) return;
    const dev = typeof ov.name === 'string' ? deviceName(ov.name) : String(ov.name);
    const label = `VXLAN device ${dev} of overlay ${ov.name}`;
    ctx.addIface(ns, dev, { path: mpath, label });
    if (!isBridgeMember(m)) {
      arr(m.addresses).forEach((a, k) => ctx.addAddress(ns, dev, a, { path: `${mpath}.addresses[${k}]`, label }));
    }
  });
}

/** The host node a member's VTEP lives in, or undefined (after reporting) when there is none. */
function memberHost(ctx: Ctx, m: OverlaySpec['members'][number], mpath: string): string | undefined {
  if (isBridgeMember(m)) {
    const bridge = ctx.nodeMap.get(m.bridge);
    if (!bridge) {
      ctx.add(`${mpath}.bridge`, 'ref.unknown', unknownNodeMessage(ctx, m.bridge, 'bridge: must name a bridge node'));
      return undefined;
    }
    if (bridge.kind !== 'bridge') {
      ctx.add(
        `${mpath}.bridge`,
        'ref.kind',
        `${m.bridge} is a ${bridge.kind}; bridge: must name a bridge node (for a host, use host: instead)`,
      );
      return undefined;
    }
    if (bridge.host === undefined) {
      // With host nodes present, bridge.host-required is already reported on the bridge itself.
      if (ctx.hostNames.length === 0) {
        ctx.add(
          mpath,
          'overlay.no-underlay',
          `bridge ${m.bridge} lives in the lab's implicit bridge host, which has no underlay address; put it in a host node (host: ...) whose links carry the underlay`,
        );
      }
      return undefined;
    }
    return ctx.nodeMap.get(bridge.host)?.kind === 'host' ? bridge.host : undefined;
  }
  const host = ctx.nodeMap.get(m.host);
  if (!host) {
    ctx.add(`${mpath}.host`, 'ref.unknown', unknownNodeMessage(ctx, m.host, 'host: must name a host node'));
    return undefined;
  }
  if (host.kind !== 'host') {
    ctx.add(`${mpath}.host`, 'ref.kind', `${m.host} is a ${host.kind}; host: must name a node of kind host`);
    return undefined;
  }
  return m.host;
}

function checkUnderlay(ctx: Ctx, host: string, local: string | undefined, mpath: string): void {
  const underlay: { iface: string; cidr: string; ip: number }[] = [];
  for (const link of arr(ctx.lab.links)) {
    for (const end of [link.a, link.b]) {
      if (end.node !== host) continue;
      for (const a of arr(end.addresses)) {
        const c = parseCidr(a);
        if (c) underlay.push({ iface: end.interface, cidr: a, ip: c.addr });
      }
    }
  }
  const list = underlay.length ? `its addresses: ${listAddresses(underlay)}` : 'it has no addresses on its links';
  if (local !== undefined) {
    const ip = typeof local === 'string' ? parseIPv4(local) : undefined;
    if (ip === undefined) {
      const hint =
        typeof local === 'string' && parseCidr(local)
          ? `; write it without the prefix length, e.g. ${local.split('/')[0]}`
          : '';
      ctx.add(`${mpath}.local`, 'addr.invalid', `${String(local)} is not an IPv4 address${hint}`);
    } else if (!underlay.some((u) => u.ip === ip)) {
      ctx.add(`${mpath}.local`, 'overlay.local', `${local} is not an address of ${host} (${list})`);
    }
    return;
  }
  if (underlay.length === 1) return;
  if (underlay.length === 0) {
    ctx.add(
      mpath,
      'overlay.no-underlay',
      `${host} has no underlay address for this VTEP (${list}); give one of its link ends an address`,
    );
  } else {
    ctx.add(
      mpath,
      'overlay.no-underlay',
      `${host} has ${underlay.length} addresses (${listAddresses(underlay)}); say which is the underlay with local: <address>`,
    );
  }
}
