// NamespaceWatcher.counters on the real kernel: a ping across a veth pair shows in both ends'
// packet counters, read through the helper's sockets (no process per sample).
import { afterEach, describe, expect, it } from 'vitest';
import { NamespaceWatcher, executePlan, runInNamespace } from './index.js';
import { cleanup, ip, isRoot, netnsAdd } from '../test/helpers.js';

const P = 'pbk6-';
const A = `${P}lab.a`;
const B = `${P}lab.b`;

describe.skipIf(!isRoot)('NamespaceWatcher.counters', () => {
  let watcher: NamespaceWatcher | undefined;
  afterEach(async () => {
    await watcher?.close();
    watcher = undefined;
    await cleanup(P);
  });

  it('reads interface counters of watched namespaces; a ping makes them grow', async () => {
    const r = await executePlan([
      netnsAdd(A),
      netnsAdd(B),
      ip('link', A, `link add eth0 type veth peer name p0 netns ${B}`),
      ip('configure', A, 'addr add 10.66.0.1/24 dev eth0'),
      ip('configure', B, 'addr add 10.66.0.2/24 dev p0'),
      ip('configure', A, 'link set eth0 up'),
      ip('configure', B, 'link set p0 up'),
    ]);
    expect(r.ok).toBe(true);
    watcher = new NamespaceWatcher({ allEvents: true });
    await watcher.watch([A, B]);

    // Not watched: left out.
    const before = await watcher.counters([A, B, `${P}lab.nope`]);
    expect(Object.keys(before).sort()).toEqual([A, B]);
    expect(before[A]!.lo).toMatchObject({ rxPackets: expect.any(Number), txDropped: expect.any(Number) });
    expect(before[A]!.eth0).toBeDefined();
    expect(before[B]!.p0).toBeDefined();

    const ping = await runInNamespace(A, 'ping', ['-n', '-c', '5', '-i', '0.2', '-W', '2', '10.66.0.2']);
    expect(ping.code).toBe(0);

    const after = await watcher.counters([A, B]);
    const grew = (ns: string, dev: string, k: 'rxPackets' | 'txPackets') => after[ns]![dev]![k] - before[ns]![dev]![k];
    expect(grew(A, 'eth0', 'txPackets')).toBeGreaterThanOrEqual(5);
    expect(grew(A, 'eth0', 'rxPackets')).toBeGreaterThanOrEqual(5);
    expect(grew(B, 'p0', 'rxPackets')).toBeGreaterThanOrEqual(5);
    expect(grew(B, 'p0', 'txPackets')).toBeGreaterThanOrEqual(5);
    expect(after[A]!.eth0!.txBytes - before[A]!.eth0!.txBytes).toBeGreaterThanOrEqual(5 * 98);

    // Counter reads do not eat change notifications: a change after a read is still reported.
    const seen: string[] = [];
    watcher.on('change', (ns) => seen.push(ns));
    await runInNamespace(B, 'ip', ['addr', 'add', '10.66.0.3/32', 'dev', 'lo']);
    await watcher.counters([A, B]);
    await watcher.sync();
    expect(seen).toContain(B);

    await watcher.unwatch([B]);
    expect(Object.keys(await watcher.counters([A, B]))).toEqual([A]);
  });
});
