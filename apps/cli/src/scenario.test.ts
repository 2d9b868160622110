// `patchbay scenario list | start | check | solve | validate`: exit codes and output (CLI.md).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCliEnv } from './test-helpers.js';

const t = useCliEnv('pbc8-');
const dir = mkdtempSync(join(tmpdir(), 'patchbay-scenario-cli-'));

/** A scenario file next to its lab file (`lab: ./lab.yaml`). */
function files(scenario: string, labEdit: (lab: string) => string = (l) => l): string {
  writeFileSync(
    join(dir, 'lab.yaml'),
    labEdit(`name: cli-ex
nodes:
  br0: { kind: bridge }
  a: { kind: netns }
  b: { kind: netns }
links:
  - a: { node: a, interface: eth0, addresses: [10.8.0.1/24] }
    b: { node: br0, interface: veth-a }
  - a: { node: b, interface: eth0, addresses: [10.8.0.2/24], up: false }
    b: { node: br0, interface: veth-b }
`),
  );
  const path = join(dir, 'scenario.yaml');
  writeFileSync(path, scenario);
  return path;
}

const SOUND = `id: cli-ex
title: b is down
level: beginner
summary: b's eth0 is down.
instructions: Bring it up.
lab: ./lab.yaml
checks:
  - { id: a-to-b, title: a reaches b, type: ping, from: a, to: 10.8.0.2 }
solution:
  - { node: b, run: "ip link set eth0 up" }
`;

describe('patchbay scenario', () => {
  it('list shows the built-in library, as text and as JSON', async () => {
    const r = await t.run(['scenario', 'list']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^link-down\s+beginner\s+Network is unreachable/m);
    const j = await t.run(['scenario', 'list', '--json']);
    const list = JSON.parse(j.stdout) as { id: string; level: string; checks: number }[];
    expect(list.find((s) => s.id === 'link-down')).toMatchObject({ level: 'beginner', checks: 3 });
  });

  it('start → check (3) → solve → check (0), from a file whose lab is a path, under another lab name', async () => {
    const path = files(SOUND);
    const start = await t.run(['scenario', 'start', path, '--lab', 'cli-one']);
    expect(start.code, start.stderr).toBe(0);
    expect(start.stdout).toContain('cli-one: started "b is down"');
    expect(start.stdout).toContain('patchbay scenario check cli-one');
    const failing = await t.run(['scenario', 'check', 'cli-one']);
    expect(failing.code).toBe(3);
    expect(failing.stdout).toMatch(
      /FAIL {2}a-to-b: a reaches b\n\s+a gets no reply from 10\.8\.0\.2 — seen: ping: 2 sent, 0 received/,
    );
    expect(failing.stdout).toContain('cli-one: 0/1 checks pass');
    const solve = await t.run(['scenario', 'solve', 'cli-one']);
    expect(solve.code, solve.stderr).toBe(0);
    expect(solve.stdout).toContain('[b] $ ip link set eth0 up');
    let passing = await t.run(['scenario', 'check', 'cli-one', '--json']);
    for (let i = 0; i < 5 && passing.code !== 0; i++) passing = await t.run(['scenario', 'check', 'cli-one', '--json']); // ARP may need a moment
    expect(passing.code, passing.stdout).toBe(0);
    expect(JSON.parse(passing.stdout)).toMatchObject({
      lab: 'cli-one',
      passed: 1,
      total: 1,
      results: [{ id: 'a-to-b', pass: true, seen: expect.stringMatching(/^ping: 2 sent, [12] received/) }],
    });
    expect((await t.run(['destroy', 'cli-one'])).code).toBe(0);
  });

  it('validate proves a sound exercise (0) and finds an unsound one (3); the lab is gone afterwards', async () => {
    const ok = await t.run(['scenario', 'validate', files(SOUND)]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(
      /^ok {4}fresh: the fresh lab fails a-to-b\nok {4}solution: after the solution all 1 checks pass\nok {4}reset: after a reset the lab fails a-to-b again\ncli-ex: sound/,
    );
    const unsound = await t.run(['scenario', 'validate', files(SOUND.replace('ip link set eth0 up', 'true'))]);
    expect(unsound.code).toBe(3);
    expect(unsound.stdout).toContain('FAIL  solution: after the solution a-to-b still fail');
    expect(unsound.stdout).toContain('cli-ex: NOT sound');
    const nothingToFix = await t.run([
      'scenario',
      'validate',
      files(SOUND, (l) => l.replace(', up: false', '')),
      '--json',
    ]);
    expect(nothingToFix.code).toBe(3);
    expect(JSON.parse(nothingToFix.stdout)).toMatchObject({
      sound: false,
      stages: [{ stage: 'fresh', ok: false, detail: 'the fresh lab already passes all 1 checks: nothing to fix' }],
    });
    expect((await t.run(['list', '--json'])).stdout).not.toContain('cli-ex');
  });

  it('invalid files and references exit 2 with one line per problem, and start nothing', async () => {
    const bad = await t.run([
      'scenario',
      'validate',
      files(SOUND.replace('from: a,', 'from: nobody,').replace('level: beginner', 'level: expert')),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('level:');
    expect(bad.stderr).toContain('checks[0].from: ');
    expect((await t.run(['scenario', 'start', 'no-such-exercise'])).stderr).toContain('neither a built-in scenario');
    expect((await t.run(['scenario', 'start', 'no-such-exercise'])).code).toBe(2);
    expect((await t.run(['scenario', 'start', 'link-down', '--lab', 'Bad;Name'])).code).toBe(2);
    expect((await t.run(['scenario', 'frobnicate'])).code).toBe(2);
    expect((await t.run(['scenario', 'check', 'no-such-lab'])).code).toBe(1);
    expect((await t.run(['list', '--json'])).stdout).toBe('[]\n');
  });
});
