// Fuzz of the server against the real kernel (prefix pbs8-, the two-containers lab applied): every
// REST route and every socket.io event gets malformed, oversized and hostile input, and must answer
// 4xx (JSON with `error`) or a refusal ack, never 5xx, never crash or hang, and never change the
// kernel: the lab's namespaces stay exactly as they were, no process is left in them, pings pass.
// Deterministic: a seeded PRNG (printed; FUZZ_SEED=n replays a run).
import { execFileSync } from 'node:child_process';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import {
  CaptureRefSchema,
  CaptureStartSchema,
  ExerciseSubscribeSchema,
  PingStartSchema,
  SessionSubscribeSchema,
  TablesSubscribeSchema,
  TerminalInputSchema,
  TerminalOpenSchema,
} from '@patchbay/protocol';
import { parseLabText } from '@patchbay/topology';
import { io } from 'socket.io-client';
import { beforeAll, describe, expect, it } from 'vitest';
import { auth, exampleText, liveServer, TOKEN, streamId, type LiveClient } from './test-support.js';

const SEED = Number(process.env['FUZZ_SEED'] ?? 0x5eed8) >>> 0;
console.log(`fuzz seed ${SEED} (FUZZ_SEED=${SEED} replays this run)`);
const PER_ROUTE = 100;
const PER_EVENT = 100;

// Generous limits: the fuzz is about input, not rate (a 429 would hide what a route does with it).
const live = liveServer('pbs8-', undefined, {
  requestsPerSecond: 100_000,
  requestBurst: 100_000,
  eventsPerSecond: 100_000,
  eventBurst: 100_000,
});
const LAB = 'two-containers';
const LAB_NS = ['_host', 'ns-db', 'ns-web'].map((n) => `pbs8-${LAB}.${n}`);
const LAB_YAML = exampleText('two-containers.yaml');
const LAB_DOC = parseLabText(LAB_YAML).lab! as unknown as Record<string, unknown>;
const DRAFT = { document: LAB_DOC, layout: { positions: { 'ns-web': { x: 1, y: 2 } } } };
const STUDENT = 'fuzz-student-token-0123456789';

// ---- a seeded PRNG (mulberry32) and hostile values
type Rng = ReturnType<typeof prng>;
function prng(seed: number) {
  let a = seed;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  return { int, chance: (p: number) => next() < p, pick: <T>(xs: readonly T[]): T => xs[int(xs.length)]! };
}

const MB = 'x'.repeat(1024 * 1024);
/** Nesting as text (JSON.stringify gives up near 5k levels, JSON.parse does not). */
const deepText = (n: number, arrays = false): string =>
  arrays ? '['.repeat(n) + ']'.repeat(n) : '{"a":'.repeat(n) + '1' + '}'.repeat(n);
const DEEP = JSON.parse(deepText(2000)) as unknown;
const POLLUTED = (): unknown => JSON.parse('{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}}');
const STRINGS = [
  '',
  ' ',
  '\u0000',
  '\u0001\u001b[2J\u007f\b',
  '\r\n',
  'é\u202e\ud800🙂\uffff',
  'NaN',
  'Infinity',
  '-1',
  '1e308',
  '0x1F',
  '9007199254740993',
  '../../../etc/passwd',
  '..%2f..%2fetc',
  ';rm -rf /',
  '$(id)',
  '`id`',
  '| cat /etc/shadow',
  '-w',
  '--help',
  '-i0',
  '__proto__',
  'constructor',
  'toString',
  LAB,
  'ns-web',
  '_host',
  'br0',
  'A'.repeat(300),
  'a'.repeat(25),
  '%',
  '%00',
  '{}',
  'null',
  'true',
  'any',
  'icmp or',
  'eth0 ',
];
const NUMBERS = [0, -1, -0, 0.5, 1e308, -1e308, 2 ** 53 + 1, 2 ** 31, 4294967296, 1e-300, 63, 1473, 5001];
const KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'lab',
  'node',
  'id',
  'data',
  'a',
  '',
  '\u0000',
  'toString',
  'extra',
];

/** Wrong types, nulls, huge and hostile strings, numbers, pollution, arrays for objects, nesting. */
function hostile(r: Rng, huge: boolean, depth = 0): unknown {
  switch (r.int(depth > 1 ? 6 : 12)) {
    case 0:
      return r.pick([null, undefined, true, false]);
    case 1:
      return r.pick(NUMBERS);
    case 2:
    case 3:
      return r.pick(STRINGS);
    case 4:
      return r.pick(STRINGS) + r.pick(STRINGS);
    case 5:
      return r.pick([{}, [], [{}], [LAB]]);
    case 6:
      return POLLUTED();
    case 7:
      return Array.from({ length: r.int(4) }, () => hostile(r, huge, depth + 1));
    case 8:
    case 9:
      return Object.fromEntries(
        Array.from({ length: 1 + r.int(4) }, () => [r.pick(KEYS), hostile(r, huge, depth + 1)]),
      );
    case 10:
      return r.chance(0.5) ? DEEP : Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i]));
    default:
      return huge && r.chance(0.4) ? MB : 'y'.repeat(r.int(70_000));
  }
}

/** A valid payload with one field (anywhere in it) dropped, replaced, or one hostile key added. */
function mutate(r: Rng, valid: unknown, huge: boolean): unknown {
  const copy = structuredClone(valid) as Record<string, unknown>;
  const slots: [Record<string, unknown>, string][] = [];
  const walk = (o: unknown): void => {
    if (o && typeof o === 'object') {
      for (const k of Object.keys(o)) {
        slots.push([o as Record<string, unknown>, k]);
        walk((o as Record<string, unknown>)[k]);
      }
    }
  };
  walk(copy);
  const [o, k] = slots.length ? r.pick(slots) : [copy, 'x'];
  const op = r.int(3);
  if (op === 0) {
    if (Array.isArray(o)) o.splice(Number(k), 1);
    else delete o[k];
  } else if (op === 1) o[k] = hostile(r, huge);
  else
    Object.defineProperty(o, r.pick(KEYS), {
      value: hostile(r, huge),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return copy;
}
const payloadFor = (r: Rng, valid: unknown, huge: boolean): unknown =>
  r.chance(0.5) ? mutate(r, valid, huge) : hostile(r, huge);

// ---- the kernel
const labNamespaces = (): string[] =>
  execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n.startsWith('pbs8-'))
    .sort();
const pidsIn = (): string =>
  LAB_NS.map((ns) => execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).trim())
    .join(' ')
    .trim();
const pings = (): boolean => {
  try {
    execFileSync('ip', ['netns', 'exec', `pbs8-${LAB}.ns-web`, 'ping', '-n', '-c1', '-W2', '192.168.100.20'], {
      stdio: 'ignore',
    });
    return true;
  } catch {
    return false;
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  expect(labNamespaces()).toEqual(LAB_NS);
  await live.server.store.tokens.add(STUDENT, 'student', 'other-lab');
});

// ---- REST
const YAML_BAD = [
  deepText(10_000, true),
  '{'.repeat(10_000),
  '- '.repeat(5000) + 'x',
  'a: !!js/function "f(){}"',
  'name: !!binary aGVsbG8=',
  '<<: *nope',
  'a: b: c',
  '\u0000',
  '%YAML 9.9\n---\nname: x',
  `${LAB_YAML}\nname: again`,
  'name: [' + '"x",'.repeat(50_000) + ']',
  '&a [*a]',
  [
    'lol: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    ...Array.from({ length: 8 }, (_, i) => `l${i + 1}: &l${i + 1} [${Array(9).fill(`*l${i}`).join(',')}]`),
  ].join('\n'),
];
const BAD_JSON = [
  `{"document":${deepText(10_000)}}`,
  '{',
  '{"name":',
  '[',
  deepText(10_000),
  deepText(10_000, true),
  '{"a":1,}',
  "{'a':1}",
  'NaN',
  '\u0000',
  '{"__proto__":{"x":1}}',
  '{"constructor":{"prototype":{"x":1}}}',
  '"str"',
  '1e999',
];
const TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-16',
  'application/xml',
  ';;;',
  '*/*',
  'application/yaml; charset=latin1',
  'application/octet-stream',
  'application/json, text/yaml',
];
const ROUTES: [string, string][] = [
  ['GET', '/api/labs'],
  ['GET', '/api/labs/:name'],
  ['PUT', '/api/labs/:name'],
  ['DELETE', '/api/labs/:name'],
  ['GET', '/api/labs/:name/state'],
  ['GET', '/api/labs/:name/captures'],
  ['GET', '/api/labs/:name/captures/:id/pcap'],
  ['GET', '/api/drafts'],
  ['GET', '/api/drafts/:name'],
  ['PUT', '/api/drafts/:name'],
  ['DELETE', '/api/drafts/:name'],
  ['GET', '/api/examples'],
  ['POST', '/api/script'],
  ['GET', '/api/openapi.json'],
  ['GET', '/api/health'],
  ['PATCH', '/api/labs/:name'],
  ['POST', '/api/labs'],
  ['OPTIONS', '/api/labs/:name'],
  ['HEAD', '/api/labs/:name/state'],
  ['GET', '/api/scenarios'],
  ['GET', '/api/scenarios/:id'],
  ['POST', '/api/scenarios/validate'],
  ['POST', '/api/sessions'],
  ['GET', '/api/sessions'],
  ['GET', '/api/sessions/:id'],
  ['DELETE', '/api/sessions/:id'],
  ['POST', '/api/sessions/:id/students/:student/reset'],
  ['POST', '/api/join'],
  ['GET', '/api/labs/:name/exercise'],
  ['POST', '/api/labs/:name/checks'],
  ['POST', '/api/labs/:name/hints'],
  ['POST', '/api/labs/:name/reset'],
];
const printable = (v: unknown): string => {
  if (typeof v === 'object') return JSON.stringify(v).replace(/[^\x20-\x7e]/g, '?');
  if (typeof v === 'function') return v.toString().replace(/[^\x20-\x7e]/g, '?');
  const primitive = v as string | number | bigint | boolean | symbol | undefined;
  return String(primitive).replace(/[^\x20-\x7e]/g, '?');
};

function param(r: Rng, valid: readonly string[]): string {
  const h = hostile(r, false);
  const v = r.chance(0.4) ? r.pick(valid) : h !== null && typeof h === 'object' ? r.pick(STRINGS) : String(h);
  return r.chance(0.85) ? encodeURIComponent(v.replace(/[\ud800-\udfff]/g, '\ufffd')) : v.replace(/[?#\s]/g, '');
}
function query(r: Rng, put: boolean): string {
  const q: string[] = put
    ? [r.chance(0.6) ? 'dryRun=true' : `dryRun=${encodeURIComponent(printable(hostile(r, false)))}`]
    : [];
  if (put && r.chance(0.1)) q.push(r.pick(['dryRun=true', 'dryRun=false', 'dryRun[]=true']));
  if (r.chance(0.3))
    q.push(
      r.pick([
        '__proto__[polluted]=1',
        'constructor[prototype][x]=1',
        `a=${'b'.repeat(100_000)}`,
        '%',
        '&&&',
        `${encodeURIComponent(printable(r.pick(KEYS)))}=${encodeURIComponent(printable(r.pick(STRINGS)))}`,
      ]),
    );
  return q.length ? `?${q.join('&')}` : '';
}
function headers(r: Rng): Record<string, string> {
  const h = ((): Record<string, string> => {
    switch (r.int(16)) {
      case 0:
        return {};
      case 1:
        return { authorization: 'Bearer' };
      case 2:
        return { authorization: `Bearer ${printable(hostile(r, false)).slice(0, 200_000)}` };
      case 3:
        return { authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}` };
      case 4:
        return {
          authorization: r.pick([
            `Bearer ${TOKEN} extra`,
            `${TOKEN}`,
            `bearer  ${TOKEN}x`,
            `Bearer ${'x'.repeat(100_000)}`,
          ]),
        };
      case 5:
        return { authorization: `Bearer ${STUDENT}` };
      default:
        return { ...auth };
    }
  })();
  if (r.chance(0.1)) h['x-forwarded-for'] = '../../;$(id)';
  return h;
}
function body(r: Rng, base: unknown): { payload?: string | Buffer; type?: string } {
  switch (r.int(9)) {
    case 0:
      return {};
    case 1:
    case 2:
      return { payload: JSON.stringify(payloadFor(r, base, false)) ?? 'undefined', type: 'application/json' };
    case 3:
      return { payload: r.pick(BAD_JSON), type: r.pick(['application/json', 'application/json; charset=utf-8']) };
    case 4:
      return {
        payload: r.chance(0.5) ? r.pick(YAML_BAD) : (JSON.stringify(payloadFor(r, base, false)) ?? '~'),
        type: r.pick(['application/yaml', 'text/yaml', 'application/x-yaml']),
      };
    case 5: {
      // the lab's YAML with a hostile string spliced in
      const at = r.int(LAB_YAML.length);
      return {
        payload: LAB_YAML.slice(0, at) + printable(hostile(r, false)) + LAB_YAML.slice(at + r.int(20)),
        type: 'application/yaml',
      };
    }
    case 6:
      return { payload: `{"name":"${'x'.repeat(BODY_OVER)}"}`, type: r.pick(['application/json', 'application/yaml']) };
    case 7:
      return { payload: JSON.stringify(base), type: r.pick(TYPES) };
    default:
      return {
        payload: Buffer.from(Array.from({ length: r.int(2048) }, () => r.int(256))),
        type: r.pick(['application/json', 'application/yaml', 'application/octet-stream']),
      };
  }
}
const BODY_OVER = 1024 * 1024 + 16;

describe('fuzz', () => {
  it(`REST: ${ROUTES.length} routes × ${PER_ROUTE} hostile requests answer < 500, 4xx as JSON with error`, async () => {
    const r = prng(SEED);
    const { app } = live.server;
    const failures: string[] = [];
    let n = 0;
    const codes = new Map<number, number>();
    for (const [method, route] of ROUTES) {
      for (let i = 0; i < PER_ROUTE; i++) {
        const path = route
          .replace(':name', () => param(r, [LAB, 'nope', 'fuzz-lab', 'z'.repeat(24)]))
          .replace(':id', () => param(r, ['00000000-0000-0000-0000-000000000000', 'link-down']))
          .replace(':student', () => param(r, ['00000000-0000-0000-0000-000000000000']));
        const url = path + query(r, method === 'PUT' && route.startsWith('/api/labs/'));
        // Never a real destroy of the lab (raw names may hold ../ that the URL parser resolves).
        if (method === 'DELETE' && new URL(url, 'http://x').pathname === `/api/labs/${LAB}`) continue;
        const b =
          ['PUT', 'POST', 'PATCH', 'DELETE'].includes(method) || r.chance(0.1)
            ? body(r, route.startsWith('/api/drafts') ? DRAFT : LAB_DOC)
            : {};
        const h = headers(r);
        if (b.type) h['content-type'] = b.type;
        const res = await app.inject({
          method: method as 'GET',
          url,
          headers: h,
          ...(b.payload !== undefined ? { payload: b.payload } : {}),
        });
        n++;
        codes.set(res.statusCode, (codes.get(res.statusCode) ?? 0) + 1);
        const what = `${method} ${url.slice(0, 120)} [${h['content-type'] ?? ''}] ${String(b.payload ?? '').slice(0, 80)} → ${res.statusCode} ${res.body.slice(0, 200)}`;
        if (res.statusCode >= 500) failures.push(what);
        else if (res.statusCode >= 400 && method !== 'HEAD') {
          let error: unknown;
          try {
            error = res.json<{ error?: unknown }>().error;
          } catch {
            /* not JSON */
          }
          if (typeof error !== 'string') failures.push(`no JSON error: ${what}`);
        }
      }
    }
    console.log(`REST: ${n} requests, statuses ${JSON.stringify(Object.fromEntries([...codes].sort()))}`);
    expect(failures).toEqual([]);
    // An invalid dryRun never applies (the YAML body skips the schema's check of the query).
    const victim = LAB_YAML.replace(`name: ${LAB}`, 'name: fuzz-victim').replaceAll('192.168.100.', '192.168.101.');
    for (const q of [
      'dryRun=yes',
      'dryRun=1',
      'dryRun=true&dryRun=false',
      'dryRun[]=true',
      'dryrun=true',
      'dryRun=true&x=1',
    ]) {
      const res = await app.inject({
        method: 'PUT',
        url: `/api/labs/fuzz-victim?${q}`,
        headers: { ...auth, 'content-type': 'application/yaml' },
        payload: victim,
      });
      expect(res.statusCode, `${q}: ${res.body}`).toBe(400);
    }
    expect(labNamespaces()).toEqual(LAB_NS);
    expect(pings()).toBe(true);
  });

  // ---- sockets
  type Loose = {
    emit(ev: string, ...a: unknown[]): void;
    timeout(ms: number): { emitWithAck(ev: string, ...a: unknown[]): Promise<unknown> };
  };
  const loose = (c: LiveClient): Loose => c;
  const ACK_MS = 10_000;
  const clients: LiveClient[] = [];
  async function connect(authArg: unknown = { token: TOKEN }): Promise<LiveClient> {
    const c = live.client(authArg as Record<string, unknown>);
    clients.push(c);
    await new Promise<void>((resolve, reject) => (c.once('connect', resolve), c.once('connect_error', reject)));
    return c;
  }
  const isRefusal = (a: unknown): boolean =>
    !!a &&
    typeof a === 'object' &&
    (a as { ok?: unknown }).ok === false &&
    typeof (a as { error?: unknown }).error === 'string';
  const isAck = (a: unknown): boolean =>
    isRefusal(a) ||
    (!!a &&
      typeof a === 'object' &&
      (a as { ok?: unknown }).ok === true &&
      typeof (a as { id?: unknown }).id === 'string');

  interface Spec {
    ev: string;
    schema?: TSchema;
    defaults?: boolean;
    acked: boolean;
    valid: (c: LiveClient) => Promise<Record<string, unknown>>;
  }
  const started = async (c: LiveClient, ev: string, p: unknown): Promise<string> => {
    const a = (await loose(c)
      .timeout(ACK_MS)
      .emitWithAck(ev, { ...(p as object), id: streamId() })) as { ok: boolean; id: string; error?: string };
    if (!a.ok) throw new Error(`${ev}: ${a.error}`);
    return a.id;
  };
  const PING = { id: streamId(), lab: LAB, node: 'ns-web', target: '192.168.100.20', count: 1, intervalMs: 200 };
  const CAPTURE = {
    id: streamId(),
    lab: LAB,
    node: 'ns-web',
    interface: 'any',
    filter: 'icmp',
    limits: { seconds: 5 },
  };
  const TERMINAL = { id: streamId(), lab: LAB, node: 'ns-web', cols: 80, rows: 24 };
  const SPECS: Spec[] = [
    { ev: 'ping:start', schema: PingStartSchema, defaults: true, acked: true, valid: async () => PING },
    {
      ev: 'ping:stop',
      acked: false,
      valid: async (c) => ({ id: await started(c, 'ping:start', { ...PING, count: 100 }) }),
    },
    { ev: 'tables:subscribe', schema: TablesSubscribeSchema, acked: true, valid: async () => ({ lab: LAB }) },
    { ev: 'tables:unsubscribe', acked: false, valid: async () => ({ lab: LAB }) },
    { ev: 'capture:start', schema: CaptureStartSchema, defaults: true, acked: true, valid: async () => CAPTURE },
    ...['capture:subscribe', 'capture:unsubscribe', 'capture:stop'].map((ev) => ({
      ev,
      ...(ev === 'capture:subscribe' ? { schema: CaptureRefSchema } : {}),
      acked: ev === 'capture:subscribe',
      valid: async (c: LiveClient) => ({ id: await started(c, 'capture:start', CAPTURE) }),
    })),
    { ev: 'terminal:open', schema: TerminalOpenSchema, acked: true, valid: async () => TERMINAL },
    {
      ev: 'terminal:input',
      acked: false,
      valid: async (c) => ({ id: await started(c, 'terminal:open', TERMINAL), data: '# fuzz' }),
    },
    {
      ev: 'terminal:resize',
      acked: false,
      valid: async (c) => ({ id: await started(c, 'terminal:open', TERMINAL), cols: 100, rows: 30 }),
    },
    { ev: 'terminal:close', acked: false, valid: async (c) => ({ id: await started(c, 'terminal:open', TERMINAL) }) },
    { ev: 'exercise:subscribe', schema: ExerciseSubscribeSchema, acked: true, valid: async () => ({ lab: LAB }) },
    { ev: 'exercise:unsubscribe', acked: false, valid: async () => ({ lab: LAB }) },
    {
      ev: 'session:subscribe',
      schema: SessionSubscribeSchema,
      acked: true,
      valid: async () => ({ session: '00000000-0000-0000-0000-000000000000' }),
    },
    {
      ev: 'session:unsubscribe',
      acked: false,
      valid: async () => ({ session: '00000000-0000-0000-0000-000000000000' }),
    },
  ];
  /** Hostile input never reaches a real shell as a command: valid keystrokes are defused into a comment. */
  const defuse = (ev: string, p: unknown): unknown =>
    ev === 'terminal:input' && Value.Check(TerminalInputSchema, p)
      ? { ...p, data: `# ${p.data.replace(/[^\x20-\x7e]/g, '')}`.slice(0, 200) }
      : p;

  it(`sockets: ${SPECS.length} events × ${PER_EVENT} payloads, no payload, extra arguments, unknown events, oversize, raw packets`, async () => {
    const failures: string[] = [];
    let emitted = 0;
    let accepted = 0;
    await Promise.all(
      SPECS.map(async (spec, k) => {
        const r = prng(SEED + 1 + k);
        const c = await connect();
        const valid = await spec.valid(c);
        const acks: Promise<void>[] = [];
        const expectAck = (label: string, p: unknown, args: unknown[]): void => {
          const schema = spec.schema!;
          const input =
            spec.defaults && p !== null && typeof p === 'object' ? Value.Default(schema, Value.Clone(p)) : p;
          const invalid = !Value.Check(schema, input);
          acks.push(
            loose(c)
              .timeout(ACK_MS)
              .emitWithAck(spec.ev, ...args)
              .then(
                (a) =>
                  void ((a as { ok?: unknown }).ok === true && accepted++,
                  (invalid ? !isRefusal(a) : !isAck(a)) &&
                    failures.push(
                      `${spec.ev} ${label}: ${invalid ? 'invalid' : 'valid'} → ${JSON.stringify(a)?.slice(0, 200)}`,
                    )),
                (e: Error) => void failures.push(`${spec.ev} ${label}: ${e.message}`),
              ),
          );
        };
        for (let i = 0; i < PER_EVENT; i++) {
          const p = defuse(spec.ev, payloadFor(r, valid, false));
          emitted++;
          if (spec.acked && r.chance(0.6)) expectAck(`#${i} ${printable(p).slice(0, 100)}`, p, [p]);
          else if (r.chance(0.5)) loose(c).emit(spec.ev, p, () => undefined);
          else loose(c).emit(spec.ev, p);
        }
        loose(c).emit(spec.ev);
        if (spec.acked) {
          expectAck('no payload', undefined, []);
          expectAck('extra arguments', valid, [valid, 'extra', 42, null]);
          expectAck('null', null, [null]);
        }
        for (const ev of [
          'nope',
          'ping:Start',
          '__proto__',
          'constructor',
          'toString',
          'x'.repeat(10_000),
          'tables:snapshot',
          'terminal:exit',
        ]) {
          acks.push(
            loose(c)
              .timeout(ACK_MS)
              .emitWithAck(ev, valid)
              .then(
                (a) => void (!isRefusal(a) && failures.push(`unknown event ${ev.slice(0, 20)} → ${JSON.stringify(a)}`)),
                (e: Error) => void failures.push(`unknown event ${ev.slice(0, 20)}: ${e.message}`),
              ),
          );
        }
        await Promise.all(acks);
        if (!c.connected)
          failures.push(`${spec.ev}: the server dropped a client that sent only payloads under the size limit`);
        // Oversize (1 MiB, beyond socket.io's maxHttpBufferSize): refused, or the connection is closed.
        const big = await connect();
        const gone = new Promise((resolve) => big.once('disconnect', () => resolve('disconnected')));
        const outcome = await Promise.race([
          gone,
          loose(big)
            .timeout(ACK_MS)
            .emitWithAck(spec.ev, { ...valid, [r.pick(Object.keys(valid))]: MB })
            .catch((e: Error) => e.message),
        ]);
        if (outcome !== 'disconnected' && !isRefusal(outcome))
          failures.push(`${spec.ev} oversize → ${JSON.stringify(outcome)}`);
      }),
    );
    // Raw socket.io packets: bad JSON, reserved and numeric events, binary placeholders never sent, other namespaces, nesting.
    const RAW = [
      '2[',
      '2["disconnect"]',
      '2["connect"]',
      '2[1,2]',
      '21["nope"]',
      '2',
      '2{}',
      '51-["ping:start",{"_placeholder":true,"num":5}]',
      '599999999999-["x"]',
      '0{"token":"x"}',
      '0/admin,{}',
      '2/admin,["x"]',
      '9',
      '1',
      '3',
      '31[{"ok":true}]',
      `21["ping:start",${deepText(10_000)}]`,
      `21["capture:start",${deepText(10_000, true)}]`,
      `21["terminal:open",${deepText(10_000)}]`,
      `21["tables:subscribe",${deepText(10_000)}]`,
      `2["terminal:input",${deepText(10_000)}]`,
      '2["ping:stop",{"id":{"toString":1}}]',
    ];
    for (const packet of RAW) {
      const c = await connect();
      (c.io.engine as unknown as { write(s: string): void }).write(packet);
      await sleep(30);
    }
    await sleep(300);
    console.log(
      `sockets: ${emitted} fuzzed events (${accepted} valid ones accepted) + ${SPECS.length * 9 + SPECS.filter((s) => s.acked).length * 3} edge cases, ${SPECS.length} oversize, ${RAW.length} raw packets`,
    );
    expect(failures).toEqual([]);
  });

  it('handshake: garbage auth never connects', async () => {
    const AUTHS: unknown[] = [
      {},
      { token: null },
      { token: 1 },
      { token: {} },
      { token: [TOKEN] },
      { token: `${TOKEN}x` },
      { token: `Bearer ${TOKEN}` },
      { Token: TOKEN },
      { token: '\u0000' },
      { token: 'x'.repeat(100_000) },
      { token: MB },
      POLLUTED(),
      { token: { toString: TOKEN } },
      42,
      'token',
      [TOKEN],
      true,
    ];
    for (const a of AUTHS) {
      const c = io(live.url, {
        auth: a as Record<string, unknown>,
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
      });
      const outcome = await new Promise<string>((resolve) => {
        c.once('connect', () => resolve('connected'));
        c.once('connect_error', () => resolve('refused'));
        c.io.once('close', () => resolve('closed'));
        setTimeout(() => resolve('timeout'), 5000);
      });
      c.disconnect();
      expect(outcome, JSON.stringify(a)?.slice(0, 80)).toMatch(/refused|closed/);
    }
  });

  it('after the storm: the server answers, no process is left in the lab, the kernel is unchanged', async () => {
    for (const c of clients.splice(0)) c.disconnect();
    const deadline = Date.now() + 15_000;
    while (pidsIn() !== '' && Date.now() < deadline) await sleep(100);
    expect(pidsIn()).toBe('');
    const c = await connect();
    expect(await c.timeout(ACK_MS).emitWithAck('tables:subscribe', { lab: LAB })).toEqual({
      ok: true,
      id: `tables:${LAB}`,
    });
    expect((await live.server.app.inject({ method: 'GET', url: '/api/health' })).statusCode).toBe(200);
    expect(labNamespaces()).toEqual(LAB_NS);
    expect(pings()).toBe(true);
  });
});
