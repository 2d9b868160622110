// IPv6 in checks: ping targets and route gateways may be IPv6, routes judged in canonical text.
import { describe, expect, it } from 'vitest';
import { judgeRoute } from './assert.js';
import type { RouteCheck } from './model.js';
import { parseScenarioText } from './parse.js';

const scenario = (checks: string) => `
id: t
title: t
level: beginner
summary: s
instructions: "${'x'.repeat(50)}"
lab:
  name: t
  nodes: { a: { kind: netns }, b: { kind: netns } }
  links:
    - a: { node: a, interface: eth0, addresses: ["2001:db8::1/64"] }
      b: { node: b, interface: eth0, addresses: ["2001:db8::2/64"] }
checks:
${checks}
solution:
  - { node: a, run: "true" }
`;

describe('IPv6 checks', () => {
  it('parses ping and route checks with IPv6 addresses', () => {
    const r = parseScenarioText(
      scenario(`  - { id: p, title: p, type: ping, from: a, to: "2001:db8::2" }
  - { id: r, title: r, type: route, node: a, to: "::/0", via: "fe80::1" }`),
    );
    expect(r.problems).toEqual([]);
  });
  it('refuses a malformed IPv6 target with the check code', () => {
    const r = parseScenarioText(scenario(`  - { id: p, title: p, type: ping, from: a, to: "2001:db8::2::1" }`));
    expect(r.problems.map((p) => `${p.path} ${p.code}`)).toEqual(['checks[0].to check.address-invalid']);
  });
  it('judges a route in any spelling against the kernel canonical text', () => {
    const check: RouteCheck = { id: 'r', title: 'r', type: 'route', node: 'a', to: '::/0', via: '2001:DB8:1:0::1' };
    expect(judgeRoute(check, { routes: [{ to: '::/0', via: '2001:db8:1::1', dev: 'eth0' }] }).pass).toBe(true);
    expect(judgeRoute(check, { routes: [{ to: 'default', via: '10.0.0.1', dev: 'eth0' }] }).pass).toBe(false);
  });
});
