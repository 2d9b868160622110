import { describe, expect, it } from 'vitest';
import type { Lab, Problem } from './model.js';
import { labToYaml, parseLabText } from './parse.js';
import { opCommand } from './plan-types.js';
import {
  MAX_RUN_PER_LAB,
  desiredProcesses,
  planProcesses,
  processKey,
  shellQuote,
  withProcessOps,
  type RunningProcess,
} from './run.js';
import { runCommandProblem } from './validate-run.js';

const codes = (ps: Problem[]) => ps.map((p) => `${p.path} ${p.code}`);

const LAB = `
name: web
nodes:
  server:
    kind: netns
    run:
      - python3 -m http.server 80
      - { name: echo, command: "nc -lk -p 7 -e cat" }
  client: { kind: netns }
links:
  - a: { node: server, interface: eth0, addresses: [10.0.0.1/24] }
    b: { node: client, interface: eth0, addresses: [10.0.0.2/24] }
`;

describe('run: in the lab file', () => {
  it('parses strings and { name, command } objects, and round-trips through YAML', () => {
    const r = parseLabText(LAB);
    expect(r.problems).toEqual([]);
    expect(r.lab!.nodes.server).toMatchObject({
      run: ['python3 -m http.server 80', { name: 'echo', command: 'nc -lk -p 7 -e cat' }],
    });
    const again = parseLabText(labToYaml(r.lab!));
    expect(again.problems).toEqual([]);
    expect(again.lab).toEqual(r.lab);
  });

  it('refuses empty, multi-line, too long and duplicate lines with their codes', () => {
    const lab = (run: unknown) =>
      parseLabText(JSON.stringify({ name: 'x', nodes: { a: { kind: 'netns', run } }, links: [] }));
    expect(codes(lab(['  ']).problems)).toEqual(['nodes.a.run[0] run.empty']);
    expect(codes(lab(['a\nb']).problems)).toEqual(['nodes.a.run[0] run.invalid-char']);
    expect(codes(lab([{ command: 'x\u0000' }]).problems)).toEqual(['nodes.a.run[0].command run.invalid-char']);
    expect(codes(lab(['echo \u001b[31m']).problems)).toEqual(['nodes.a.run[0] run.invalid-char']);
    expect(lab(['printf "a\tb"']).problems).toEqual([]);
    expect(codes(lab(['x'.repeat(1001)]).problems)).toEqual(['nodes.a.run[0] run.too-long']);
    expect(lab(['x'.repeat(1000)]).problems).toEqual([]);
    expect(codes(lab(['sleep 9', 'sleep 9']).problems)).toEqual(['nodes.a.run[1] run.duplicate']);
    expect(
      codes(
        lab([
          { name: 'a', command: 'x' },
          { name: 'a', command: 'y' },
        ]).problems,
      ),
    ).toEqual(['nodes.a.run[1] run.duplicate']);
    expect(codes(lab([{ name: 'Bad Name', command: 'x' }]).problems)).toEqual(['nodes.a.run[0].name run.name']);
    expect(codes(lab([{ name: 'a' }]).problems)).toContain('nodes.a.run[0].command schema.required');
    expect(codes(lab([7]).problems)).toContain('nodes.a.run[0] schema.type');
  });

  it('bounds the lines per node and per lab', () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => `sleep ${i}`);
    const one = parseLabText(JSON.stringify({ name: 'x', nodes: { a: { kind: 'host', run: many(9) } }, links: [] }));
    expect(codes(one.problems)).toEqual(['nodes.a.run run.too-many']);
    const nodes = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`n${i}`, { kind: 'netns', run: many(8) }]));
    const lab = parseLabText(JSON.stringify({ name: 'x', nodes, links: [] }));
    expect(codes(lab.problems)).toEqual(['nodes run.too-many']);
    expect(9 * 8).toBeGreaterThan(MAX_RUN_PER_LAB);
  });

  it('refuses run: on a bridge', () => {
    const r = parseLabText(JSON.stringify({ name: 'x', nodes: { br: { kind: 'bridge', run: ['x'] } }, links: [] }));
    expect(codes(r.problems)).toEqual(['nodes.br.run schema.unknown-field']);
  });

  it('checks one command as the editor types it', () => {
    expect(runCommandProblem('nc -lk -p 7')).toBeUndefined();
    expect(runCommandProblem('')?.code).toBe('run.empty');
  });
});

describe('run: planned', () => {
  const lab: Lab = parseLabText(LAB).lab!;
  const desired = desiredProcesses(lab, 'pb-');

  it('wants each line in its node namespace, keyed by node and command', () => {
    expect(desired.map((d) => [d.node, d.ns, d.name, d.command])).toEqual([
      ['server', 'pb-web.server', 'run-1', 'python3 -m http.server 80'],
      ['server', 'pb-web.server', 'echo', 'nc -lk -p 7 -e cat'],
    ]);
    expect(desired[0]!.key).toBe(processKey('server', 'python3 -m http.server 80'));
    expect(desired[0]!.key).toMatch(/^server\.[0-9a-f]{16}$/);
    expect(processKey('server', 'a')).not.toBe(processKey('server', 'b'));
    expect(processKey('a', 'x')).not.toBe(processKey('b', 'x'));
  });

  const running = (over: Partial<RunningProcess> = {}): RunningProcess[] =>
    desired.map((d) => ({ ...d, state: 'running', pid: 100, ...over }));

  it('starts every line from nothing (last stage) and does nothing when all run', () => {
    const ops = planProcesses(desired, []);
    expect(ops.map((o) => [o.phase, o.tool, o.kind, o.args[0], o.subject.detail])).toEqual([
      ['process', 'process', 'process', 'start', 'run-1'],
      ['process', 'process', 'process', 'start', 'echo'],
    ]);
    expect(planProcesses(desired, running())).toEqual([]);
  });

  it('restarts a changed line, stops a removed one, keeps the rest', () => {
    const changed = {
      ...lab,
      nodes: { ...lab.nodes, server: { kind: 'netns', run: ['python3 -m http.server 8080'] } },
    };
    const ops = planProcesses(desiredProcesses(changed as Lab, 'pb-'), running());
    expect(ops.map((o) => `${o.phase} ${o.args[2]}`).sort()).toEqual([
      'process python3 -m http.server 8080',
      'unprocess nc -lk -p 7 -e cat',
      'unprocess python3 -m http.server 80',
    ]);
    expect(ops.map((o) => o.phase)).toEqual(['unprocess', 'unprocess', 'process']);
    const one = planProcesses(desired.slice(1), running());
    expect(one.map((o) => `${o.phase} ${o.args[2]}`)).toEqual(['unprocess python3 -m http.server 80']);
  });

  it('clears and starts again a process that exited; restarts all in a replaced namespace', () => {
    const dead = running().map((r, i) => (i === 0 ? { ...r, state: 'exited' as const, code: 1 } : r));
    const ops = planProcesses(desired, dead);
    expect(ops.map((o) => `${o.phase} ${o.args[2]}`)).toEqual([
      'unprocess python3 -m http.server 80',
      'process python3 -m http.server 80',
    ]);
    expect(ops[0]!.reason).toMatch(/exited with status 1/);
    const replaced = planProcesses(desired, running(), { replaced: new Set(['pb-web.server']) });
    expect(replaced.filter((o) => o.phase === 'process')).toHaveLength(2);
    expect(replaced.filter((o) => o.phase === 'unprocess')).toHaveLength(2);
  });

  it('orders stops first and starts last around the kernel ops', () => {
    const kernel = [{ phase: 'link' } as never];
    const ops = planProcesses(desired.slice(1), running());
    const all = withProcessOps(kernel, [...planProcesses(desired, []), ...ops]);
    expect(all.map((o) => o.phase)).toEqual(['unprocess', 'link', 'process', 'process']);
  });

  it('shows a start as the equivalent sh line, quoted, and says it runs unsandboxed', () => {
    const tricky = { ...desired[0]!, command: `echo 'hi'; sleep 1` };
    const [op] = planProcesses([tricky], []);
    const line = opCommand(op!);
    expect(line).toContain(`ip netns exec pb-web.server setsid sh -c 'echo '\\''hi'\\''; sleep 1' </dev/null >`);
    expect(line).toMatch(/unsandboxed/);
    expect(shellQuote(`a'b`)).toBe(`'a'\\''b'`);
    const [stop] = planProcesses([], running());
    expect(opCommand(stop!)).toMatch(/^# stop .*SIGTERM.*SIGKILL/);
  });
});
