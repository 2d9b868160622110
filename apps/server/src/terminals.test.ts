// Browser terminals over socket.io against the real kernel: a shell in a node's sandbox (bwrap in
// the node's userns-owned namespace), its flow control, and that nothing it started outlives it.
import { readFileSync } from 'node:fs';
import { labSandboxGroup } from '@patchbay/engine';
import {
  INTERACTIVE_SLICE_US,
  listSandboxGroups,
  pidsInNamespaces,
  sandboxGroupPids,
  sandboxGroupValue,
} from '@patchbay/kernel';
import type { LiveAck, TerminalExit, TerminalOpen } from '@patchbay/protocol';
import { namespaceName, parseLabText } from '@patchbay/topology';
import { describe, expect, it } from 'vitest';
import { auth, exampleText, liveServer, TOKEN, streamId, type LiveClient } from './test-support.js';

const PREFIX = 'pbs7-';
const LAB = 'two-containers';
const live = liveServer(PREFIX);
const NS_WEB = namespaceName(PREFIX, LAB, 'ns-web');
const NS_DB = namespaceName(PREFIX, LAB, 'ns-db');

async function connected(c: LiveClient): Promise<void> {
  if (c.connected) return;
  await new Promise<void>((resolve, reject) => {
    c.once('connect', resolve);
    c.once('connect_error', reject);
  });
}

interface Term {
  id: string;
  /** Everything printed so far. */
  out(): string;
  exit(): TerminalExit | undefined;
  type(data: string): void;
  /** Waits until the output (since `from`) matches. */
  waitFor(re: RegExp, opts?: { timeout?: number; from?: number }): Promise<string>;
}

/** A client whose terminals' output is collected (and acked at once, unless `withhold` says not to). */
function terminals(c: LiveClient, withhold?: () => boolean) {
  const outputs = new Map<string, string>();
  const exits = new Map<string, TerminalExit>();
  const held: (() => void)[] = [];
  c.on('terminal:output', (e, ack) => {
    outputs.set(e.id, (outputs.get(e.id) ?? '') + e.data);
    if (withhold?.()) held.push(ack);
    else ack();
  });
  c.on('terminal:exit', (e) => exits.set(e.id, e));
  return {
    held,
    async open(node: string, size: { cols?: number; rows?: number } = {}, id = streamId()): Promise<Term> {
      await connected(c);
      const ack = await c.emitWithAck('terminal:open', {
        id,
        lab: LAB,
        node,
        cols: size.cols ?? 100,
        rows: size.rows ?? 30,
      });
      if (!ack.ok) throw new Error(ack.error);
      expect(ack.id).toBe(id);
      const out = () => outputs.get(id) ?? '';
      return {
        id,
        out,
        exit: () => exits.get(id),
        type: (data) => c.emit('terminal:input', { id, data }),
        async waitFor(re, { timeout = 10_000, from = 0 } = {}) {
          await expect.poll(() => re.test(out().slice(from)), { timeout, interval: 50 }).toBe(true);
          return out().slice(from);
        },
      };
    },
  };
}

/** The sandboxes' processes still in a namespace (the server itself keeps none there). */
async function leftovers(ns: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await pidsInNamespaces([ns])).keys()) {
    try {
      found.push(`${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()}`);
    } catch {
      /* exited meanwhile */
    }
  }
  return found;
}

const prompt = /student@ns-(web|db):~\$ $/;
/** A process's scheduler slice in ns (/proc/PID/sched's se.slice). */
const sliceNs = (pid: number) => Number(/se\.slice\s*:\s*(\d+)/.exec(readFileSync(`/proc/${pid}/sched`, 'utf8'))?.[1]);

describe('terminals over socket.io', () => {
  it('runs a shell as the student in the node, with its network', async () => {
    const t = await terminals(live.client()).open('ns-web');
    await t.waitFor(prompt);
    t.type('id -u; ulimit -u -n; ip -br addr show veth-web; ping -c 1 192.168.100.20\r');
    const out = await t.waitFor(/1 received/, { timeout: 15_000 });
    expect(out).toMatch(/^max user processes\s+\(-u\) 256\r?$/m); // PATCHBAY_LIMITS studentProcesses
    expect(out).toMatch(/^open files\s+\(-n\) 1024\r?$/m);
    expect(out).toMatch(/^1000\r?$/m);
    expect(out).toMatch(/veth-web@\S+\s+UP\s+192\.168\.100\.10\/24/);
    expect(t.exit()).toBeUndefined();
    // The shell (and the sandbox around it) inherited the server's short scheduler slice.
    const inNode = [...(await pidsInNamespaces([NS_WEB])).keys()];
    expect(inNode.length).toBeGreaterThan(0);
    for (const pid of inNode) expect(sliceNs(pid), `pid ${pid}`).toBe(INTERACTIVE_SLICE_US * 1000);
  });

  it('keeps every keystroke typed before the shell is ready (one event per key, as xterm sends them)', async () => {
    const t = await terminals(live.client()).open('ns-web');
    const line = 'echo typed-ahead-$((6*7))-0123456789abcdefghijklmnopqrstuvwxyz\r';
    for (const ch of line) t.type(ch); // at once, before the first prompt
    await t.waitFor(/^typed-ahead-42-0123456789abcdefghijklmnopqrstuvwxyz\r?$/m, { timeout: 15_000 });
  });

  it("streams under the client's id; an id is refused once the connection used it", async () => {
    const c = live.client();
    const id = `term-${streamId()}`;
    const t = await terminals(c).open('ns-web', {}, id);
    await t.waitFor(prompt); // output was routed by the client's id
    c.emit('terminal:close', { id });
    await expect.poll(() => t.exit(), { timeout: 5000 }).toMatchObject({ id, reason: 'closed' });
    expect(await c.emitWithAck('terminal:open', { id, lab: LAB, node: 'ns-web', cols: 80, rows: 24 })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/used before on this connection/),
      problems: [{ path: 'id', code: 'stream.id-reused' }],
    });
    c.disconnect();
  });

  it('resizes the terminal', async () => {
    const c = live.client();
    const t = await terminals(c).open('ns-web', { cols: 80, rows: 24 });
    await t.waitFor(prompt);
    t.type('stty size\r');
    await t.waitFor(/^24 80\r?$/m);
    c.emit('terminal:resize', { id: t.id, cols: 132, rows: 43 });
    const from = t.out().length;
    t.type('stty size\r');
    await t.waitFor(/^43 132\r?$/m, { from });
  });

  it('refuses bridges, the implicit host, unknown labs and nodes, and bad payloads', async () => {
    const c = live.client();
    await connected(c);
    const open = (p: Record<string, unknown>): Promise<LiveAck> =>
      c.emitWithAck('terminal:open', { id: streamId(), ...p } as unknown as TerminalOpen);
    const base = { lab: LAB, node: 'ns-web', cols: 80, rows: 24 };
    expect(await open({ ...base, node: 'br0' })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/br0 is a bridge.*never given to a shell/),
    });
    expect(await open({ ...base, node: '_host' })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/implicit host.*never given to a shell/),
    });
    expect(await open({ ...base, node: 'nope' })).toMatchObject({ ok: false, error: expect.stringContaining('nope') });
    expect(await open({ ...base, lab: 'nope' })).toMatchObject({ ok: false, error: expect.stringContaining('nope') });
    for (const bad of [{ cols: 0 }, { cols: 501 }, { rows: 201 }, { rows: 2.5 }, { node: '' }, { extra: 1 }]) {
      expect(await open({ ...base, ...bad })).toMatchObject({
        ok: false,
        error: 'invalid terminal:open payload',
        problems: [expect.anything()],
      });
    }
    const { lab: _lab, ...noLab } = base;
    expect(await open(noLab)).toMatchObject({
      ok: false,
      problems: expect.arrayContaining([expect.objectContaining({ path: 'lab' })]),
    });
    expect(await open('nope' as unknown as Record<string, unknown>)).toMatchObject({
      ok: false,
      error: 'invalid terminal:open payload',
    });
    // Malformed input, resize and close for a live terminal are ignored; the terminal goes on.
    const t = await terminals(c).open('ns-db');
    await t.waitFor(prompt);
    for (const [event, payload] of [
      ['terminal:input', { id: t.id, data: 'x'.repeat(64 * 1024 + 1) }],
      ['terminal:input', { id: t.id, data: 42 }],
      ['terminal:resize', { id: t.id, cols: 0, rows: 10 }],
      ['terminal:resize', { id: t.id, cols: 10 }],
      ['terminal:close', { id: t.id, extra: true }],
      ['terminal:close', 'nope'],
    ] as const) {
      (c.emit as (e: string, p: unknown) => void)(event, payload);
    }
    const from = t.out().length;
    t.type('echo still-$((40+2))\r');
    await t.waitFor(/still-42/, { from });
    expect(t.exit()).toBeUndefined();
  });

  it('refuses a token for another lab and allows at most 4 terminals per socket', async () => {
    await live.server.store.tokens.add('pbs7-student-other-0123456789', 'student', 'other');
    await live.server.store.tokens.add('pbs7-student-lab-0123456789', 'student', LAB);
    const other = live.client({ token: 'pbs7-student-other-0123456789' });
    await connected(other);
    expect(
      await other.emitWithAck('terminal:open', { id: streamId(), lab: LAB, node: 'ns-web', cols: 80, rows: 24 }),
    ).toMatchObject({ ok: false, error: expect.stringMatching(/does not cover/) });
    const mine = terminals(live.client({ token: 'pbs7-student-lab-0123456789' }));
    const own = await mine.open('ns-db');
    await own.waitFor(prompt);
    const c = live.client();
    const tt = terminals(c);
    const open = await Promise.all([0, 1, 2, 3].map(() => tt.open('ns-web')));
    await expect(tt.open('ns-db')).rejects.toThrow(/at most 4 terminals/);
    for (const t of open) c.emit('terminal:close', { id: t.id });
    await expect.poll(() => open.every((t) => t.exit()?.reason === 'closed'), { timeout: 10_000 }).toBe(true);
    await tt.open('ns-db'); // room again
  });

  it('kills everything started inside on terminal:close', async () => {
    const c = live.client();
    const t = await terminals(c).open('ns-web');
    await t.waitFor(prompt);
    t.type('sleep 1000 & setsid sleep 1000 & trap "" HUP; echo bg-$((1+1))\r');
    await t.waitFor(/bg-2/);
    await expect.poll(async () => (await leftovers(NS_WEB)).join('\n'), { timeout: 5000 }).toMatch(/sleep 1000/);
    c.emit('terminal:close', { id: t.id });
    await expect.poll(() => t.exit(), { timeout: 10_000 }).toMatchObject({ id: t.id, reason: 'closed' });
    expect(await leftovers(NS_WEB)).toEqual([]);
  });

  it('kills everything started inside when the socket disconnects', async () => {
    const c = live.client();
    const t = await terminals(c).open('ns-db');
    await t.waitFor(prompt);
    t.type('nohup sleep 1000 >/dev/null 2>&1 & echo bg-$((2+1))\r');
    await t.waitFor(/bg-3/);
    // the background child may not have exec'd `sleep` yet when the shell echoes
    await expect.poll(async () => (await leftovers(NS_DB)).join('\n'), { timeout: 5000 }).toMatch(/sleep 1000/);
    c.disconnect();
    await expect.poll(() => leftovers(NS_DB), { timeout: 10_000 }).toEqual([]);
    await expect.poll(() => live.server.app.terminals.count, { timeout: 5000 }).toBe(0);
  });

  it('pauses the shell while the client is behind, and drops nothing', async () => {
    let holding = true;
    const c = live.client();
    const tt = terminals(c, () => holding);
    const t = await tt.open('ns-web');
    await t.waitFor(prompt);
    const total = 4_000_000;
    // The command's echo must not match the markers: printf joins them.
    t.type(`printf 'BE''GIN\\n'; head -c ${total} /dev/zero | tr '\\0' x; printf '\\nE''ND\\n'\r`);
    await expect.poll(() => tt.held.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
    await new Promise((r) => setTimeout(r, 1000));
    // Without acks: the batches in flight (4 × ~64 KiB) were sent, the shell waits for the rest.
    const sentWhileHeld = t.out().length;
    expect(sentWhileHeld).toBeLessThan(512 * 1024);
    expect(tt.held.length).toBeLessThanOrEqual(4);
    // …and the server holds at most about 1 MiB for it, with the pty paused.
    const status = live.server.app.terminals.status().find((x) => x.id === t.id);
    expect(status).toMatchObject({ id: t.id, paused: true });
    expect(status!.queued).toBeGreaterThan(512 * 1024);
    expect(status!.queued).toBeLessThan(1024 * 1024 + 256 * 1024);
    holding = false;
    for (const ack of tt.held.splice(0)) ack();
    const out = await t.waitFor(/\r\nEND\r\n/, { timeout: 30_000 });
    const body = out.slice(out.indexOf('BEGIN\r\n') + 'BEGIN\r\n'.length, out.indexOf('\r\nEND\r\n'));
    expect(body.length).toBe(total);
    expect(/^x+$/.test(body)).toBe(true);
  });

  it('interrupts a paused program with Ctrl-C', async () => {
    let holding = true;
    const c = live.client();
    const tt = terminals(c, () => holding);
    const t = await tt.open('ns-db');
    await t.waitFor(prompt);
    t.type('yes\r');
    await expect
      .poll(() => live.server.app.terminals.status().find((x) => x.id === t.id)?.paused, { timeout: 10_000 })
      .toBe(true);
    t.type('\x03');
    holding = false;
    for (const ack of tt.held.splice(0)) ack();
    const from = t.out().length;
    t.type('echo after-$((5+5))\r');
    await t.waitFor(/after-10/, { from, timeout: 20_000 });
    expect(t.exit()).toBeUndefined();
  });

  it('ends terminals with reason lab-changed when the lab is destroyed', async () => {
    const c = live.client();
    const tt = terminals(c);
    const [web, db] = [await tt.open('ns-web'), await tt.open('ns-db')];
    await web.waitFor(prompt);
    await db.waitFor(prompt);
    web.type('sleep 1000 &\r');
    // both shells, in two nodes, share the lab's one cgroup (the per-student budget)
    const group = labSandboxGroup(PREFIX, LAB);
    await expect.poll(() => sandboxGroupPids(group).length, { timeout: 5000 }).toBeGreaterThanOrEqual(5);
    const inGroup = new Set(sandboxGroupPids(group));
    for (const ns of [NS_WEB, NS_DB]) {
      for (const pid of (await pidsInNamespaces([ns])).keys()) expect(inGroup.has(pid), `${ns} pid ${pid}`).toBe(true);
    }
    expect(sandboxGroupValue(group, 'pids.max')).toBe('256');
    const del = await live.server.app.inject({ method: 'DELETE', url: `/api/labs/${LAB}`, headers: auth });
    expect(del.statusCode).toBe(200);
    expect(listSandboxGroups(group)).toEqual([]); // destroy removed it
    await expect
      .poll(() => [web.exit()?.reason, db.exit()?.reason], { timeout: 10_000 })
      .toEqual(['lab-changed', 'lab-changed']);
    await expect.poll(() => live.server.app.terminals.count, { timeout: 5000 }).toBe(0);
    expect(
      await c.emitWithAck('terminal:open', { id: streamId(), lab: LAB, node: 'ns-web', cols: 80, rows: 24 }),
    ).toMatchObject({ ok: false });
    // Back for the next test.
    await live.server.engine.apply(parseLabText(exampleText('two-containers.yaml')).lab!);
  });

  it("ends the terminal of a node an apply removes before its namespace goes, whoever applies (the engine's removing event)", async () => {
    const c = live.client();
    const tt = terminals(c);
    const [web, db] = [await tt.open('ns-web'), await tt.open('ns-db')];
    await db.waitFor(prompt);
    db.type('sleep 1000 &\r');
    const lab = parseLabText(exampleText('two-containers.yaml')).lab!;
    const smaller = structuredClone(lab);
    delete smaller.nodes['ns-db'];
    smaller.links = smaller.links.filter((l) => l.a.node !== 'ns-db' && l.b.node !== 'ns-db');
    // Straight to the engine, no route: the server learns of it from the engine's events alone.
    const r = await live.server.engine.apply(smaller);
    expect(r.ops.map((o) => o.args.join(' '))).toContain(`netns del ${NS_DB}`);
    // removing was awaited: by the time the apply returns, the server had already ended ns-db's terminal.
    expect(live.server.app.terminals.count).toBe(1);
    await expect.poll(() => db.exit()?.reason, { timeout: 10_000 }).toBe('lab-changed');
    expect(web.exit()).toBeUndefined();
    c.emit('terminal:close', { id: web.id });
    await expect.poll(() => web.exit()?.reason, { timeout: 10_000 }).toBe('closed');
    await live.server.engine.apply(lab); // back for the next test
  });

  it('ends the terminal of a node whose kind an apply changes (netns → router): its namespace is made again', async () => {
    const c = live.client();
    const tt = terminals(c);
    const db = await tt.open('ns-db');
    await db.waitFor(prompt);
    db.type('sleep 1000 &\r');
    const lab = parseLabText(exampleText('two-containers.yaml')).lab!;
    const asRouter = structuredClone(lab);
    asRouter.nodes['ns-db'] = { kind: 'router' };
    const r = await live.server.engine.apply(asRouter);
    expect(r.drift).toEqual([]);
    const lines = r.ops.map((o) => o.args.join(' '));
    expect(lines.indexOf(`netns del ${NS_DB}`)).toBeGreaterThanOrEqual(0);
    expect(lines.indexOf(`netns add ${NS_DB}`)).toBe(lines.indexOf(`netns del ${NS_DB}`) + 1);
    expect(live.server.app.terminals.count).toBe(0);
    await expect.poll(() => db.exit()?.reason, { timeout: 10_000 }).toBe('lab-changed');
    expect(await leftovers(NS_DB)).toEqual([]); // the backgrounded sleep went with the old namespace
    // A new shell in the new namespace works.
    const again = await tt.open('ns-db');
    await again.waitFor(prompt);
    again.type('ping -c 1 192.168.100.10\r');
    await again.waitFor(/1 received/, { timeout: 15_000 });
    c.emit('terminal:close', { id: again.id });
    await expect.poll(() => again.exit()?.reason, { timeout: 10_000 }).toBe('closed');
    await live.server.engine.apply(lab); // back for the next test
  });

  it('leaves no process behind when the server closes', async () => {
    const c = live.client({ token: TOKEN });
    const t = await terminals(c).open('ns-web');
    await t.waitFor(prompt);
    t.type('setsid sleep 1000 & echo bg-$((3+1))\r');
    await t.waitFor(/bg-4/);
    await live.server.app.close();
    await expect.poll(() => t.exit(), { timeout: 2000 }).toMatchObject({ reason: 'shutdown' });
    expect(await leftovers(NS_WEB)).toEqual([]);
    expect(await leftovers(NS_DB)).toEqual([]);
  });
});
