import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { deleteNamespaces, execInNamespace, executePlan, listNamespaces, pidsInNamespaces } from './index.js';
import { cleanup, ip, isRoot, netnsAdd } from '../test/helpers.js';

const P = 'pbk3-';
const S = `${P}lab.s`;

describe.skipIf(!isRoot)('namespaces and exec on the real kernel', () => {
  afterEach(() => cleanup(P));

  it('listNamespaces filters by prefix and sorts', async () => {
    await executePlan([netnsAdd(`${P}b`), netnsAdd(`${P}a`)]);
    expect(await listNamespaces(P)).toEqual([`${P}a`, `${P}b`]);
    expect(await listNamespaces(`${P}a`)).toEqual([`${P}a`]);
  });

  it('listNamespaces sees every name added and removed, at once or after a pause (its listing is reused only while /run/netns is unchanged)', async () => {
    const run = (args: string[]) =>
      new Promise<void>((resolve, reject) =>
        spawn('ip', args, { stdio: 'ignore' }).on('exit', (code) =>
          code === 0 ? resolve() : reject(new Error(`ip ${args.join(' ')}: ${code}`)),
        ),
      );
    for (let i = 0; i < 12; i++) {
      const name = `${P}c${i % 3}`;
      await run(['netns', 'add', name]);
      expect(await listNamespaces(P)).toContain(name);
      if (i % 2) await new Promise((r) => setTimeout(r, 30)); // past a tick of the folder's clock
      expect(await listNamespaces(P)).toContain(name); // a listing that may be the reused one
      await run(['netns', 'del', name]);
      expect(await listNamespaces(P)).not.toContain(name);
    }
  });

  it('deleteNamespaces kills the processes inside and removes the namespace; missing is success', async () => {
    await executePlan([netnsAdd(S)]);
    const child = spawn('nsenter', [`--net=/run/netns/${S}`, '--', 'sleep', '300'], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, sig) => resolve(sig)));
    try {
      for (let i = 0; i < 50 && !(await pidsInNamespaces([S])).has(child.pid!); i++)
        await new Promise((r) => setTimeout(r, 20));
      expect((await pidsInNamespaces([S])).get(child.pid!)).toBe(S);
      const res = await deleteNamespaces([S, `${P}missing`]);
      expect(res).toEqual([
        { name: S, ok: true },
        { name: `${P}missing`, ok: true, alreadyGone: true },
      ]);
      expect(await exited).toBe('SIGKILL');
      expect(await listNamespaces(P)).toEqual([]);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  it('deleteNamespaces rejects unsafe names before running anything', async () => {
    await expect(deleteNamespaces(['../etc'])).rejects.toThrow(/invalid namespace/);
  });

  it('execInNamespace returns the exit status and output of the command', async () => {
    await executePlan([netnsAdd(S)]);
    expect(await execInNamespace(S, ['sh', '-c', 'exit 3'], { stdio: 'pipe' })).toEqual({
      code: 3,
      stdout: '',
      stderr: '',
    });
    const links = await execInNamespace(S, ['ip', '-br', 'link'], { stdio: 'pipe' });
    expect(links.code).toBe(0);
    expect(links.stdout?.trim().split('\n')).toHaveLength(1); // only lo: we are inside the namespace
    expect(links.stdout).toMatch(/^lo\s/);
    expect((await execInNamespace(S, ['cat'], { stdio: 'pipe', input: 'hello' })).stdout).toBe('hello');
    expect((await execInNamespace(S, ['sh', '-c', 'kill -TERM $$'], { stdio: 'pipe' })).code).toBe(143);
    expect((await execInNamespace(S, ['true'], { stdio: 'inherit' })).code).toBe(0);
    expect((await execInNamespace(S, ['false'], { stdio: 'inherit' })).code).toBe(1);
    expect(await execInNamespace(S, ['no-such-command-pb'], { stdio: 'pipe' })).toEqual({
      code: 127,
      stdout: '',
      stderr: 'no-such-command-pb: command not found\n',
    });
  });

  it("execInNamespace sees the namespace's own /sys and /etc/netns/NAME, as ip netns exec does", async () => {
    await executePlan([netnsAdd(S), ip('link', S, 'link add eth0 address 02:00:00:0a:0b:0c type veth peer name p0')]);
    const ls = await execInNamespace(S, ['ls', '/sys/class/net'], { stdio: 'pipe' });
    expect(ls.stderr).toBe('');
    expect(ls.stdout!.trim().split('\n').sort()).toEqual(['eth0', 'lo', 'p0']);
    const mac = await execInNamespace(S, ['cat', '/sys/class/net/eth0/address'], { stdio: 'pipe' });
    expect(mac.stdout).toBe('02:00:00:0a:0b:0c\n');
    // The machine's own /sys is untouched (the remount happened in a mount namespace of its own).
    expect(readdirSync('/sys/class/net')).not.toContain('p0');

    const etc = `/etc/netns/${S}`;
    const hadEtcNetns = existsSync('/etc/netns');
    mkdirSync(etc, { recursive: true });
    try {
      writeFileSync(`${etc}/hosts`, '10.1.2.3 only-in-this-namespace\n');
      const hosts = await execInNamespace(S, ['cat', '/etc/hosts'], { stdio: 'pipe' });
      expect(hosts.stdout).toBe('10.1.2.3 only-in-this-namespace\n');
    } finally {
      rmSync(hadEtcNetns ? etc : '/etc/netns', { recursive: true, force: true });
    }
  });
});
