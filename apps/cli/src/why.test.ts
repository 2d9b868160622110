// `patchbay why` against the real kernel (the built CLI): a NAT'd reachable path printed hop by hop
// (exit 0), blocked questions with their reason and fix (exit 3), lab problems (exit 1), bad input
// refused before anything is read (exit 2, nothing changed), and --json as the WhyResult schema.
import { schemaErrors, WhyResultSchema, type WhyResult } from '@patchbay/topology';
import { describe, expect, it } from 'vitest';
import { examplePath, rootSnapshot, useCliEnv, type CliResult } from './test-helpers.js';

const t = useCliEnv('pbwsc-');

const LAB = 'docker-bridge';

async function applyDockerBridge(): Promise<void> {
  const r = await t.run(['apply', examplePath('docker-bridge-nat.yaml')]);
  expect(r.code, r.stderr).toBe(0);
}

const show = (r: CliResult) => `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;

describe('patchbay why', () => {
  it('a reachable path: the question, both directions hop by hop with the translated addresses, exit 0', async () => {
    await applyDockerBridge();
    const r = await t.run(['why', LAB, 'a', 'upstream']);
    expect(r.code, show(r)).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('a (172.17.0.2) → upstream (203.0.113.1), icmp, 84 bytes');
    const forward = lines.indexOf('forward:');
    const reply = lines.indexOf('reply:');
    expect(forward).toBeGreaterThan(0);
    expect(reply).toBeGreaterThan(forward);
    // a sends, docker0 switches up to its host, the host masquerades and routes, upstream answers
    const hop = (from: number, node: string, iface: string, action: string) =>
      lines.slice(from).find((l) => new RegExp(`^  ${node} +${iface} +${action} `).test(l));
    expect(hop(forward, 'a', '· → eth0', 'send')).toBeDefined();
    expect(hop(forward, 'docker0', 'veth-a → ·', 'switch')).toBeDefined();
    expect(hop(forward, 'host', 'docker0 → eth0', 'translate')).toMatch(
      /MASQUERADE.*\[203\.0\.113\.10 → 203\.0\.113\.1\]$/,
    );
    expect(hop(forward, 'upstream', 'eth0 → ·', 'deliver')).toBeDefined();
    // the reply goes to the masqueraded address, and conntrack turns it back into a's
    expect(hop(reply, 'upstream', '· → eth0', 'send')).toMatch(/\[203\.0\.113\.1 → 203\.0\.113\.10\]$/);
    expect(hop(reply, 'host', 'eth0 → ·', 'translate')).toMatch(/\[203\.0\.113\.1 → 172\.17\.0\.2\]$/);
    expect(hop(reply, 'a', 'eth0 → ·', 'deliver')).toBeDefined();
    expect(lines).toContain('reachable');
    expect(r.stderr).toBe('');

    // --json: the WhyResult as it is, the same verdict and exit code
    const json = await t.run(['why', LAB, 'a', 'upstream', '--json']);
    expect(json.code, show(json)).toBe(0);
    const result = JSON.parse(json.stdout) as WhyResult;
    expect(schemaErrors(WhyResultSchema, result)).toEqual([]);
    expect(result).toMatchObject({ lab: LAB, reachable: true, query: { src: '172.17.0.2', dst: '203.0.113.1' } });
    expect(result.forward.map((h) => h.node)).toEqual(['a', 'docker0', 'host', 'host', 'upstream']);
  });

  it('blocked: the node, the reason and the fix, exit 3 (also with --json)', async () => {
    await applyDockerBridge();
    // upstream has no route back into 172.17.0.0/16
    const noRoute = await t.run(['why', LAB, 'upstream', 'a', '--no-probe']);
    expect(noRoute.code, show(noRoute)).toBe(3);
    expect(noRoute.stdout).toMatch(/^upstream → a \(172\.17\.0\.2\), icmp, 84 bytes$/m);
    expect(noRoute.stdout).toMatch(/^blocked at upstream: no-route — upstream has no route to 172\.17\.0\.2/m);
    expect(noRoute.stdout).toMatch(/^fix: add a route for 172\.17\.0\.2/m);
    // the request arrives, but nothing listens on tcp port 80 (TO given as an address)
    const noListener = await t.run(['why', LAB, 'a', '203.0.113.1', '--proto', 'tcp', '--port=80', '--no-probe']);
    expect(noListener.code, show(noListener)).toBe(3);
    expect(noListener.stdout.split('\n')[0]).toBe('a (172.17.0.2) → 203.0.113.1, tcp port 80, 84 bytes');
    expect(noListener.stdout).toMatch(/^blocked at upstream: no-listener — /m);
    const json = await t.run(['why', LAB, 'upstream', 'a', '--json', '--no-probe']);
    expect(json.code, show(json)).toBe(3);
    const result = JSON.parse(json.stdout) as WhyResult;
    expect(schemaErrors(WhyResultSchema, result)).toEqual([]);
    expect(result.blocked).toMatchObject({ direction: 'forward', node: 'upstream', reason: 'no-route' });
  });

  it('a lab problem: an unknown lab, an unknown node (exit 1)', async () => {
    const none = await t.run(['why', 'nolab', 'a', 'b']);
    expect(none.code, show(none)).toBe(1);
    expect(none.stderr).toMatch(/no lab named nolab/);
    await applyDockerBridge();
    const node = await t.run(['why', LAB, 'a', 'nope']);
    expect(node.code, show(node)).toBe(1);
    expect(node.stderr).toMatch(/lab docker-bridge has no node nope/);
    const from = await t.run(['why', LAB, 'ghost', 'a']);
    expect(from.code, show(from)).toBe(1);
    expect(from.stdout).toBe('');
  });

  it('bad input: exit 2 with the reason, nothing read or changed', async () => {
    await applyDockerBridge();
    const before = [rootSnapshot(), (await t.run(['export', LAB])).stdout, await t.namespaces()];
    const cases: [string[], RegExp][] = [
      [['--port', '80'], /icmp has no port/],
      [['--size', '5'], /size must be a whole number of bytes from 28 to 65535, not 5/],
      [['--proto', 'tcp'], /tcp needs a port/],
      [['--proto', 'sctp'], /--proto must be icmp, tcp or udp/],
      [['--proto', 'udp', '--port', '70000'], /port must be a whole number from 1 to 65535/],
      [['--port', '8O', '--proto', 'tcp'], /--port must be a port number/],
      [['--dff'], /why has no option --dff/],
      [['-n'], /why has no option -n/],
    ];
    for (const [flags, message] of cases) {
      const r = await t.run(['why', LAB, 'a', 'upstream', ...flags]);
      expect(r.code, `${flags.join(' ')}: ${show(r)}`).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    }
    const questions: [string[], RegExp][] = [
      [[LAB, 'a', '1.2.3'], /to must be a node name or an IPv4 address, not "1\.2\.3"/],
      [[LAB, 'a;reboot', 'upstream'], /from must be a node name, not "a;reboot"/],
      [[LAB, 'a', '$(reboot)'], /to must be a node name or an IPv4 address/],
      [['../docker-bridge', 'a', 'upstream'], /NAME must be a lab name, not "\.\.\/docker-bridge"/],
      [['lab;rm -rf /', 'a', 'upstream'], /NAME must be a lab name/],
      [[LAB, 'a'], /usage: patchbay why NAME FROM TO/],
    ];
    for (const [args, message] of questions) {
      const r = await t.run(['why', ...args]);
      expect(r.code, `${args.join(' ')}: ${show(r)}`).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    expect([rootSnapshot(), (await t.run(['export', LAB])).stdout, await t.namespaces()]).toEqual(before);
  });

  it('patchbay help lists it', async () => {
    const r = await t.run(['--help']);
    expect(r.stdout).toContain(
      'why NAME FROM TO [--proto icmp|tcp|udp] [--port N] [--size N] [--df] [--no-probe] [--json]',
    );
    expect(r.stdout).toMatch(/why: blocked/);
  });
});
