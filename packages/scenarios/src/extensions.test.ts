// The Patchbay extensions of the scenario format (setup steps, the tcp check's listener) and the
// way back to a file (scenarioToYaml), which the server stores and the editor exports.
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseScenarioText } from './parse.js';
import { scenarioToYaml } from './write.js';
import { EXAMPLE } from '../test/example.js';

const variant = (edit: (s: Record<string, unknown>) => void): string => {
  const s = parse(EXAMPLE) as Record<string, unknown>;
  edit(s);
  return stringify(s);
};
const codes = (text: string) => parseScenarioText(text).problems.map((p) => `${p.path} ${p.code}`);

describe('setup steps', () => {
  it('are accepted and kept in order', () => {
    const r = parseScenarioText(
      variant(
        (s) =>
          (s.setup = [
            { node: 'br0', run: 'ip link set veth-web-br down' },
            { node: 'ns-db', run: 'true' },
          ]),
      ),
    );
    expect(r.problems).toEqual([]);
    expect(r.scenario?.setup).toEqual([
      { node: 'br0', run: 'ip link set veth-web-br down' },
      { node: 'ns-db', run: 'true' },
    ]);
  });
  it('name nodes of the lab, with a run command', () => {
    expect(
      codes(
        variant(
          (s) =>
            (s.setup = [{ node: 'nobody', run: 'true' }, { node: 'ns-db' }, { node: 'ns-db', run: 'x', extra: 1 }]),
        ),
      ),
    ).toEqual([
      'setup[1].run scenario.schema',
      'setup[2].extra scenario.schema',
      'setup[0].node solution.node-unknown',
    ]);
  });
});

describe("the tcp check's listener", () => {
  const tcp = (listen: unknown) =>
    variant(
      (s) =>
        (s.checks = [{ id: 't', title: 'T', type: 'tcp', from: 'ns-web', to: '192.168.100.20', port: 8080, listen }]),
    );
  it('names a node and optionally a port', () => {
    expect(parseScenarioText(tcp({ node: 'ns-db', port: 80 })).scenario?.checks[0]).toMatchObject({
      listen: { node: 'ns-db', port: 80 },
    });
    expect(codes(tcp({ node: 'ns-db' }))).toEqual([]);
  });
  it('must be a node that can run a process, with a valid port', () => {
    expect(codes(tcp({ node: 'nobody' }))).toEqual(['checks[0].listen.node check.node-unknown']);
    expect(codes(tcp({ node: 'br0' }))).toEqual(['checks[0].listen.node check.from-bridge']);
    expect(codes(tcp({ node: 'ns-db', port: 0 }))).toEqual(['checks[0].listen.port scenario.schema']);
  });
});

describe('why: whether students may ask Why?', () => {
  it('is a boolean, absent by default (allowed)', () => {
    expect(parseScenarioText(EXAMPLE).scenario?.why).toBeUndefined();
    expect(parseScenarioText(variant((s) => (s.why = false))).scenario?.why).toBe(false);
    expect(parseScenarioText(variant((s) => (s.why = true))).scenario?.why).toBe(true);
  });
  it('anything else is a schema problem', () => {
    expect(codes(variant((s) => (s.why = 'no')))).toEqual(['why scenario.schema']);
    expect(codes(variant((s) => (s.why = 0)))).toEqual(['why scenario.schema']);
  });
});

describe('scenarioToYaml', () => {
  it('round-trips: the file it writes parses back to the same scenario, fields in the format order', () => {
    const first = parseScenarioText(
      variant((s) => {
        s.setup = [{ node: 'br0', run: 'true' }];
        s.why = false;
      }),
    ).scenario!;
    const text = scenarioToYaml(first);
    const again = parseScenarioText(text);
    expect(again.problems).toEqual([]);
    expect(again.scenario).toEqual(first);
    expect(Object.keys(parse(text) as object)).toEqual([
      'id',
      'title',
      'level',
      'summary',
      'tags',
      'instructions',
      'lab',
      'setup',
      'checks',
      'hints',
      'why',
      'solution',
    ]);
  });
  it('writes a lab given as a path inline', () => {
    const lab = stringify((parse(EXAMPLE) as { lab: unknown }).lab);
    const s = parseScenarioText(
      variant((x) => (x.lab = './lab.yaml')),
      { readLab: () => lab },
    ).scenario!;
    expect(s.labPath).toBe('./lab.yaml');
    const text = scenarioToYaml(s);
    expect((parse(text) as { lab: { name: string } }).lab.name).toBe('forgot-link-up');
    expect(parseScenarioText(text).scenario?.lab).toEqual(s.lab);
  });
});
