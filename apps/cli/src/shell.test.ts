// `patchbay shell`: the student sandbox from the command line, reading commands from stdin (not a tty).
import { beforeEach, describe, expect, it } from 'vitest';
import { examplePath, useCliEnv } from './test-helpers.js';

const t = useCliEnv('pbc7-');

beforeEach(async () => {
  const r = await t.run(['apply', examplePath('two-containers.yaml')]);
  expect(r.code, r.stderr).toBe(0);
});

describe('patchbay shell', () => {
  it("runs commands from stdin as the student, in the node, with the learner's tools and nothing of the machine", async () => {
    const script = [
      'id -u',
      'ip -br addr show veth-web',
      'ping -c 1 -W 2 192.168.100.20 | grep -c "1 received"',
      'ls /run/netns 2>&1 | head -1',
      'cat /etc/shadow 2>&1',
      'exit 3',
      '',
    ].join('\n');
    const r = await t.run(['shell', 'two-containers', 'ns-web'], script);
    expect(r.code).toBe(3);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('1000');
    expect(lines[1]).toContain('192.168.100.10/24');
    expect(lines[2]).toBe('1');
    expect(r.stdout).toMatch(/\/run\/netns.*No such file or directory/);
    expect(r.stdout).toMatch(/\/etc\/shadow: No such file or directory/);
  });

  it('runs one command after --, with its exit status', async () => {
    const r = await t.run(['shell', 'two-containers', 'ns-db', '--', 'sh', '-c', 'hostname; exit 5']);
    expect(r.stdout.trim()).toBe('ns-db');
    expect(r.code).toBe(5);
  });

  it('a student who deletes their own veth: the plan shows the drift, and apply repairs it', async () => {
    const del = await t.run(['shell', 'two-containers', 'ns-web', '--', 'ip', 'link', 'del', 'veth-web']);
    expect(del.code, del.stderr).toBe(0);
    // The drift: the plan against the kernel now re-creates the pair (the browser shows the link down).
    const plan = await t.run(['apply', '--dry-run', '--json', examplePath('two-containers.yaml')]);
    const commands = (JSON.parse(plan.stdout) as { ops: { command: string }[] }).ops.map((o) => o.command);
    expect(
      commands.some((c) =>
        /link add veth-web-br .*type veth peer .*name veth-web netns pbc7-two-containers\.ns-web/.test(c),
      ),
    ).toBe(true);
    const again = await t.run(['apply', examplePath('two-containers.yaml')]);
    expect(again.code, again.stderr).toBe(0);
    const ping = await t.run([
      'exec',
      'two-containers',
      'ns-web',
      '--',
      'ping',
      '-c',
      '1',
      '-W',
      '2',
      '192.168.100.20',
    ]);
    expect(ping.code, ping.stdout).toBe(0);
  });

  it("refuses bridges and hosts (they hold the lab's bridges and tunnels), and unknown nodes", async () => {
    const bridge = await t.run(['shell', 'two-containers', 'br0'], '');
    expect(bridge.code).toBe(2);
    expect(bridge.stderr).toContain('node br0 is a bridge: shells run in netns and router nodes');
    const nope = await t.run(['shell', 'two-containers', 'nope'], '');
    expect(nope.code).toBe(1);
    expect(nope.stderr).toContain('has no node nope');
  });
});
