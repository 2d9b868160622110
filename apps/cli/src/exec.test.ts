// `exec` and `state` exit codes.
import { beforeEach, describe, expect, it } from 'vitest';
import { examplePath, useCliEnv } from './test-helpers.js';

const PREFIX = 'pbc4-';
const t = useCliEnv(PREFIX);

beforeEach(async () => {
  const r = await t.run(['apply', examplePath('two-containers.yaml')]);
  expect(r.code, r.stderr).toBe(0);
});

describe('patchbay exec', () => {
  it("exits with the command's status", async () => {
    expect((await t.run(['exec', 'two-containers', 'ns-web', '--', 'sh', '-c', 'exit 7'])).code).toBe(7);
    expect((await t.run(['exec', 'two-containers', 'ns-web', '--', 'true'])).code).toBe(0);
    expect((await t.run(['exec', 'two-containers', 'ns-web', '--', 'false'])).code).toBe(1);
  });

  it("runs in the node's namespace, with arguments passed verbatim (no shell)", async () => {
    const r = await t.run(['exec', 'two-containers', 'ns-web', '--', 'ip', '-br', 'addr', 'show', 'dev', 'veth-web']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('192.168.100.10/24');
    const bridge = await t.run(['exec', 'two-containers', 'br0', '--', 'ip', '-br', 'addr']);
    expect(bridge.code, bridge.stderr).toBe(0);
    expect(bridge.stdout).toContain('192.168.100.1/24'); // a bridge: its host's namespace
    const echo = await t.run(['exec', 'two-containers', 'ns-db', '--', 'echo', 'a;b', '$(id)']);
    expect(echo.stdout).toBe('a;b $(id)\n');
  });

  it("sees the node's own /sys: its interfaces and their MACs, not the machine's", async () => {
    const ls = await t.run(['exec', 'two-containers', 'ns-web', '--', 'ls', '/sys/class/net']);
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout.trim().split('\n').sort()).toEqual(['lo', 'veth-web']);
    const state = JSON.parse((await t.run(['state', 'two-containers', '--json'])).stdout) as {
      nodes: { node: string; interfaces: { name: string; mac?: string }[] }[];
    };
    const mac = state.nodes.find((n) => n.node === 'ns-web')!.interfaces.find((i) => i.name === 'veth-web')!.mac;
    expect(mac).toMatch(/^[0-9a-f:]{17}$/);
    const address = await t.run(['exec', 'two-containers', 'ns-web', '--', 'cat', '/sys/class/net/veth-web/address']);
    expect(address.stdout).toBe(`${mac}\n`);
  });

  it('on an unknown node exits 1 with a clear message', async () => {
    const r = await t.run(['exec', 'two-containers', 'nope', '--', 'true']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('lab two-containers has no node nope');
    expect(r.stderr).toContain('ns-web');
  });

  it('on an unknown lab exits 1', async () => {
    const r = await t.run(['exec', 'no-such-lab', 'ns-web', '--', 'true']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no lab named no-such-lab');
  });
});

describe('patchbay state', () => {
  it('of an unknown lab exits 1', async () => {
    const r = await t.run(['state', 'no-such-lab']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe('patchbay: no lab named no-such-lab');
    expect((await t.run(['state', 'no-such-lab', '--json'])).code).toBe(1);
  });

  it('of a running lab shows its nodes and bridge', async () => {
    const r = await t.run(['state', 'two-containers']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^lab two-containers \(revision 1\)/);
    expect(r.stdout).toMatch(/^ns-web \[netns\]/m);
    expect(r.stdout).toMatch(/^bridge br0 .* UP ports veth-db-br, veth-web-br/m);
    // Every route as the kernel has it (the connected one too, with its source), and the rules.
    expect(r.stdout).toMatch(
      /^ {2}route 192\.168\.100\.0\/24 dev veth-web proto kernel scope link src 192\.168\.100\.10$/m,
    );
    expect(r.stdout).toMatch(
      /^ {2}route local 192\.168\.100\.10\/32 dev veth-web table local proto kernel scope host src 192\.168\.100\.10$/m,
    );
    expect(r.stdout).toMatch(/^ {2}rule 32766: from all lookup main$/m);
  });
});
