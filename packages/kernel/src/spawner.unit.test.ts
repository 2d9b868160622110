import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { SPAWNER_COMMANDS, SPAWNER_SCRIPT, Spawner, SpawnerError } from './spawner.js';

// No namespaces (ns = null): these run without root.
describe('spawner helper', () => {
  const spawner = new Spawner();
  afterAll(() => spawner.close());

  it('has the same allow-list as helpers/spawner.py', () => {
    const py = readFileSync(SPAWNER_SCRIPT, 'utf8');
    const m = /^ALLOWED_COMMANDS = \(([^)]*)\)/m.exec(py);
    expect(m).not.toBeNull();
    expect([...m![1]!.matchAll(/"([^"]+)"/g)].map((x) => x[1])).toEqual([...SPAWNER_COMMANDS]);
  });

  it('passes argv without a shell, and input, large in and out', async () => {
    const r = await spawner.run(null, [
      'sh',
      '-c',
      'printf "%s|" "$@"; echo err >&2; exit 4',
      'sh',
      'a b',
      '$HOME',
      ';ls',
    ]);
    expect(r).toEqual({ code: 4, stdout: 'a b|$HOME|;ls|', stderr: 'err\n' });
    const big = 'x'.repeat(3 << 20) + 'é\n';
    const echoed = await spawner.run(null, ['python3', '-c', 'import sys; sys.stdout.write(sys.stdin.read())'], {
      input: big,
    });
    expect(echoed.stdout).toBe(big);
    expect((await spawner.run(null, ['true'], { input: big })).code).toBe(0);
  });

  it('kills on too much output', async () => {
    const err = await spawner
      .run(null, ['sh', '-c', 'while :; do echo xxxxxxxxxxxxxxxxxxxxxxxx; done'], { maxOutputBytes: 10_000 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpawnerError);
    expect((err as SpawnerError).kind).toBe('output');
  });

  it('does not keep Node alive while idle', async () => {
    const handles = () =>
      process.getActiveResourcesInfo().filter((h) => h === 'PipeWrap' || h === 'ProcessWrap').length;
    const before = handles();
    const pending = spawner.run(null, ['sleep', '0.2']);
    expect(handles()).toBeGreaterThan(before);
    await pending;
    expect(spawner.pendingCount).toBe(0);
    expect(spawner.pid).toBeDefined();
    expect(handles()).toBe(before);
  });

  it('ignores SIGINT itself (Ctrl-C reaches the children and Node, which decide)', async () => {
    const slow = spawner.run(null, ['sleep', '0.3']);
    process.kill(spawner.pid!, 'SIGINT');
    expect((await slow).code).toBe(0);
    const child = await spawner.run(null, ['sh', '-c', 'kill -INT $$; sleep 1']);
    expect(child.code).toBe(130);
  });

  it('is unavailable (nothing ran) when the helper cannot start', async () => {
    const broken = new Spawner({ python: 'pbk-no-such-python' });
    await expect(broken.run(null, ['true'])).rejects.toMatchObject({ kind: 'unavailable' });
    expect(broken.unavailable).toMatch(/ENOENT/);
    await expect(broken.run(null, ['true'])).rejects.toMatchObject({ kind: 'unavailable' });
  });
});
