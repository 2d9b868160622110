// `run:` processes (node-process.ts) on the real kernel, in a throwaway namespace owned by its own
// user namespace (prefix pbrpk-): the log stays bounded, the record and log are 0600, a process that
// ignores SIGTERM is ended after the grace period with everything it started, an exit is reported
// with its status, and a reused pid is not taken for ours.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_SANDBOX_LIMITS,
  listNodeProcesses,
  ownedNamespaceAdd,
  ownedNamespaceDel,
  pidsInNamespaces,
  processStartTime,
  readNodeProcessLog,
  removeSandboxGroups,
  startNodeProcess,
  stopNodeProcess,
  type NodeProcessRecord,
} from './index.js';
import { cleanup, isRoot } from '../test/helpers.js';

const NS = 'pbrpk-o';
const GROUP = 'pbrpk-group';
const limits = { group: GROUP, ...DEFAULT_SANDBOX_LIMITS };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let dir = '';

const start = (key: string, command: string, maxLogBytes?: number, graceMs?: number): Promise<NodeProcessRecord> =>
  startNodeProcess({
    dir,
    ns: NS,
    node: 'node',
    name: key.split('.')[0]!,
    command,
    key,
    limits,
    ...(maxLogBytes ? { maxLogBytes } : {}),
    ...(graceMs ? { graceMs } : {}),
  });
const key = (name: string) => `${name}.${'0'.repeat(15)}1`;
const stateOf = (k: string) => listNodeProcesses(dir).find((p) => p.key === k);

async function until(what: () => boolean, ms = 5000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) if (what()) return true;
  return what();
}

async function teardown(): Promise<void> {
  for (const p of dir ? listNodeProcesses(dir) : []) await stopNodeProcess(dir, p.key, 200);
  await ownedNamespaceDel([NS]);
  await cleanup('pbrpk-');
  await removeSandboxGroups([GROUP]);
  if (dir) rmSync(dir, { recursive: true, force: true });
}

describe.skipIf(!isRoot)('run: processes in a node sandbox', () => {
  beforeAll(async () => {
    await teardown();
    dir = mkdtempSync(join(tmpdir(), 'pbrpk-'));
    expect((await ownedNamespaceAdd([NS]))[0]?.ok).toBe(true);
  });
  afterAll(teardown);

  it('keeps the log bounded (the newest output), record and log 0600', async () => {
    const k = key('loud');
    await start(k, 'i=0; while [ $i -lt 3000 ]; do echo line-$i; i=$((i+1)); done; echo the-end; exec sleep 600', 4096);
    expect(await until(() => readNodeProcessLog(dir, k).includes('the-end'))).toBe(true);
    const log = join(dir, `${k}.log`);
    expect(statSync(log).size).toBeLessThanOrEqual(4096);
    expect(readNodeProcessLog(dir, k, 100_000)).not.toContain('line-0\n');
    expect(statSync(log).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, `${k}.json`)).mode & 0o777).toBe(0o600);
    expect(stateOf(k)?.state).toBe('running');
    await stopNodeProcess(dir, k);
    expect(stateOf(k)).toBeUndefined();
  });

  it('ends a process that ignores SIGTERM after the grace period, with what it started', async () => {
    const k = key('stubborn');
    const r = await start(k, "trap '' TERM; sleep 600 & sleep 601 & wait", undefined, 300);
    let inside: number[] = [];
    for (let i = 0; i < 100 && inside.length < 2; i++) {
      await sleep(50);
      inside = [...(await pidsInNamespaces([NS])).keys()].filter((p) =>
        readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith('sleep'),
      );
    }
    expect(inside).toHaveLength(2); // both background sleeps run
    const t0 = Date.now();
    await stopNodeProcess(dir, k, 300);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(processStartTime(r.pid)).toBeUndefined();
    for (const p of inside) expect(processStartTime(p)).toBeUndefined();
    expect([...(await pidsInNamespaces([NS])).keys()]).toEqual([]);
  });

  it('ends the sandbox of a supervisor killed from outside when it is stopped', async () => {
    const k = key('orphan');
    const r = await start(k, 'exec sleep 602');
    let sleeper: number | undefined;
    for (let i = 0; i < 100 && sleeper === undefined; i++) {
      await sleep(50);
      sleeper = [...(await pidsInNamespaces([NS])).keys()].find((p) =>
        readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith('sleep\u0000602'),
      );
    }
    expect(sleeper).toBeDefined();
    process.kill(r.pid, 'SIGKILL');
    expect(await until(() => processStartTime(r.pid) === undefined)).toBe(true);
    expect(stateOf(k)?.state).toBe('exited');
    expect(processStartTime(sleeper!)).toBeDefined(); // the sandbox outlived its supervisor
    await stopNodeProcess(dir, k);
    expect(await until(() => processStartTime(sleeper!) === undefined)).toBe(true);
    expect([...(await pidsInNamespaces([NS])).keys()]).toEqual([]);
  });

  it('reports an exit with its status; a reused pid is not ours', async () => {
    const k = key('short');
    const r = await start(k, 'echo bye; exit 3');
    expect(await until(() => stateOf(k)?.state === 'exited')).toBe(true);
    expect(stateOf(k)).toMatchObject({ state: 'exited', code: 3 });
    expect(readNodeProcessLog(dir, k)).toBe('bye\n');
    // a record whose pid now belongs to another process (its start time differs) is not running
    const record = JSON.parse(readFileSync(join(dir, `${k}.json`), 'utf8')) as NodeProcessRecord;
    expect(record.pid).toBe(r.pid);
    await stopNodeProcess(dir, k);
    const other = key('reused');
    const live = await start(other, 'exec sleep 600');
    const fake = { ...live, key: k, startTime: live.startTime + 1 };
    writeFileSync(join(dir, `${k}.json`), JSON.stringify(fake), { mode: 0o600 });
    expect(stateOf(k)?.state).toBe('exited');
    await stopNodeProcess(dir, k); // only clears the record: the live process is someone else's
    expect(processStartTime(live.pid)).toBe(live.startTime);
    await stopNodeProcess(dir, other);
    expect(processStartTime(live.pid)).toBeUndefined();
  });
});
