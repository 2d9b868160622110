import { execFileSync } from 'node:child_process';
import { readlinkSync, statSync } from 'node:fs';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProcessError, closeSpawner, runInNamespace } from './process.js';
import { Spawner, SpawnerError } from './spawner.js';

// Namespaces of this file: pbk9-… (created and deleted by exact name here, never in the root netns).
const isRoot = process.getuid?.() === 0;
const NS = 'pbk9-spawner.a';

function netnsDel(name: string): void {
  try {
    execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
  } catch {
    /* not there */
  }
}

describe.skipIf(!isRoot)('spawner helper on the real kernel', () => {
  const spawner = new Spawner();

  beforeEach(() => {
    netnsDel(NS);
    execFileSync('ip', ['netns', 'add', NS], { stdio: 'ignore' });
  });
  afterEach(() => netnsDel(NS));
  afterAll(async () => {
    await spawner.close();
    await closeSpawner();
  });

  it('runs ip inside a fresh namespace, which has only lo', async () => {
    const r = await spawner.run(NS, ['ip', '-j', 'link', 'show']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { ifname: string }[]).map((l) => l.ifname)).toEqual(['lo']);
    // The same through runInNamespace (process.ts routes it through the shared helper).
    const r2 = await runInNamespace(NS, 'ip', ['-j', 'link', 'show']);
    expect((JSON.parse(r2.stdout) as { ifname: string }[]).map((l) => l.ifname)).toEqual(['lo']);
  });

  it('passes stdin to ip -batch - (creates a bridge in the namespace only)', async () => {
    const r = await spawner.run(NS, ['ip', '-batch', '-'], {
      input: 'link add pbk9br0 type bridge\nlink set pbk9br0 up\n',
    });
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    const links = JSON.parse((await spawner.run(NS, ['ip', '-j', 'link', 'show'])).stdout) as { ifname: string }[];
    expect(links.map((l) => l.ifname).sort()).toEqual(['lo', 'pbk9br0']);
    const failed = await runInNamespace(NS, 'ip', ['-batch', '-'], { input: 'link add pbk9br0 type bridge\n' });
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toMatch(/File exists[\s\S]*Command failed -:1/);
  });

  it('reports exit codes and signals', async () => {
    expect((await spawner.run(NS, ['sh', '-c', 'exit 3'])).code).toBe(3);
    expect((await spawner.run(NS, ['sh', '-c', 'kill -KILL $$'])).code).toBe(137);
    expect(await runInNamespace(NS, 'sh', ['-c', 'echo out; echo err >&2; exit 5'])).toEqual({
      code: 5,
      stdout: 'out\n',
      stderr: 'err\n',
    });
  });

  it('kills a child that runs too long, quickly', async () => {
    const t0 = Date.now();
    const err = await spawner.run(NS, ['sleep', '10'], { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpawnerError);
    expect((err as SpawnerError).kind).toBe('timeout');
    expect((err as SpawnerError).code).toBe(137);
    await expect(runInNamespace(NS, 'sleep', ['10'], { timeoutMs: 200 })).rejects.toThrow(ProcessError);
    await expect(runInNamespace(NS, 'sleep', ['10'], { timeoutMs: 200 })).rejects.toThrow(/timed out after 200 ms/);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('runs 50 requests concurrently in one namespace', async () => {
    const rs = await Promise.all(Array.from({ length: 50 }, () => spawner.run(NS, ['ip', 'link', 'show'])));
    for (const r of rs) {
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^1: lo: /);
    }
    // Requests keep flowing while a long child runs.
    const slow = spawner.run(NS, ['sleep', '1']);
    expect((await spawner.run(NS, ['true'])).code).toBe(0);
    expect((await slow).code).toBe(0);
  });

  it('refuses commands outside the allow-list and invalid namespace names', async () => {
    await expect(spawner.run(NS, ['rm', '-rf', '/tmp/pbk9-nothing'])).rejects.toMatchObject({
      kind: 'refused',
      message: /not allowed/,
    });
    await expect(spawner.run(NS, ['/bin/sh', '-c', 'true'])).rejects.toMatchObject({ kind: 'refused' });
    for (const bad of ['../etc', 'a/b', '-x', 'A', '']) {
      await expect(spawner.run(bad, ['true'])).rejects.toMatchObject({ kind: 'refused', message: /invalid namespace/ });
    }
    expect(() => runInNamespace('../etc', 'ip', ['link'])).toThrow(/invalid namespace/);
  });

  it('returns to its own namespace after every request (it setns()es itself around posix_spawn)', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => spawner.run(i % 2 ? NS : null, ['true'])));
    expect(readlinkSync(`/proc/${spawner.pid!}/ns/net`)).toBe(readlinkSync('/proc/self/ns/net'));
    const inside = await spawner.run(NS, ['sh', '-c', 'readlink /proc/self/ns/net']);
    expect(inside.stdout.trim()).toBe(`net:[${statSync(`/run/netns/${NS}`).ino}]`);
  });

  it('gives children a clean environment', async () => {
    const r = await spawner.run(NS, ['sh', '-c', 'echo "[$HOME]"; echo "$PATH"; echo "$LANG"; env | wc -l']);
    expect(r.stdout).toBe('[]\n/usr/sbin:/usr/bin:/sbin:/bin\nC\n3\n'); // PATH, LANG and sh's own PWD
  });

  it('reports a missing namespace the way nsenter did (observe relies on it)', async () => {
    const r = await runInNamespace('pbk9-spawner.missing', 'ip', ['link', 'show']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/No such file or directory/);
    expect(r.stderr).toMatch(/netns/);
  });

  it('rejects pending requests when the helper dies, and restarts it on the next call', async () => {
    const own = new Spawner();
    try {
      const slow = own.run(NS, ['sleep', '10']);
      await own.run(NS, ['true']);
      const pid = own.pid!;
      process.kill(pid, 'SIGKILL');
      await expect(slow).rejects.toMatchObject({ kind: 'died', message: /exited unexpectedly/ });
      const r = await own.run(NS, ['ip', '-br', 'link']);
      expect(r.code).toBe(0);
      expect(own.pid).not.toBe(pid);
    } finally {
      await own.close();
    }
  });
});
