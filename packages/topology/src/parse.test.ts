import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { formatProblem, labToJson, labToYaml, parseLab, parseLabText, parseLabValue } from './parse.js';
import type { Problem } from './model.js';

// The example labs of the repository (examples/): the lab format's examples, each must parse.
const EXAMPLES = join(import.meta.dirname, '../../../examples/');
const examples = readdirSync(EXAMPLES)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => [f, readFileSync(EXAMPLES + f, 'utf8')] as const);

const codes = (ps: Problem[]) => ps.map((p) => `${p.path} ${p.code}`);

describe('spec examples', () => {
  it('there are examples to check', () => {
    expect(examples.length).toBeGreaterThanOrEqual(4);
  });
  it.each(examples)('%s parses with zero problems', (_f, text) => {
    const r = parseLabText(text);
    expect(r.problems).toEqual([]);
    expect(r.lab?.name).toMatch(/^[a-z]/);
  });
  it.each(examples)('%s round-trips through labToYaml and labToJson', (_f, text) => {
    const lab = parseLabText(text).lab!;
    const y = parseLabText(labToYaml(lab));
    expect(y.problems).toEqual([]);
    expect(y.lab).toEqual(lab);
    const j = parseLabText(labToJson(lab));
    expect(j.problems).toEqual([]);
    expect(j.lab).toEqual(lab);
  });
});

describe('serialization', () => {
  it('writes keys in a stable order whatever the input order', () => {
    const text =
      '{"links": [], "overlays": [], "nodes": {"b": {"routes": [{"via": "10.0.0.1", "to": "default"}], "kind": "netns"}}, "description": "d", "name": "x"}';
    const lab = parseLabText(text).lab!;
    const yaml = labToYaml(lab);
    expect(yaml.indexOf('name:')).toBeLessThan(yaml.indexOf('description:'));
    expect(yaml.indexOf('description:')).toBeLessThan(yaml.indexOf('nodes:'));
    expect(yaml.indexOf('nodes:')).toBeLessThan(yaml.indexOf('links:'));
    expect(yaml.indexOf('links:')).toBeLessThan(yaml.indexOf('overlays:'));
    expect(yaml).toContain('to: default, via: 10.0.0.1');
    const json = labToJson(lab);
    expect(Object.keys(JSON.parse(json))).toEqual(['name', 'description', 'nodes', 'links', 'overlays']);
    expect(Object.keys(JSON.parse(json).nodes.b)).toEqual(['kind', 'routes']);
    expect(json.endsWith('}\n')).toBe(true);
  });
});

describe('file-level problems', () => {
  it('refuses files over maxBytes', () => {
    const r = parseLabText(examples[0]![1], { maxBytes: 100 });
    expect(codes(r.problems)).toEqual([' file.too-large']);
    expect(r.problems[0]!.message).toContain('the limit is 100 bytes');
    expect(codes(parseLabText('x'.repeat(1024 * 1024 + 1)).problems)).toEqual([' file.too-large']);
  });
  it('reports YAML syntax errors with line and column', () => {
    const r = parseLabText('name: t\nnodes: [a,\nlinks: []\n');
    expect(r.lab).toBeUndefined();
    expect(r.problems.length).toBeGreaterThan(0);
    expect(r.problems[0]).toMatchObject({ path: '', code: 'yaml.syntax' });
    expect(r.problems[0]!.message).toMatch(/line \d+, column \d+/);
  });
  it('reports duplicate keys (e.g. a node defined twice)', () => {
    const r = parseLabText('name: t\nnodes:\n  a: { kind: netns }\n  a: { kind: host }\nlinks: []\n');
    expect(r.problems[0]!.code).toBe('yaml.syntax');
    expect(r.problems[0]!.message).toContain('line 4, column 3');
  });
  it('an empty file or a list is not a lab', () => {
    expect(codes(parseLabText('').problems)).toEqual([' schema.type']);
    expect(codes(parseLabText('- a\n').problems)).toEqual([' schema.type']);
  });
  it('accepts JSON', () => {
    const r = parseLab('{"name": "j", "nodes": {"a": {"kind": "netns"}}, "links": []}');
    expect(r.problems).toEqual([]);
    expect(r.lab).toEqual({ name: 'j', nodes: { a: { kind: 'netns' } }, links: [] });
  });
});

const lab = (nodes: string, links = '[]') => `name: t\nnodes:\n${nodes}\nlinks: ${links}\n`;

describe('structural problems', () => {
  it('unknown kind lists the kinds', () => {
    const r = parseLabText(lab('  web: { kind: hots }'));
    expect(codes(r.problems)).toEqual(['nodes.web.kind schema.enum']);
    expect(formatProblem(r.problems[0]!)).toBe(
      'nodes.web.kind: must be one of host, netns, router, bridge, not the text "hots"',
    );
  });
  it('missing kind', () => {
    expect(codes(parseLabText(lab('  web: { routes: [] }')).problems)).toEqual(['nodes.web.kind schema.required']);
  });
  it('checks a node against the schema of its own kind only', () => {
    const r = parseLabText(lab('  br0: { kind: bridge, routes: [] }\n  web: { kind: netns, host: x }'));
    expect(codes(r.problems)).toEqual(['nodes.br0.routes schema.unknown-field', 'nodes.web.host schema.unknown-field']);
  });
  it('unknown fields, with a suggestion for typos', () => {
    const r = parseLabText(lab('  web: { kind: netns, colour: red, forwardign: true }'));
    expect(codes(r.problems)).toEqual([
      'nodes.web.colour schema.unknown-field',
      'nodes.web.forwardign schema.unknown-field',
    ]);
    expect(r.problems[0]!.message).toContain('unknown field');
    expect(r.problems[1]!.message).toBe('unknown field; did you mean forwarding?');
  });
  it('required fields of link ends', () => {
    const r = parseLabText(
      lab('  a: { kind: netns }\n  b: { kind: netns }', '[{ a: { node: a }, b: { node: b, interface: eth0 } }]'),
    );
    expect(codes(r.problems)).toEqual(['links[0].a.interface schema.required']);
    expect(formatProblem(r.problems[0]!)).toBe('links[0].a.interface: required');
  });
  it('wrong types, with paths into routes', () => {
    const r = parseLabText(lab('  web: { kind: netns, routes: [{ to: default, via: 3 }], forwarding: "yes" }'));
    expect(codes(r.problems)).toEqual(['nodes.web.routes[0].via schema.type', 'nodes.web.forwarding schema.type']);
    expect(r.problems[1]!.message).toBe('must be true or false, not the text "yes"');
  });
  it('routes and overlay members are resolved by their fields, not dumped as unions', () => {
    const r = parseLabText(
      `${lab('  web: { kind: netns, routes: [{ to: default, via: 10.0.0.1, dev: eth0 }] }')}overlays:\n  - { name: o, vni: 1, members: [{ bridge: a, host: b }, { local: 1.2.3.4 }] }\n`,
    );
    // via + dev has the shape of an IPv6 route through a link-local gateway, so the structure passes
    // and validation refuses it for an IPv4 gateway (after the structural problems).
    expect(codes(r.problems)).toEqual([
      'overlays[0].members[0] overlay.invalid',
      'overlays[0].members[1] overlay.invalid',
      'nodes.web.routes[0] route.invalid',
    ]);
  });
  it('returns every problem at once', () => {
    const r = parseLabText('name: t\nnodes:\n  a: { kind: hots }\n  b: { kind: netns, x: 1 }\nlinks: {}\nextra: 1\n');
    expect(codes(r.problems).sort()).toEqual([
      'extra schema.unknown-field',
      'links schema.type',
      'nodes.a.kind schema.enum',
      'nodes.b.x schema.unknown-field',
    ]);
  });
  it('reports value constraints with the semantic codes, alongside hard errors', () => {
    const r = parseLabText(lab('  br0: { kind: bridge, mtu: 10, colour: red }'));
    expect(codes(r.problems).sort()).toEqual(['nodes.br0.colour schema.unknown-field', 'nodes.br0.mtu mtu.invalid']);
  });
});

describe('semantic problems', () => {
  it('runs validateLab once the structure is right, and returns the lab', () => {
    const r = parseLabText(
      lab(
        '  web: { kind: netns, routes: [{ to: default, via: 10.9.9.9 }] }',
        '[{ a: { node: web, interface: eth0, addresses: [192.168.100.10/24] }, b: { node: web, interface: eth1 } }]',
      ),
    );
    expect(r.lab).toBeDefined();
    expect(codes(r.problems)).toEqual(['nodes.web.routes[0].via route.unreachable']);
    expect(formatProblem(r.problems[0]!)).toBe(
      'nodes.web.routes[0].via: gateway 10.9.9.9 is not on any subnet connected to web (eth0 192.168.100.10/24)',
    );
  });
  it('range and pattern problems of a well-formed lab come from validateLab only', () => {
    const r = parseLabText(
      lab('  br0: { kind: bridge, mtu: 10, addresses: [10.0.0.999/24] }').replace('name: t', 'name: T'),
    );
    expect(codes(r.problems)).toEqual([
      'name name.invalid',
      'nodes.br0.mtu mtu.invalid',
      'nodes.br0.addresses[0] addr.invalid',
    ]);
  });
  it('passes size limits through', () => {
    expect(codes(parseLabText(lab('  a: { kind: netns }\n  b: { kind: netns }'), { maxNodes: 1 }).problems)).toEqual([
      'nodes lab.too-large',
    ]);
  });
});

describe('YAML 1.2 scalars', () => {
  it('reads an unquoted MAC as text and "yes" as text, not a boolean', () => {
    const text = lab(
      '  a: { kind: netns }\n  b: { kind: netns }',
      '[{ a: { node: a, interface: eth0, mac: 02:42:ac:11:00:02 }, b: { node: b, interface: eth0, up: yes } }]',
    );
    const r = parseLabText(text);
    expect(codes(r.problems)).toEqual(['links[0].b.up schema.type']);
    expect(parseLabText(text.replace('up: yes', 'up: false')).lab?.links[0]?.a.mac).toBe('02:42:ac:11:00:02');
  });
  it('gives the message the spec shows for a bad gateway', () => {
    const r = parseLabText(lab('  web: { kind: netns, routes: [{ to: default, via: 10.0.0.999 }] }'));
    expect(r.problems.map(formatProblem)).toEqual(['nodes.web.routes[0].via: 10.0.0.999 is not an IPv4 address']);
  });
});

describe('every problem at once', () => {
  it('reports meaning problems alongside structural ones', () => {
    const text = [
      'name: bad',
      'nodes:',
      '  a: { kind: netns }',
      '  b: { kind: nets }',
      'links:',
      '  - a: { node: a, interface: eth0, addresses: [10.0.0.999/24] }',
      '    b: { node: c, interface: eth0 }',
    ].join('\n');
    const paths = parseLabText(text).problems.map((p) => p.path);
    expect(paths).toContain('nodes.b.kind');
    expect(paths).toContain('links[0].a.addresses[0]');
    expect(paths).toContain('links[0].b.node');
    expect(new Set(paths).size).toBe(paths.length);
  });
});

describe('parseLabValue (a document already parsed, e.g. a JSON request body)', () => {
  const broken: unknown[] = [
    null,
    [1, 2],
    'name: x',
    42,
    {},
    {
      name: 'Bad Name',
      nodes: { a: { kind: 'netns' }, b: { kind: 'nope' } },
      links: [{ a: { node: 'a' }, b: { node: 'zz' } }],
    },
    { name: 'x', nodes: { a: { kind: 'netns', extra: 1 } }, links: 'no' },
    {
      name: 'x',
      nodes: { a: { kind: 'netns' } },
      links: [{ a: { node: 'a', interface: 'e0' }, b: { node: 'a', interface: 'e0' } }],
    },
  ];
  it.each(examples)('%s: the same lab as parsing its text', (_f, text) => {
    const fromText = parseLabText(text);
    const fromValue = parseLabValue(JSON.parse(labToJson(fromText.lab!)));
    expect(fromValue.problems).toEqual([]);
    expect(fromValue.lab).toEqual(fromText.lab);
  });
  it.each(broken.map((v) => [JSON.stringify(v), v] as const))('%s: the same problems as its JSON text', (_t, v) => {
    expect(parseLabValue(v).problems).toEqual(parseLabText(JSON.stringify(v)).problems);
  });
});
