import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { deleteNamespaces, execInNamespace, executePlan, listNamespaces, pidsInNamespaces } from './index.js';
import { cleanup, isRoot, netnsAdd } from '../test/helpers.js';

const P = 'pbk3-';
const S = `${P}lab.s`;

describe.skipIf(!isRoot)('namespaces and exec on the real kernel', () => {
  afterEach(() => cleanup(P));

  it('listNamespaces filters by prefix and sorts', async () => {
    await executePlan([netnsAdd(`${P}b`), netnsAdd(`${P}a`)]);
    expect(await listNamespaces(P)).toEqual([`${P}a`, `${P}b`]);
    expect(await listNamespaces(`${P}a`)).toEqual([`${P}a`]);
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
  });
});
