import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Lab } from './model.js';
import { parseLabText } from './parse.js';
import { checkLab, validateLab } from './validate.js';

const lab = (text: string): Lab => parse(text) as Lab;

const routerBetweenBridges = (left: string, right: string) =>
  lab(`
name: t
nodes:
  br0: { kind: bridge }
  br1: { kind: bridge }
  r1: { kind: router }
links:
  - a: { node: r1, interface: eth0, addresses: [${left}] }
    b: { node: br0, interface: br0-r1 }
  - a: { node: r1, interface: eth1, addresses: [${right}] }
    b: { node: br1, interface: br1-r1 }
`);

describe('addr.subnet-overlap (a warning)', () => {
  it('reports a router with the same /24 on both sides, as a warning that does not stop the lab', () => {
    const l = routerBetweenBridges('192.168.100.1/24', '192.168.100.2/24');
    const { problems, warnings } = checkLab(l);
    expect(problems).toEqual([]);
    expect(validateLab(l)).toEqual([]);
    expect(warnings).toEqual([
      {
        path: 'links[1].a.addresses[0]',
        code: 'addr.subnet-overlap',
        severity: 'warning',
        message:
          "r1 has eth0 192.168.100.1/24 and eth1 192.168.100.2/24 in one subnet (192.168.100.0/24): the kernel sends that subnet's traffic out of one of them only, so hosts behind the other are unreachable; give each interface its own subnet",
      },
    ]);
  });

  it('reports overlapping subnets of different lengths', () => {
    const { warnings } = checkLab(routerBetweenBridges('10.0.0.1/16', '10.0.5.1/24'));
    expect(warnings.map((w) => w.message)).toEqual([
      expect.stringContaining('in overlapping subnets (10.0.0.0/16 and 10.0.5.0/24)'),
    ]);
  });

  it('says nothing about distinct subnets, /32 addresses (Calico, Flannel) or two addresses of one interface', () => {
    expect(checkLab(routerBetweenBridges('192.168.100.1/24', '192.168.101.1/24')).warnings).toEqual([]);
    expect(checkLab(routerBetweenBridges('10.244.0.1/24', '10.244.0.0/32')).warnings).toEqual([]);
    const oneIface = lab(`
name: t
nodes: { a: { kind: netns }, b: { kind: netns } }
links:
  - a: { node: a, interface: eth0, addresses: [10.0.0.1/24, 10.0.0.9/24] }
    b: { node: b, interface: eth0, addresses: [10.0.0.2/24] }
`);
    expect(checkLab(oneIface).warnings).toEqual([]);
  });

  it('checks a bridge address against the links of the host it lives in', () => {
    const hosted = lab(`
name: t
nodes:
  h: { kind: host }
  n: { kind: netns }
  br0: { kind: bridge, host: h, addresses: [172.17.0.1/16] }
links:
  - a: { node: h, interface: eth0, addresses: [172.17.5.1/24] }
    b: { node: n, interface: eth0, addresses: [172.17.5.2/24] }
`);
    expect(checkLab(hosted).warnings).toEqual([
      expect.objectContaining({ path: 'links[0].a.addresses[0]', code: 'addr.subnet-overlap' }),
    ]);
  });

  it('is reported once per pair of interfaces, and by the parser as warnings next to the problems', () => {
    const r = parseLabText(
      JSON.stringify(routerBetweenBridges('192.168.100.1/24', '192.168.100.2/24')).replace(
        '"addresses":["192.168.100.2/24"]',
        '"addresses":["192.168.100.2/24","192.168.100.3/24"]',
      ),
    );
    expect(r.problems).toEqual([]);
    expect(r.warnings?.map((w) => w.path)).toEqual(['links[1].a.addresses[0]']);
  });
});
