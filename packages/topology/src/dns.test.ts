// DNS in lab terms (dns.ts, validate-dns.ts): the records, the dnsmasq lines, the resolver files
// and their plan operations with exact commands, and every problem code.
import { describe, expect, it } from 'vitest';
import {
  desiredResolvFiles,
  dnsProcesses,
  dnsRecords,
  dnsServerCommand,
  planResolvFiles,
  resolvConfText,
} from './dns.js';
import type { Lab } from './model.js';
import { parseLabText } from './parse.js';
import { opCommand } from './plan-types.js';
import { desiredProcesses } from './run.js';

function labOf(
  nodes: Record<string, unknown>,
  extraLinks: unknown[] = [],
): { lab?: Lab; codes: string[]; warnings: string[] } {
  const text = JSON.stringify({
    name: 'd',
    nodes: { br0: { kind: 'bridge', addresses: ['10.0.0.1/24'] }, ...nodes },
    links: [
      { a: { node: 'srv', interface: 'eth0', addresses: ['10.0.0.53/24'] }, b: { node: 'br0', interface: 'v-srv' } },
      { a: { node: 'c1', interface: 'eth0', addresses: ['10.0.0.11/24'] }, b: { node: 'br0', interface: 'v-c1' } },
      ...extraLinks,
    ],
  });
  const r = parseLabText(text);
  return { lab: r.lab, codes: r.problems.map((p) => p.code), warnings: (r.warnings ?? []).map((p) => p.code) };
}
const base = {
  srv: { kind: 'netns', dnsServer: { domain: 'lab.internal' } },
  c1: { kind: 'netns', dns: { nameservers: ['10.0.0.53'], search: ['lab.internal'], ndots: 2 } },
};

describe('dns records and servers', () => {
  it('dnsRecords lists every node that has an address, bridges too, sorted', () => {
    const { lab, codes } = labOf(base);
    expect(codes).toEqual([]);
    expect(dnsRecords(lab!)).toEqual([
      { name: 'br0', addresses: ['10.0.0.1'] },
      { name: 'c1', addresses: ['10.0.0.11'] },
      { name: 'srv', addresses: ['10.0.0.53'] },
    ]);
  });

  it('a Kubernetes Service is a record too: its name answers its ClusterIP', () => {
    const { lab } = labOf(base);
    const withService: Lab = {
      ...lab!,
      services: [{ name: 'api', clusterIP: '10.96.0.20', ports: [{ port: 80 }], endpoints: [{ node: 'c1' }] }],
    };
    expect(dnsRecords(withService)).toContainEqual({ name: 'api', addresses: ['10.96.0.20'] });
    expect(dnsServerCommand(dnsRecords(withService))).toContain('--host-record=api,10.96.0.20');
  });

  it("a server's dnsmasq line: no upstream, every query logged, each name bare and in the domain", () => {
    expect(dnsServerCommand([{ name: 'web', addresses: ['10.0.0.10'] }], { domain: 'lab.internal' })).toBe(
      'exec dnsmasq --keep-in-foreground --log-facility=- --log-queries --no-resolv --no-hosts --no-poll --pid-file= --local=/#/ --host-record=web,web.lab.internal,10.0.0.10',
    );
    expect(dnsServerCommand([], { listen: '127.0.0.11' })).toContain('--listen-address=127.0.0.11 --bind-interfaces');
  });

  it('servers are processes of their nodes (dns-server, docker-dns); a changed record changes the line', () => {
    const { lab } = labOf({ ...base, c1: { kind: 'netns', dns: 'docker' } });
    const p = dnsProcesses(lab!, 'pb-');
    expect(p.map((x) => `${x.ns} ${x.name}`)).toEqual(['pb-d.c1 docker-dns', 'pb-d.srv dns-server']);
    const keys = desiredProcesses(lab!, 'pb-').map((d) => d.key);
    const moved = labOf({ ...base, c1: { kind: 'netns', dns: 'docker' } }, [
      {
        a: { node: 'srv', interface: 'eth1', addresses: ['10.1.0.53/24'] },
        b: { node: 'c1', interface: 'eth1', addresses: ['10.1.0.11/24'] },
      },
    ]).lab!;
    const after = desiredProcesses(moved, 'pb-').map((d) => d.key);
    expect(after).toHaveLength(2);
    expect(after.filter((k) => keys.includes(k))).toEqual([]);
  });
});

describe('resolver files', () => {
  it('resolv.conf text: nameservers, search, ndots; the docker preset', () => {
    expect(resolvConfText({ nameservers: ['10.0.0.53', '10.0.0.54'], search: ['a.b', 'b'], ndots: 5 })).toBe(
      '# written by Patchbay from the lab file (dns:)\nnameserver 10.0.0.53\nnameserver 10.0.0.54\nsearch a.b b\noptions ndots:5\n',
    );
    expect(resolvConfText('docker')).toBe(
      '# written by Patchbay from the lab file (dns:)\nnameserver 127.0.0.11\noptions ndots:0\n',
    );
  });

  it('plans a write only where the file is missing, differs or its namespace is made again; a removal where dns: went', () => {
    const { lab } = labOf(base);
    const desired = desiredResolvFiles(lab!, 'pb-');
    expect(desired.map((d) => d.ns)).toEqual(['pb-d.c1']);
    const fresh = planResolvFiles(desired, []);
    expect(fresh.map((o) => `${o.phase} ${o.action} ${o.subject.node}`)).toEqual(['process add c1']);
    expect(opCommand(fresh[0]!)).toBe(
      "mkdir -p /etc/netns/pb-d.c1 && printf '%s\\n' '# written by Patchbay from the lab file (dns:)' 'nameserver 10.0.0.53' 'search lab.internal' 'options ndots:2' > /etc/netns/pb-d.c1/resolv.conf",
    );
    const same = [{ ns: 'pb-d.c1', node: 'c1', content: desired[0]!.content }];
    expect(planResolvFiles(desired, same)).toEqual([]);
    expect(planResolvFiles(desired, same, { replaced: new Set(['pb-d.c1']) }).map((o) => o.action)).toEqual(['add']);
    const edited = planResolvFiles(desired, [{ ns: 'pb-d.c1', node: 'c1', content: 'nameserver 1.2.3.4\n' }]);
    expect(edited.map((o) => `${o.action} ${o.reason}`)).toEqual([
      "change node c1's resolver settings differ from its dns: (changed in the lab, or edited inside the node)",
    ]);
    const gone = planResolvFiles([], same);
    expect(gone.map((o) => `${o.phase} ${o.action}`)).toEqual(['unprocess remove']);
    expect(opCommand(gone[0]!)).toBe('rm -f /etc/netns/pb-d.c1/resolv.conf && rmdir /etc/netns/pb-d.c1');
  });
});

describe('validation', () => {
  it.each([
    [{ nameservers: ['10.0.0.53', '10.0.0.54', '10.0.0.55', '10.0.0.56'] }, 'dns.nameservers.too-many'],
    [{ nameservers: ['999.1.1.1'] }, 'dns.nameserver.invalid'],
    [{ search: ['Bad_Domain'] }, 'dns.search.invalid'],
    [{ search: ['a', 'b', 'c', 'd', 'e', 'f', 'g'] }, 'dns.search.too-many'],
    [{ ndots: 16 }, 'dns.ndots.range'],
    [{ ndots: -1 }, 'dns.ndots.range'],
  ])('dns %j is refused with %s', (dns, code) => {
    expect(labOf({ ...base, c1: { kind: 'netns', dns } }).codes).toContain(code);
  });

  it('a server domain must be a domain name; a server cannot also be docker; run: names of DNS servers are reserved', () => {
    expect(labOf({ ...base, srv: { kind: 'netns', dnsServer: { domain: 'no spaces' } } }).codes).toEqual([
      'dns.domain.invalid',
    ]);
    expect(labOf({ ...base, srv: { kind: 'netns', dnsServer: true, dns: 'docker' } }).codes).toEqual([
      'dns.server-and-docker',
    ]);
    expect(labOf({ ...base, c1: { kind: 'netns', run: [{ name: 'dns-server', command: 'sleep 1' }] } }).codes).toEqual([
      'dns.reserved-name',
    ]);
  });

  it('the schema refuses unknown keys and a bridge with dns', () => {
    expect(labOf({ ...base, c1: { kind: 'netns', dns: { nameserver: ['10.0.0.1'] } } }).codes.length).toBeGreaterThan(
      0,
    );
    expect(labOf({ ...base, br0: { kind: 'bridge', dnsServer: true } }).codes.length).toBeGreaterThan(0);
    expect(labOf({ ...base, c1: { kind: 'netns', dns: 'podman' } }).codes.length).toBeGreaterThan(0);
  });
});
