// The hostile client of `pnpm bench:hostile`, in a process of its own (forked by hostile.ts) so its
// work is not the students': from its own loopback address (127.0.0.2, so per-address limits see it
// apart from the class), it floods the server with joins (the class's code and random names, at most
// `maxJoins` of them; then wrong codes) and with requests at percent-encoded addresses that name the
// API (`/%61pi/…`: without a token, and with guessed tokens), `concurrency` at a time (each kind of
// request by its own workers, as fast as the server answers), until told to stop or `seconds` have passed. It answers the count of each kind of request by status.
import { request, Agent } from 'node:http';
import { randomBytes } from 'node:crypto';

export interface FloodConfig {
  url: string;
  code: string;
  /** A lab of the class the flood aims at (a student's). */
  victimLab: string;
  seconds: number;
  maxJoins: number;
  concurrency: number;
  localAddress: string;
}

export interface FloodResult {
  requests: number;
  seconds: number;
  /** Per kind of request: how many answered with each status (0: no answer). */
  byKind: Record<string, Record<string, number>>;
  /** Joins the server accepted (a lab each, on a server with no seat limit). */
  joinsAccepted: number;
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as FloodConfig;
const agent = new Agent({ keepAlive: true, maxSockets: cfg.concurrency, localAddress: cfg.localAddress });
const target = new URL(cfg.url);

function send(method: string, path: string, body?: unknown, token?: string): Promise<number> {
  return new Promise((resolve) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        method,
        path,
        agent,
        timeout: 30_000,
        headers: {
          ...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end(data);
  });
}

/** A lab of 50 namespaces on a bridge: a document the server compiles if it takes the request. */
const SCRIPT_DOC = {
  name: 'flood',
  nodes: {
    br0: { kind: 'bridge' },
    ...Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`n${i}`, { kind: 'netns' }])),
  },
  links: Array.from({ length: 50 }, (_, i) => ({
    a: { node: `n${i}`, interface: 'eth0', addresses: [`10.9.${i >> 8}.${(i & 255) + 1}/16`] },
    b: { node: 'br0', interface: `p${i}` },
  })),
};

const guess = () => randomBytes(16).toString('hex');
const lab = encodeURIComponent(cfg.victimLab);
let joins = 0;
/** The kinds of request, in turn; each answers its status. */
const kinds: Record<string, () => Promise<number>> = {
  // With the class's code (at /api/join and /%61pi/join in turn) `maxJoins` times in all — each
  // accepted one is a lab —, then with a wrong one.
  'join (class code, at most maxJoins)': () =>
    joins < cfg.maxJoins
      ? send('POST', joins++ % 2 ? '/%61pi/join' : '/api/join', {
          code: cfg.code,
          name: `flood ${guess().slice(0, 8)}`,
        })
      : send('POST', '/%61pi/join', { code: 'WRONG-CODE', name: 'flood' }),
  'join (wrong code), /%61pi/join': () => send('POST', '/%61pi/join', { code: 'WRONG-CODE', name: 'flood' }),
  'POST /%61pi/script, no token': () => send('POST', '/%61pi/script', SCRIPT_DOC),
  'GET /%61pi/labs/VICTIM/state, no token': () => send('GET', `/%61pi/labs/${lab}/state`),
  'GET /api/labs/VICTIM/state, guessed token': () => send('GET', `/api/labs/${lab}/state`, undefined, guess()),
  'GET /%61pi/sessions, guessed token': () => send('GET', '/%61pi/sessions', undefined, guess()),
};

const byKind: Record<string, Record<string, number>> = {};
let requests = 0;
let stop = false;
let joinsAccepted = 0;
process.on('message', (m: { cmd: string }) => {
  if (m.cmd === 'stop') stop = true;
});
const t0 = performance.now();
const end = t0 + cfg.seconds * 1000;
const names = Object.keys(kinds);
await Promise.all(
  Array.from({ length: cfg.concurrency }, async (_, w) => {
    // Each worker sends one kind of request (the kinds shared out in turn), so slow ones (a join
    // makes a lab) do not hold back the fast ones.
    const name = names[w % names.length]!;
    while (!stop && performance.now() < end) {
      const status = await kinds[name]!();
      requests++;
      if (name.startsWith('join (class code') && status === 200) joinsAccepted++;
      const row = (byKind[name] ??= {});
      row[status] = (row[status] ?? 0) + 1;
    }
  }),
);
agent.destroy();
const result: FloodResult = { requests, seconds: (performance.now() - t0) / 1000, byKind, joinsAccepted };
process.send!(result);
process.disconnect();
