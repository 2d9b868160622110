// Every check type on the real kernel, passing and failing, with what was seen; and the exercise
// life cycle (start with setup steps, the record, conflicts, reset, destroy forgets). Prefix pbe2-.
import { parseScenarioText, type Scenario } from '@patchbay/scenarios';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineError } from './errors.js';
import { checkExercise, exerciseOf, resetExercise, solveExercise, startExercise } from './exercise.js';
import { parsePingOutput, runChecks } from './probes.js';
import { rootSnapshot, testEngine } from './test-support.js';

const SCENARIO = `
id: probe-all
title: Every check type
level: beginner
summary: a, b and r on br0; b has no default route.
instructions: none
lab:
  name: probe-all
  nodes:
    br0: { kind: bridge, addresses: [10.9.0.1/24] }
    a: { kind: netns, routes: [{ to: default, via: 10.9.0.1 }] }
    b: { kind: netns }
  links:
    - a: { node: a, interface: eth0, addresses: [10.9.0.10/24] }
      b: { node: br0, interface: veth-a }
    - a: { node: b, interface: eth0, addresses: [10.9.0.20/24] }
      b: { node: br0, interface: veth-b }
setup:
  - { node: b, run: "ip addr add 10.9.0.21/24 dev eth0" }
checks:
  - { id: ping, title: a reaches b, type: ping, from: a, to: 10.9.0.20 }
  - { id: ping-nobody, title: nobody at .99, type: ping, from: a, to: 10.9.0.99, count: 1, expect: fail }
  - { id: ping-big-df, title: full-size frame with DF, type: ping, from: a, to: 10.9.0.20, size: 1472, dontFragment: true }
  - { id: ping-too-big-df, title: too big with DF, type: ping, from: a, to: 10.9.0.20, size: 1473, dontFragment: true, count: 1 }
  - { id: tcp, title: a connects to b:8080, type: tcp, from: a, to: 10.9.0.20, port: 8080 }
  - { id: tcp-nobody, title: a connects to .99, type: tcp, from: a, to: 10.9.0.99, port: 8080 }
  - { id: tcp-wrong-listener, title: listener on a, type: tcp, from: b, to: 10.9.0.20, port: 8081, listen: { node: a } }
  - { id: iface, title: b eth0, type: interface, node: b, interface: eth0, up: true, mtu: 1500, addresses: [10.9.0.20/24, 10.9.0.21/24] }
  - { id: iface-port, title: veth-b is a port of br0, type: interface, node: br0, interface: veth-b, master: br0 }
  - { id: iface-mtu, title: wrong mtu, type: interface, node: a, interface: eth0, mtu: 9000 }
  - { id: route, title: a default route, type: route, node: a, to: default, via: 10.9.0.1 }
  - { id: route-connected, title: a connected route, type: route, node: a, to: 10.9.0.0/24, dev: eth0 }
  - { id: route-missing, title: b default route, type: route, node: b, to: default }
  - { id: fdb, title: br0 learned a, type: fdb, bridge: br0, mac: { node: a, interface: eth0 }, port: veth-a }
  - { id: fdb-wrong-port, title: a on veth-b, type: fdb, bridge: br0, mac: { node: a, interface: eth0 }, port: veth-b }
  - { id: neigh, title: a knows b, type: neighbor, node: a, ip: 10.9.0.20, mac: { node: b, interface: eth0 } }
  - { id: neigh-wrong, title: a maps b to its own MAC, type: neighbor, node: a, ip: 10.9.0.20, mac: { node: a, interface: eth0 } }
  - { id: sysctl, title: b does not forward, type: sysctl, node: b, key: net.ipv4.ip_forward, value: 0 }
  - { id: sysctl-wrong, title: b forwards, type: sysctl, node: b, key: net.ipv4.ip_forward, value: 1 }
  - { id: command, title: a has its address, type: command, node: a, run: "ip -br addr show eth0", match: "10\\\\.9\\\\.0\\\\.10/24" }
  - { id: command-fails, title: exit 3, type: command, node: a, run: "echo out; exit 3" }
  - { id: command-bridge-host, title: runs in br0's host, type: command, node: br0, run: "ip -br link show br0", match: "^br0" }
solution:
  - { node: b, run: "ip route add default via 10.9.0.1" }
`;

const PASSING = [
  'ping',
  'ping-nobody',
  'ping-big-df',
  'tcp',
  'iface',
  'iface-port',
  'route',
  'route-connected',
  'fdb',
  'neigh',
  'sysctl',
  'command',
  'command-bridge-host',
];

function scenario(text = SCENARIO): Scenario {
  const { scenario: s, problems } = parseScenarioText(text);
  if (!s || problems.length) throw new Error(JSON.stringify(problems));
  return s;
}

describe('exercise checks on the real kernel', () => {
  const t = testEngine('pbe2-');
  let before = '';
  beforeAll(async () => {
    before = await rootSnapshot();
  });
  afterAll(async () => {
    await t.cleanup();
    expect(await rootSnapshot()).toBe(before);
  });

  it('runs every check type: passes and failures say why and what was seen', async () => {
    const s = scenario();
    const started = await startExercise(t.engine, s);
    expect(started.setup).toEqual([{ node: 'b', run: 'ip addr add 10.9.0.21/24 dev eth0', code: 0, output: '' }]);
    const run = await runChecks(t.engine, 'probe-all', s);
    const by = Object.fromEntries(run.results.map((r) => [r.id, r]));
    expect(
      run.results
        .filter((r) => r.pass)
        .map((r) => r.id)
        .sort(),
    ).toEqual([...PASSING].sort());
    expect(run.total).toBe(s.checks.length);
    expect(by['ping']!.seen).toMatch(/^ping: 2 sent, 2 received/);
    expect(by['ping-nobody']!.reason).toBe('a cannot reach 10.9.0.99, as expected');
    expect(by['ping-too-big-df']!.seen).toMatch(/message too long|mtu/i);
    expect(by['tcp']!.seen).toBe('tcp: connected');
    expect(by['tcp-nobody']!.seen).toMatch(/no node of the lab has 10\.9\.0\.99/);
    expect(by['tcp-wrong-listener']!.seen).toMatch(/refused/i);
    expect(by['iface-mtu']!.reason).toBe('eth0 has MTU 1500, expected 9000');
    expect(by['route-missing']!.reason).toBe('b has no route to default');
    expect(by['fdb-wrong-port']!.reason).toMatch(/is on veth-a, expected veth-b/);
    expect(by['neigh-wrong']!.reason).toMatch(/^a maps 10\.9\.0\.20 to [0-9a-f:]{17}, expected/);
    expect(by['sysctl-wrong']!.reason).toBe('b: net.ipv4.ip_forward is 0, expected 1');
    expect(by['command-fails']!.seen).toBe('exit 3; output: out');
  });

  it('keeps the scenario with the lab: check and solve by lab name, reset brings the breakage back', async () => {
    expect((await exerciseOf(t.engine, 'probe-all'))?.scenario.id).toBe('probe-all');
    const routeMissing = (r: Awaited<ReturnType<typeof checkExercise>>) =>
      r.results.find((x) => x.id === 'route-missing')!.pass;
    expect(routeMissing(await checkExercise(t.engine, 'probe-all'))).toBe(false);
    const steps = await solveExercise(t.engine, 'probe-all');
    expect(steps).toEqual([{ node: 'b', run: 'ip route add default via 10.9.0.1', code: 0, output: '' }]);
    expect(routeMissing(await checkExercise(t.engine, 'probe-all'))).toBe(true);
    await resetExercise(t.engine, 'probe-all');
    expect(routeMissing(await checkExercise(t.engine, 'probe-all'))).toBe(false);
  });

  it('never takes over a lab it did not start, and forgets the exercise with the lab', async () => {
    const other = scenario(SCENARIO.replace('id: probe-all', 'id: other-one'));
    await expect(startExercise(t.engine, other)).rejects.toThrow(/already exists \(started from probe-all\)/);
    await t.engine.destroy('probe-all');
    expect(await exerciseOf(t.engine, 'probe-all')).toBeUndefined();
    await expect(checkExercise(t.engine, 'probe-all')).rejects.toBeInstanceOf(EngineError);
  });

  it('a failing setup step is an error naming the step', async () => {
    const bad = scenario(SCENARIO.replace('ip addr add 10.9.0.21/24 dev eth0', 'ip link set nosuchdev up'));
    await expect(startExercise(t.engine, bad, { lab: 'probe-bad' })).rejects.toThrow(
      /setup step `ip link set nosuchdev up` in b exited with 1: .*nosuchdev/,
    );
    await t.engine.destroy('probe-bad');
  });
});

describe('parsePingOutput', () => {
  it('reads the summary and the first complaint', () => {
    expect(parsePingOutput('2 packets transmitted, 2 received, 0% packet loss, time 201ms', '')).toEqual({
      sent: 2,
      received: 2,
    });
    expect(parsePingOutput('', 'ping: connect: Network is unreachable\n')).toEqual({
      sent: 0,
      received: 0,
      error: 'connect: Network is unreachable',
    });
    expect(
      parsePingOutput(
        'From 10.9.0.10 icmp_seq=1 Destination Host Unreachable\n\n--- x ---\n2 packets transmitted, 0 received, +1 errors, 100% packet loss',
        '',
      ),
    ).toEqual({ sent: 2, received: 0, error: '10.9.0.10: Destination Host Unreachable' });
  });
});
