// The client side of `pnpm bench:live`, in its own process (forked by live.ts) so that the server's
// process holds only the server: a socket.io client, plus the raw tools each figure is compared
// against (`ip monitor`, a bare `tcpdump -l`), all driven by messages from the parent.
import { randomUUID } from 'node:crypto';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { CaptureStatus, ClientToServerEvents, ServerToClientEvents, TablesDelta } from '@patchbay/protocol';
import { io, type Socket } from 'socket.io-client';

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;
const CHILD_ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' };
const wall = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type ClientCommand =
  | { cmd: 'delta'; lab: string; ns: string; node: string; changes: number }
  | {
      cmd: 'capture-latency';
      lab: string;
      node: string;
      iface: string;
      fromNs: string;
      target: string;
      packets: number;
    }
  | {
      cmd: 'throughput';
      lab: string;
      node: string;
      iface: string;
      fromNs: string;
      target: string;
      seconds: number;
      raw: boolean;
    }
  | { cmd: 'subscribe-all'; labs: string[] }
  | { cmd: 'exit' };

function connect(url: string, token: string): Promise<Client> {
  const c: Client = io(url, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
  return new Promise((resolve, reject) => {
    c.once('connect', () => resolve(c));
    c.once('connect_error', reject);
  });
}

function inNs(ns: string, argv: string[]): ChildProcessWithoutNullStreams {
  return spawn('nsenter', [`--net=/run/netns/${ns}`, '--', ...argv], { env: CHILD_ENV, stdio: 'pipe' });
}

const exited = (p: ChildProcessWithoutNullStreams) =>
  new Promise<void>((r) => (p.exitCode !== null ? r() : p.once('close', () => r())));

/** Kernel change → delta: an address added through a persistent `ip -batch -`, timed to the client's delta and to `ip monitor`'s line. */
async function delta(c: Client, o: Extract<ClientCommand, { cmd: 'delta' }>) {
  const waiting = new Map<string, (t: number) => void>();
  c.on('tables:delta', (d: TablesDelta, ack) => {
    const t = wall();
    ack();
    if (d.node !== o.node) return;
    const lo = (d.state.node as { interfaces: { name: string; addresses: string[] }[] }).interfaces.find(
      (i) => i.name === 'lo',
    );
    for (const a of lo?.addresses ?? []) waiting.get(a)?.(t);
  });
  const sub = await c.emitWithAck('tables:subscribe', { lab: o.lab });
  if (!sub.ok) throw new Error(sub.error);
  await sleep(300);
  const monitorSeen = new Map<string, (t: number) => void>();
  const monitor = inNs(o.ns, ['ip', 'monitor', 'address']);
  createInterface({ input: monitor.stdout }).on('line', (l) => {
    const t = wall();
    const m = /inet (\d+\.\d+\.\d+\.\d+\/32)/.exec(l);
    if (m) monitorSeen.get(m[1]!)?.(t);
  });
  const batch = inNs(o.ns, ['ip', '-batch', '-']);
  await sleep(300);
  const client: number[] = [];
  const raw: number[] = [];
  for (let i = 0; i < o.changes; i++) {
    const addr = `10.66.${Math.floor(i / 250)}.${(i % 250) + 1}/32`;
    const gotClient = new Promise<number>((r) => waiting.set(addr, r));
    const gotRaw = new Promise<number>((r) => monitorSeen.set(addr, r));
    const t0 = wall();
    batch.stdin.write(`address add ${addr} dev lo\n`);
    const [tc, tr] = await Promise.all([gotClient, gotRaw]);
    waiting.delete(addr);
    monitorSeen.delete(addr);
    client.push(tc - t0);
    raw.push(tr - t0);
    await sleep(40); // beyond the server's per-namespace read interval: every change is its own delta
  }
  for (let i = 0; i < o.changes; i++)
    batch.stdin.write(`address del 10.66.${Math.floor(i / 250)}.${(i % 250) + 1}/32 dev lo\n`);
  batch.stdin.end();
  await exited(batch);
  monitor.kill();
  c.emit('tables:unsubscribe', { lab: o.lab });
  return { client, raw };
}

/** Packet → line at a steady rate: the packet's capture timestamp to the client's receipt, and to a bare tcpdump's line. */
async function captureLatency(c: Client, o: Extract<ClientCommand, { cmd: 'capture-latency' }>) {
  const client: number[] = [];
  c.on('capture:lines', (e, ack) => {
    const t = wall();
    ack();
    for (const l of e.lines) if (l.ts !== undefined) client.push(t - l.ts);
  });
  const ended = new Promise<CaptureStatus>((r) => c.on('capture:status', (s) => s.state === 'ended' && r(s)));
  const ack = await c.emitWithAck('capture:start', {
    id: randomUUID(),
    lab: o.lab,
    node: o.node,
    interface: o.iface,
    filter: 'icmp',
  });
  if (!ack.ok) throw new Error(ack.error);
  const raw: number[] = [];
  const bare = inNs(o.fromNs.replace(/[^.]+$/, o.node), [
    'tcpdump',
    '-l',
    '--immediate-mode',
    '-nn',
    '-tt',
    '-i',
    o.iface,
    '--',
    'icmp',
  ]);
  createInterface({ input: bare.stdout }).on('line', (l) => {
    const t = wall();
    const m = /^(\d+\.\d+) /.exec(l);
    if (m) raw.push(t - Number(m[1]) * 1000);
  });
  await new Promise<void>((r) => bare.stderr.on('data', (b: Buffer) => /listening on/.test(b.toString()) && r()));
  const ping = inNs(o.fromNs, ['ping', '-q', '-n', '-i', '0.002', '-c', String(o.packets / 2), o.target]);
  const t0 = wall();
  await exited(ping);
  const pps = (o.packets / (wall() - t0)) * 1000;
  await sleep(500);
  c.emit('capture:stop', { id: ack.id });
  const status = await ended;
  bare.kill('SIGINT');
  await exited(bare);
  c.off('capture:lines');
  c.off('capture:status');
  return { client, raw, pps, status };
}

/** Flood: lines per second the client receives (acknowledging at once), against a bare tcpdump's rate. */
async function throughput(c: Client, o: Extract<ClientCommand, { cmd: 'throughput' }>) {
  const captureNs = o.fromNs.replace(/[^.]+$/, o.node);
  let lines = 0;
  let first = 0;
  let last = 0;
  let stop: () => void;
  let status: CaptureStatus | undefined;
  if (o.raw) {
    const bare = inNs(captureNs, ['tcpdump', '-l', '--immediate-mode', '-nn', '-tt', '-s', '96', '-i', o.iface]);
    createInterface({ input: bare.stdout }).on('line', () => {
      last = wall();
      if (!lines++) first = last;
    });
    await new Promise<void>((r) => bare.stderr.on('data', (b: Buffer) => /listening on/.test(b.toString()) && r()));
    stop = () => bare.kill('SIGINT');
    const flood = inNs(o.fromNs, ['ping', '-f', '-q', '-w', String(o.seconds), o.target]);
    await exited(flood);
    stop();
    await exited(bare);
  } else {
    c.on('capture:lines', (e, ack) => {
      ack();
      last = wall();
      if (!lines) first = last;
      lines += e.lines.length;
    });
    const ended = new Promise<CaptureStatus>((r) => c.on('capture:status', (s) => s.state === 'ended' && r(s)));
    const ack = await c.emitWithAck('capture:start', {
      id: randomUUID(),
      lab: o.lab,
      node: o.node,
      interface: o.iface,
      snaplen: 96,
      limits: { seconds: 600, packets: 1_000_000, bytes: 1024 * 1024 * 1024 },
    });
    if (!ack.ok) throw new Error(ack.error);
    const flood = inNs(o.fromNs, ['ping', '-f', '-q', '-w', String(o.seconds), o.target]);
    await exited(flood);
    await sleep(300);
    c.emit('capture:stop', { id: ack.id });
    status = await ended;
    c.off('capture:lines');
    c.off('capture:status');
  }
  const seconds = (last - first) / 1000;
  return { lines, seconds, perSecond: lines / seconds, status };
}

async function subscribeAll(c: Client, labs: string[]) {
  let snapshots = 0;
  c.on('tables:snapshot', () => snapshots++);
  c.on('tables:delta', (_d, ack) => ack());
  const t0 = wall();
  const acks = await Promise.all(labs.map((lab) => c.emitWithAck('tables:subscribe', { lab })));
  const bad = acks.find((a) => !a.ok);
  if (bad && !bad.ok) throw new Error(bad.error);
  while (snapshots < labs.length) await sleep(10);
  return { ms: wall() - t0 };
}

const [url = '', token = ''] = process.argv.slice(2);
const client = await connect(url, token);
process.on('message', (m: ClientCommand) => {
  void (async () => {
    try {
      if (m.cmd === 'exit') {
        client.disconnect();
        process.exit(0);
      }
      const result =
        m.cmd === 'delta'
          ? await delta(client, m)
          : m.cmd === 'capture-latency'
            ? await captureLatency(client, m)
            : m.cmd === 'throughput'
              ? await throughput(client, m)
              : await subscribeAll(client, m.labs);
      process.send!({ ok: true, result });
    } catch (err) {
      process.send!({ ok: false, error: (err as Error).stack ?? String(err) });
    }
  })();
});
process.send!({ ready: true });
