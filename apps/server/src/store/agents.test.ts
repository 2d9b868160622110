// The agent registry and lab placements on both databases (SQLite and the throw-away PostgreSQL).
import { AGENT_PROTOCOL_VERSION, type AgentHeartbeat } from '@patchbay/protocol';
import { describe, expect, it } from 'vitest';
import { freshBackendPerTest, STORE_KINDS } from '../../test/store-backends.js';

const beat = (name: string, over: Partial<AgentHeartbeat> = {}): AgentHeartbeat => ({
  protocol: AGENT_PROTOCOL_VERSION,
  name,
  address: `http://127.0.0.1:${name === 'a' ? 7071 : 7072}`,
  state: 'ready',
  prefix: `pb${name}-`,
  labs: [],
  namespaces: 0,
  headroom: { cpus: 2, load1: 0.5, cpuFree: 1.5, memoryFreeBytes: 1e9, memoryTotalBytes: 4e9 },
  ...over,
});

describe.each(STORE_KINDS)('agents and placements (%s)', (kind) => {
  const backend = freshBackendPerTest(kind);

  it('registers an agent at its first heartbeat and keeps the latest one, its registration time unchanged', async () => {
    const s = await (await backend()).open();
    expect(await s.agents.list()).toEqual([]);
    await s.agents.beat(beat('b'), '2026-01-01T00:00:00.000Z');
    await s.agents.beat(beat('a'), '2026-01-01T00:00:01.000Z');
    await s.agents.beat(beat('a', { state: 'draining', labs: ['x', 'y'], namespaces: 6 }), '2026-01-01T00:00:03.000Z');
    expect((await s.agents.list()).map((a) => a.name)).toEqual(['a', 'b']);
    expect(await s.agents.get('a')).toEqual({
      name: 'a',
      address: 'http://127.0.0.1:7071',
      state: 'draining',
      prefix: 'pba-',
      labs: ['x', 'y'],
      namespaces: 6,
      headroom: beat('a').headroom,
      registeredAt: '2026-01-01T00:00:01.000Z',
      lastSeenAt: '2026-01-01T00:00:03.000Z',
    });
    expect(await s.agents.get('nobody')).toBeUndefined();
  });

  it('places a lab once (the first placement wins), moves it, forgets it', async () => {
    const db = await backend();
    const one = await db.open();
    const two = await db.open(); // a second coordinator on the same database
    expect(await one.agents.place('lab1', 'a')).toBe('a');
    expect(await two.agents.place('lab1', 'b')).toBe('a');
    expect(await two.agents.agentOf('lab1')).toBe('a');
    await one.agents.place('lab2', 'a');
    expect(await two.agents.labsOn('a')).toEqual(['lab1', 'lab2']);
    await two.agents.move('lab1', 'b');
    expect(await one.agents.agentOf('lab1')).toBe('b');
    expect(await one.agents.labsOn('a')).toEqual(['lab2']);
    // A failover: only the first of two replicas moving the lab off a lost agent wins.
    expect(await one.agents.moveFrom('lab1', 'b', 'c')).toBe(true);
    expect(await two.agents.moveFrom('lab1', 'b', 'a')).toBe(false);
    expect(await two.agents.agentOf('lab1')).toBe('c');
    await one.agents.unplace('lab2');
    expect(await two.agents.agentOf('lab2')).toBeUndefined();
  });
});
