// The short scheduler slice of the server and its shells (sched-slice.ts): applied to a process,
// inherited by what it starts later, and given back to the default by the spawner, whose commands
// are batch work. Read back from /proc/PID/sched (se.slice, in ns).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { INTERACTIVE_SLICE_US, setSchedulerSlice } from './sched-slice.js';
import { SPAWNER_SCRIPT } from './spawner.js';
import { isRoot } from '../test/helpers.js';

const sliceNs = (pid: number) => Number(/se\.slice\s*:\s*(\d+)/.exec(readFileSync(`/proc/${pid}/sched`, 'utf8'))?.[1]);
const started: ChildProcess[] = [];
/** Grandchildren (the shell's sleep, the spawner): killed too, or they would hold the pipes open. */
const orphans: number[] = [];
const start = (cmd: string, args: string[]) => {
  const c = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  started.push(c);
  return c;
};
afterEach(() => {
  for (const pid of orphans.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  for (const c of started.splice(0)) {
    c.kill('SIGKILL');
    c.stdin?.destroy(); // the spawner started by the second test exits when its stdin closes
    c.stdout?.destroy();
  }
});

describe.skipIf(!isRoot)('scheduler slice', () => {
  it('gives a process the short slice, which what it starts afterwards inherits', async () => {
    const defaultNs = sliceNs(process.pid);
    expect(defaultNs).toBeGreaterThan(INTERACTIVE_SLICE_US * 1000);
    // A shell that starts a child only once told to (a line on stdin), after its slice was set.
    const sh = start('sh', ['-c', 'read go; sleep 30 & echo $!; wait']);
    const r = await setSchedulerSlice(sh.pid!, INTERACTIVE_SLICE_US);
    expect(r).toMatchObject({ pid: sh.pid, sliceUs: INTERACTIVE_SLICE_US, applied: true });
    expect(sliceNs(sh.pid!)).toBe(INTERACTIVE_SLICE_US * 1000);
    sh.stdin.write('go\n');
    const [line] = (await once(sh.stdout, 'data')) as [Buffer];
    const sleepPid = Number(line.toString().trim());
    orphans.push(sleepPid);
    expect(sliceNs(sleepPid)).toBe(INTERACTIVE_SLICE_US * 1000);
    expect(await setSchedulerSlice(sh.pid!, 0)).toMatchObject({ applied: true });
    expect(sliceNs(sh.pid!)).toBe(defaultNs);
  });

  it('the spawner gives its commands the default slice back, whatever slice its parent had', async () => {
    const defaultNs = sliceNs(process.pid);
    // A parent with the short slice (like the server) starts the spawner, which prints a ready line.
    const parent = start('python3', [
      '-c',
      `import sys, subprocess; sys.stdin.readline(); subprocess.run(["python3", ${JSON.stringify(SPAWNER_SCRIPT)}])`,
    ]);
    await setSchedulerSlice(parent.pid!, INTERACTIVE_SLICE_US);
    parent.stdin.write('go\n');
    await once(parent.stdout, 'data'); // the spawner's {"ready": true, …}
    const children = readFileSync(`/proc/${parent.pid}/task/${parent.pid}/children`, 'utf8').trim().split(/\s+/);
    orphans.push(...children.map(Number));
    expect(children).toHaveLength(1);
    expect(sliceNs(parent.pid!)).toBe(INTERACTIVE_SLICE_US * 1000);
    expect(sliceNs(Number(children[0]))).toBe(defaultNs);
  });

  it('refuses a slice outside the kernel range and a bad pid, before running anything', async () => {
    await expect(setSchedulerSlice(process.pid, 50)).rejects.toThrow(/invalid slice/);
    await expect(setSchedulerSlice(process.pid, 200_000)).rejects.toThrow(/invalid slice/);
    await expect(setSchedulerSlice(1, 300)).rejects.toThrow(/invalid pid/);
  });
});
