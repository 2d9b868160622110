// Two coordinator replicas and three agents as separate processes, as a load-balanced install runs
// them: both coordinators (`serve --no-local-agent`) share one PostgreSQL database
// (PATCHBAY_DATABASE, a database of its own on the test set-up's throw-away cluster) and one Redis
// (PATCHBAY_REDIS); each agent beats to either (`--coordinator A,B`). A class session opened on A
// takes a class of 30 joining through A and through B, their labs spread over the agents (ten
// each); a dashboard connected to B follows the students connected to A (their presence, and the
// run A made of one's checks, reach B through Redis); after a `kill -9` of A the students'
// clients reconnect to B, as a browser behind a load balancer would, and nothing is lost: the
// session, their tokens, their labs (still fixed, on the same agents) and their progress are there
// through B, their terminals work again, no agent was ever lost. Every process is killed and every
// namespace of every prefix removed after, pass or fail.
import { randomBytes } from 'node:crypto';
import { listNamespaces } from '@patchbay/kernel';
import pg from 'pg';
import { io, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { ADMIN, cluster, waitFor } from '../test/agent-cluster.js';

const PREFIXES = ['pbcc0-', 'pbcc1-', 'pbcc2-', 'pbcc3-', 'pbcc4-'] as const;
const PREFIX_OF: Record<string, string> = { one: 'pbcc2-', two: 'pbcc3-', three: 'pbcc4-' };
const c = cluster(PREFIXES);
const sockets: Socket[] = [];
const databases: string[] = [];

/** Runs SQL on the throw-away cluster's `postgres` database (CREATE/DROP DATABASE). */
async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: inject('postgresUrl') });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

afterEach(async () => {
  for (const s of sockets.splice(0)) s.disconnect();
  await c.cleanup(); // every process killed first: no coordinator holds the database any more
  for (const name of databases.splice(0)) await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
});

const headers = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };

interface Student {
  name: string;
  lab: string;
  agent?: string;
  passed: number;
  total: number;
  lastCheckAt?: string;
  moved?: unknown;
  online?: boolean;
}
interface CheckRun {
  lab: string;
  passed: number;
  total: number;
  at: string;
}

/** A socket.io client as the web app opens one (no reconnection: the test switches URLs itself). */
async function connect(url: string, token: string): Promise<Socket> {
  const s = io(url, { path: '/socket.io/', auth: { token }, transports: ['websocket'], reconnection: false });
  sockets.push(s);
  await new Promise<void>((resolve, reject) => {
    s.once('connect', resolve);
    s.once('connect_error', reject);
  });
  return s;
}

/** Opens a terminal in `node` of `lab`, types `command`, and resolves with the output once `until` matches. */
async function typeIn(s: Socket, id: string, lab: string, node: string, command: string, until: RegExp) {
  let output = '';
  s.on('terminal:output', (o: { id: string; data: string }, ack?: () => void) => {
    if (o.id === id) output += o.data;
    ack?.();
  });
  const opened = (await s.emitWithAck('terminal:open', { id, lab, node, cols: 100, rows: 30 })) as { ok: boolean };
  expect(opened, JSON.stringify(opened)).toMatchObject({ ok: true });
  s.emit('terminal:input', { id, data: `${command}\n` });
  await waitFor(`the output of ${JSON.stringify(command)}`, 20_000, async () =>
    until.test(output) ? true : undefined,
  );
  s.emit('terminal:close', { id });
  return output;
}

describe('two coordinators on one PostgreSQL and one Redis, three agents', () => {
  it('spreads a class over the agents through either coordinator, shows A’s students on B’s dashboard, and loses nothing when A is killed', async () => {
    const database = `pbcc_${randomBytes(6).toString('hex')}`;
    await admin(`CREATE DATABASE ${database}`);
    databases.push(database);
    const dbUrl = new URL(inject('postgresUrl'));
    dbUrl.pathname = `/${database}`;
    const shared = { PATCHBAY_DATABASE: dbUrl.toString(), PATCHBAY_REDIS: inject('redisUrl') };
    // One after the other: the first creates the tables (both would be safe: an advisory lock).
    const a = await c.coordinator(['--no-local-agent'], { ...shared, PATCHBAY_PREFIX: 'pbcc0-' });
    const b = await c.coordinator(['--no-local-agent'], { ...shared, PATCHBAY_PREFIX: 'pbcc1-' });
    for (const [name, prefix] of Object.entries(PREFIX_OF))
      c.agent(name, prefix, ['--coordinator', `${a.url},${b.url}`]);
    const readyOn = async (url: string) =>
      (
        (await (await fetch(`${url}/api/agents`, { headers })).json()) as { agents: { name: string; state: string }[] }
      ).agents
        .filter((x) => x.state === 'ready')
        .map((x) => x.name)
        .sort();
    await waitFor('three agents registered, seen by both coordinators', 20_000, async () =>
      (await readyOn(a.url)).length === 3 && (await readyOn(b.url)).length === 3 ? true : undefined,
    );

    // (1) The session opened on A; students join through A and through B alternately.
    const created = await fetch(`${a.url}/api/sessions`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ scenario: 'link-down' }),
    });
    expect(created.status).toBe(201);
    const session = (await created.json()) as { id: string; code: string };
    const joined: { name: string; token: string; lab: string; via: 'A' | 'B' }[] = [];
    // A class of 30, one after another (so that each placement sees the ones before it).
    const names = [
      'Ada',
      'Bea',
      'Cy',
      'Dov',
      'Eli',
      'Fay',
      ...Array.from({ length: 24 }, (_, i) => `Student ${i + 7}`),
    ];
    for (const [i, name] of names.entries()) {
      const via = i % 2 === 0 ? 'A' : 'B';
      const r = await fetch(`${(via === 'A' ? a : b).url}/api/join`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: session.code, name }),
      });
      expect(r.status, await r.clone().text()).toBe(200);
      joined.push({ name, via, ...((await r.json()) as { token: string; lab: string }) });
    }
    const studentsOn = async (url: string) =>
      ((await (await fetch(`${url}/api/sessions/${session.id}`, { headers })).json()) as { students: Student[] })
        .students;
    const before = await studentsOn(b.url);
    expect(before.map((s) => s.name).sort()).toEqual(joined.map((j) => j.name).sort());
    // Ten each (the fewest labs per CPU first), whichever coordinator placed them, and each lab in
    // its agent's kernel objects only.
    const perAgent = new Map<string, number>();
    for (const s of before) perAgent.set(s.agent!, (perAgent.get(s.agent!) ?? 0) + 1);
    expect(before).toHaveLength(30);
    expect(Object.fromEntries(perAgent)).toEqual({ one: 10, two: 10, three: 10 });
    for (const s of before) expect((await listNamespaces(`${PREFIX_OF[s.agent!]}${s.lab}.`)).length).toBeGreaterThan(0);
    expect(await listNamespaces('pbcc0-')).toEqual([]);
    expect(await listNamespaces('pbcc1-')).toEqual([]);

    // (2) A dashboard on B; the fifteen who joined through A open their exercise on A. Ada, one of
    // them, works through A: fixes her lab in a terminal relayed by A and asks A for a run of her
    // checks. B's dashboard gets that very run.
    const dashboard = await connect(b.url, ADMIN);
    const progress: { session: string; student: Student }[] = [];
    dashboard.on('session:progress', (e: { session: string; student: Student }) => progress.push(e));
    expect(await dashboard.emitWithAck('session:subscribe', { session: session.id })).toMatchObject({ ok: true });
    const ada = joined[0]!;
    expect(ada.via).toBe('A');
    const viaA = joined.filter((j) => j.via === 'A');
    expect(viaA).toHaveLength(15);
    const pagesOnA: Socket[] = [];
    for (const j of viaA) {
      const page = await connect(a.url, j.token);
      expect(await page.emitWithAck('exercise:subscribe', { lab: j.lab }), j.name).toMatchObject({ ok: true });
      pagesOnA.push(page);
    }
    const adaOnA = pagesOnA[0]!;
    // B's own view counts them online (A announces its connections to the replicas), and nobody else.
    const onlineOnB = async () =>
      (await studentsOn(b.url))
        .filter((s) => s.online)
        .map((s) => s.name)
        .sort();
    const namesViaA = viaA.map((j) => j.name).sort();
    await waitFor('A’s students online in B’s view of the session', 10_000, async () =>
      JSON.stringify(await onlineOnB()) === JSON.stringify(namesViaA) ? true : undefined,
    );
    await typeIn(adaOnA, 'ada-term-a-0001', ada.lab, 'db', 'ip link set eth0 up; echo fixed-$((6*7))', /fixed-42/);
    const checks = (lab: string, token: string, url: string) =>
      fetch(`${url}/api/labs/${lab}/checks`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    const runOnA = await checks(ada.lab, ada.token, a.url);
    expect(runOnA.status).toBe(200);
    const runA = (await runOnA.json()) as CheckRun;
    expect(runA.passed).toBeGreaterThan(0);
    await waitFor('A’s run of Ada’s checks on B’s dashboard', 10_000, async () =>
      progress.some((e) => e.student.lab === ada.lab && e.student.lastCheckAt === runA.at) ? true : undefined,
    );
    const seen = progress.find((e) => e.student.lab === ada.lab && e.student.lastCheckAt === runA.at)!;
    expect(seen).toMatchObject({ session: session.id, student: { name: 'Ada', passed: runA.passed } });

    // (3) kill -9 of A. The students' clients reconnect to B (a browser behind a load balancer).
    const namespacesBefore = new Map<string, string[]>();
    for (const s of before)
      namespacesBefore.set(s.lab, (await listNamespaces(`${PREFIX_OF[s.agent!]}${s.lab}.`)).sort());
    const killedAt = Date.now();
    a.proc.child.kill('SIGKILL');
    await a.proc.exited;
    await waitFor('the pages on A lose coordinator A', 5000, async () =>
      pagesOnA.some((p) => p.connected) ? undefined : true,
    );
    const pages = new Map<string, Socket>();
    for (const j of joined) {
      const page = await connect(b.url, j.token);
      expect(await page.emitWithAck('exercise:subscribe', { lab: j.lab }), j.name).toMatchObject({ ok: true });
      pages.set(j.name, page);
    }
    // Longer than an agent takes to be lost (6 s): the agents beat to B now, none is lost, nobody moved.
    await new Promise((r) => setTimeout(r, Math.max(0, 8000 - (Date.now() - killedAt))));
    expect(await readyOn(b.url)).toEqual(['one', 'three', 'two']);
    const after = await studentsOn(b.url);
    for (const s of before) {
      const now = after.find((x) => x.lab === s.lab)!;
      expect(now, s.name).toMatchObject({ name: s.name, agent: s.agent });
      expect(now.moved, s.name).toBeUndefined();
      expect((await listNamespaces(`${PREFIX_OF[s.agent!]}${s.lab}.`)).sort(), s.name).toEqual(
        namespacesBefore.get(s.lab),
      );
    }
    // Ada's progress is there, and her token still opens her exercise through B.
    const adaNow = after.find((x) => x.lab === ada.lab)!;
    expect(adaNow.passed).toBeGreaterThanOrEqual(runA.passed);
    expect(adaNow.lastCheckAt! >= runA.at).toBe(true);
    for (const j of joined) {
      const view = await fetch(`${b.url}/api/labs/${j.lab}/exercise`, {
        headers: { authorization: `Bearer ${j.token}` },
      });
      expect(view.status, j.name).toBe(200);
    }
    // Her lab kept her fix: a terminal relayed by B reaches db from web, and her checks run through B.
    const adaOnB = pages.get('Ada')!;
    await typeIn(adaOnB, 'ada-term-b-0001', ada.lab, 'web', 'ping -c 2 -W 1 192.168.100.20', /2 received/);
    const results: CheckRun[] = [];
    adaOnB.on('exercise:results', (r: CheckRun) => results.push(r));
    const runOnB = await checks(ada.lab, ada.token, b.url);
    expect(runOnB.status).toBe(200);
    const runB = (await runOnB.json()) as CheckRun;
    expect(runB.passed).toBe(runB.total);
    await waitFor('the run on Ada’s page', 10_000, async () =>
      results.some((r) => r.at === runB.at) ? true : undefined,
    );
    await waitFor('the run through B on B’s dashboard', 10_000, async () =>
      progress.some((e) => e.student.lab === ada.lab && e.student.passed === runB.total) ? true : undefined,
    );
    // Another student who joined through A: their terminal works again through B, on their unfixed lab.
    const cy = joined.find((j) => j.name === 'Cy')!;
    await typeIn(pages.get('Cy')!, 'cy-term-b-0001', cy.lab, 'db', 'ip -br link show eth0', /eth0\S*\s+DOWN/);
    const runCy = (await (await checks(cy.lab, cy.token, b.url)).json()) as CheckRun;
    expect(runCy.passed).toBeLessThan(runCy.total);
    // A class of 30 on three agents and two coordinators: 32–41 s measured on 2 cores under load.
  }, 180_000);
});
