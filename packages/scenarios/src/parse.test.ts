import { describe, it, expect } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseScenarioText, formatScenarioProblem, type ScenarioParseOptions } from './parse.js';
import { checkLab, type Problem } from '@patchbay/topology';
import { EXAMPLE } from '../test/example.js';

const base = () => parse(EXAMPLE) as Record<string, unknown>;
const lab = () => base().lab as Record<string, unknown>;
/** The example with `edit` applied, as YAML text. */
function variant(edit: (s: Record<string, unknown>) => void): string {
  const s = base();
  edit(s);
  return stringify(s);
}
const withChecks = (...checks: unknown[]) => variant((s) => (s.checks = checks));
const run = (text: string, opts?: ScenarioParseOptions) => parseScenarioText(text, opts);
const codes = (ps: Problem[]) => ps.map((p) => `${p.path} ${p.code}`);
const c = (extra: Record<string, unknown>) => ({ id: 'x', title: 'X', ...extra });

describe('the SCENARIO-FORMAT example', () => {
  it('parses with no problems', () => {
    const r = run(EXAMPLE);
    expect(r.problems).toEqual([]);
    expect(r.scenario?.id).toBe('forgot-link-up');
    expect(r.scenario?.lab.name).toBe('forgot-link-up');
    expect(r.scenario?.checks[0]).toMatchObject({ type: 'ping', from: 'ns-web', to: '192.168.100.20' });
    expect(r.scenario?.solution).toEqual([{ node: 'br0', run: 'ip link set veth-db-br up' }]);
    expect(r.scenario?.labPath).toBeUndefined();
  });
  it('parses when its lab is broken on purpose with one subnet on two interfaces (a warning, not a problem)', () => {
    const text = variant((s) => {
      const l = s.lab as { nodes: Record<string, unknown>; links: unknown[] };
      l.nodes['r1'] = { kind: 'router' };
      l.links.push(
        {
          a: { node: 'r1', interface: 'eth0', addresses: ['10.1.0.1/24'] },
          b: { node: 'ns-web', interface: 'r1a', addresses: ['10.1.0.2/24'] },
        },
        {
          a: { node: 'r1', interface: 'eth1', addresses: ['10.1.0.3/24'] },
          b: { node: 'ns-db', interface: 'r1b', addresses: ['10.1.0.4/24'] },
        },
      );
    });
    const r = run(text);
    expect(r.problems).toEqual([]);
    expect(checkLab(r.scenario!.lab).warnings.map((w) => w.code)).toEqual(['addr.subnet-overlap']);
  });
  it('parses as JSON too', () => {
    expect(run(JSON.stringify(base())).problems).toEqual([]);
  });
  it('accepts every check type on a valid lab', () => {
    const r = run(
      withChecks(
        c({
          id: 'a',
          type: 'ping',
          from: 'ns-web',
          to: '192.168.100.20',
          count: 3,
          size: 1472,
          dontFragment: true,
          expect: 'fail',
        }),
        c({ id: 'b', type: 'tcp', from: 'ns-web', to: '192.168.100.20', port: 5432 }),
        c({ id: 'c', type: 'interface', node: 'br0', interface: 'veth-db-br', up: true, mtu: 1500, master: 'br0' }),
        c({ id: 'd', type: 'interface', node: 'ns-db', interface: 'veth-db', addresses: ['192.168.100.20/24'] }),
        c({ id: 'e', type: 'route', node: 'ns-web', to: 'default', via: '192.168.100.1', dev: 'veth-web' }),
        c({ id: 'f', type: 'fdb', bridge: 'br0', mac: { node: 'ns-db', interface: 'veth-db' }, port: 'veth-db-br' }),
        c({
          id: 'g',
          type: 'neighbor',
          node: 'ns-web',
          ip: '192.168.100.20',
          mac: { node: 'ns-db', interface: 'veth-db' },
        }),
        c({ id: 'h', type: 'sysctl', node: 'ns-web', key: 'net.ipv4.ip_forward', value: 0 }),
        c({ id: 'i', type: 'command', node: 'ns-web', run: 'ip route', match: '^default via' }),
      ),
    );
    expect(r.problems).toEqual([]);
    expect(r.scenario?.checks).toHaveLength(9);
  });
});

describe('lab given as a path', () => {
  const text = variant((s) => (s.lab = './lab.yaml'));
  it('is read through readLab and resolved', () => {
    const r = run(text, { readLab: (p) => (p === './lab.yaml' ? stringify(lab()) : '') });
    expect(r.problems).toEqual([]);
    expect(r.scenario?.lab.name).toBe('forgot-link-up');
    expect(r.scenario?.labPath).toBe('./lab.yaml');
  });
  it('lab.path-unresolved without readLab', () => {
    const r = run(text);
    expect(codes(r.problems)).toEqual(['lab lab.path-unresolved']);
    expect(r.scenario).toBeUndefined();
  });
  it('lab.unreadable when readLab throws', () => {
    const r = run(text, {
      readLab: () => {
        throw new Error('ENOENT');
      },
    });
    expect(r.problems).toEqual([{ path: 'lab', code: 'lab.unreadable', message: 'cannot read ./lab.yaml: ENOENT' }]);
  });
  it('problems of the lab file are under lab., naming the file', () => {
    const r = run(text, { readLab: () => 'name: x\nnodes: {}\nlinks: [{}]\n' });
    expect(r.problems.length).toBeGreaterThan(0);
    expect(r.problems.every((p) => p.path.startsWith('lab') && p.message.startsWith('in ./lab.yaml: '))).toBe(true);
  });
  it('a lab string that is not a relative path is a schema problem', () => {
    expect(codes(run(variant((s) => (s.lab = 'lab.yaml'))).problems)).toEqual(['lab scenario.schema']);
  });
});

describe('problems', () => {
  it('file.too-large', () => {
    const r = run(`${EXAMPLE}# ${'x'.repeat(256 * 1024)}\n`);
    expect(codes(r.problems)).toEqual([' file.too-large']);
    expect(r.problems[0]!.message).toMatch(/limit is 256 KiB/);
  });
  it('yaml.syntax', () => {
    expect(codes(run('id: [unclosed\n').problems)).toEqual([' yaml.syntax']);
  });
  it('scenario.schema: not a map', () => {
    expect(run('- a\n').problems).toEqual([
      {
        path: '',
        code: 'scenario.schema',
        message: 'the scenario file is a list; it must be a map with id, title, lab, checks…',
      },
    ]);
  });
  it('scenario.schema: paths into checks, missing and unknown fields, enums, ranges', () => {
    const r = run(
      variant((s) => {
        s.level = 'expert';
        delete s.title;
        s.extra = 1;
        s.checks = [
          c({ id: 'a', type: 'ping', to: '10.0.0.1' }),
          c({ id: 'b', type: 'ping', from: 'ns-web', to: '10.0.0.1', count: 11 }),
          c({ id: 'c', type: 'ping', from: 5, to: '10.0.0.1' }),
          c({ id: 'd', type: 'dance' }),
        ];
      }),
    );
    expect(codes(r.problems)).toEqual([
      'title scenario.schema',
      'extra scenario.schema',
      'level scenario.schema',
      'checks[0].from scenario.schema',
      'checks[1].count scenario.schema',
      'checks[2].from scenario.schema',
      'checks[3].type scenario.schema',
    ]);
    expect(r.problems.map(formatScenarioProblem)).toContain(
      'level: must be one of beginner, intermediate, advanced, not the text "expert"',
    );
    expect(r.problems.map(formatScenarioProblem)).toContain('checks[1].count: 11 must be a whole number from 1 to 10');
    expect(r.problems.map(formatScenarioProblem)).toContain('checks[2].from: must be text, not the number 5');
    expect(r.scenario).toBeUndefined();
  });
  it('scenario.schema: bad scenario id, no checks, bad solution step', () => {
    const r = run(
      variant((s) => {
        s.id = 'Bad_Id';
        s.checks = [];
        s.solution = [{ node: 'br0' }];
      }),
    );
    expect(codes(r.problems)).toEqual([
      'id scenario.schema',
      'checks scenario.schema',
      'solution[0].run scenario.schema',
    ]);
  });
  it('lab.* : the lab is checked by topology, its codes kept and paths prefixed with lab.', () => {
    const bad = run(variant((s) => ((s.lab as Record<string, unknown>).name = 'Bad')));
    expect(codes(bad.problems)).toEqual(['lab.name name.invalid']);
    expect(bad.scenario).toBeDefined();
    const broken = run(variant((s) => ((s.lab as { links: { b: { node: string } }[] }).links[0]!.b.node = 'nope')));
    expect(codes(broken.problems)).toContain('lab.links[0].b.node ref.unknown');
    const shapeless = run(variant((s) => ((s.lab as Record<string, unknown>).nodes = { x: { kind: 'switch' } })));
    expect(codes(shapeless.problems)).toContain('lab.nodes.x.kind schema.enum');
    expect(shapeless.scenario).toBeUndefined();
  });
  it('check.id-duplicate', () => {
    const r = run(
      withChecks(
        c({ id: 'same', type: 'sysctl', node: 'ns-web', key: 'a.b', value: '1' }),
        c({ id: 'same', type: 'sysctl', node: 'ns-db', key: 'a.b', value: '1' }),
      ),
    );
    expect(r.problems).toEqual([
      { path: 'checks[1].id', code: 'check.id-duplicate', message: 'check id "same" is already used by checks[0]' },
    ]);
  });
  it('check.node-unknown, in every place a check names a node', () => {
    const r = run(
      withChecks(
        c({ id: 'a', type: 'ping', from: 'ns-wbe', to: '192.168.100.20' }),
        c({ id: 'b', type: 'interface', node: 'ghost', interface: 'eth0', master: 'br9' }),
        c({ id: 'c', type: 'fdb', bridge: 'br0', mac: { node: 'ghost', interface: 'eth0' } }),
        c({ id: 'd', type: 'command', node: 'ghost', run: 'true' }),
      ),
    );
    expect(codes(r.problems)).toEqual([
      'checks[0].from check.node-unknown',
      'checks[1].node check.node-unknown',
      'checks[1].master check.node-unknown',
      'checks[2].mac.node check.node-unknown',
      'checks[3].node check.node-unknown',
    ]);
    expect(r.problems[0]!.message).toBe('no node "ns-wbe" in the lab (nodes: br0, ns-db, ns-web)');
    expect(r.scenario).toBeDefined(); // semantic problems keep the scenario
  });
  it('solution.node-unknown', () => {
    expect(
      codes(run(variant((s) => (s.solution = [{ node: 'br1', run: 'ip link set veth-db-br up' }]))).problems),
    ).toEqual(['solution[0].node solution.node-unknown']);
  });
  it('check.interface-unknown: link ends, bridge ports, route dev, fdb port', () => {
    const r = run(
      withChecks(
        c({ id: 'a', type: 'interface', node: 'ns-web', interface: 'veth-db' }),
        c({ id: 'b', type: 'interface', node: 'br0', interface: 'veth-web' }),
        c({ id: 'c', type: 'route', node: 'ns-web', to: '10.0.0.0/8', dev: 'eth0' }),
        c({ id: 'd', type: 'fdb', bridge: 'br0', mac: { node: 'ns-db', interface: 'veth-db' }, port: 'veth-db' }),
        c({
          id: 'e',
          type: 'neighbor',
          node: 'ns-web',
          ip: '192.168.100.20',
          mac: { node: 'ns-db', interface: 'eth0' },
        }),
      ),
    );
    expect(codes(r.problems)).toEqual([
      'checks[0].interface check.interface-unknown',
      'checks[1].interface check.interface-unknown',
      'checks[2].dev check.interface-unknown',
      'checks[3].port check.interface-unknown',
      'checks[4].mac.interface check.interface-unknown',
    ]);
    expect(r.problems[0]!.message).toBe('ns-web has no interface "veth-db" in the lab (interfaces: lo, veth-web)');
    expect(r.problems[1]!.message).toBe(
      'br0 has no interface "veth-web" in the lab (interfaces: br0, veth-db-br, veth-web-br)',
    );
    expect(r.problems[3]!.message).toBe('"veth-db" is not a port of br0 (ports: veth-db-br, veth-web-br)');
  });
  it('knows a macvlan as an interface of its node', () => {
    const text = variant((s) => {
      const l = s.lab as { nodes: Record<string, unknown>; links: unknown[]; macvlans?: unknown[] };
      l.nodes['h'] = { kind: 'host' };
      (l.nodes['br0'] as Record<string, unknown>).host = 'h';
      l.nodes['r'] = { kind: 'router' };
      l.links.push({
        a: { node: 'h', interface: 'eth0', addresses: ['192.168.50.2/24'] },
        b: { node: 'r', interface: 'eth0', addresses: ['192.168.50.1/24'] },
      });
      l.macvlans = [{ node: 'ns-web', interface: 'mv0', parent: { node: 'h', interface: 'eth0' } }];
      s.checks = [c({ type: 'interface', node: 'ns-web', interface: 'mv0', up: true })];
    });
    expect(run(text).problems).toEqual([]);
    expect(codes(run(text.replace('interface: mv0\n    up', 'interface: mv1\n    up')).problems)).toEqual([
      'checks[0].interface check.interface-unknown',
    ]);
  });
  it('check.not-bridge: fdb bridge and interface master', () => {
    const r = run(
      withChecks(
        c({ id: 'a', type: 'fdb', bridge: 'ns-web', mac: { node: 'ns-db', interface: 'veth-db' } }),
        c({ id: 'b', type: 'interface', node: 'ns-db', interface: 'veth-db', master: 'ns-web' }),
      ),
    );
    expect(codes(r.problems)).toEqual(['checks[0].bridge check.not-bridge', 'checks[1].master check.not-bridge']);
    expect(r.problems[0]!.message).toBe('ns-web is not a bridge (bridges: br0)');
  });
  it('check.from-bridge: ping and tcp from a bridge', () => {
    const r = run(
      withChecks(
        c({ id: 'a', type: 'ping', from: 'br0', to: '192.168.100.20' }),
        c({ id: 'b', type: 'tcp', from: 'br0', to: '192.168.100.20', port: 80 }),
      ),
    );
    expect(codes(r.problems)).toEqual(['checks[0].from check.from-bridge', 'checks[1].from check.from-bridge']);
  });
  it('check.match-invalid', () => {
    const r = run(withChecks(c({ type: 'command', node: 'ns-web', run: 'ip a', match: '(unclosed' })));
    expect(codes(r.problems)).toEqual(['checks[0].match check.match-invalid']);
    expect(r.problems[0]!.message).toMatch(/^not a valid regular expression: /);
  });
  it('check.address-invalid: to, via, ip, addresses', () => {
    const r = run(
      withChecks(
        c({ id: 'a', type: 'ping', from: 'ns-web', to: '192.168.100.300' }),
        c({ id: 'b', type: 'route', node: 'ns-web', to: '10.0.0.0/40', via: '1.2.3.999' }),
        c({ id: 'c', type: 'neighbor', node: 'ns-web', ip: '01.2.3.4', mac: { node: 'ns-db', interface: 'veth-db' } }),
        c({ id: 'd', type: 'interface', node: 'ns-db', interface: 'veth-db', addresses: ['192.168.100.20/33'] }),
      ),
    );
    expect(codes(r.problems)).toEqual([
      'checks[0].to check.address-invalid',
      'checks[1].to check.address-invalid',
      'checks[1].via check.address-invalid',
      'checks[2].ip check.address-invalid',
      'checks[3].addresses[0] check.address-invalid',
    ]);
    expect(r.problems[0]!.message).toBe('192.168.100.300 is not an IPv4 address');
  });
});
