// What one server lets each client do: API and socket rate limits, and per-student quotas. Defaults
// suit a class on one machine; `PATCHBAY_LIMITS` (JSON, any subset of the fields) overrides them,
// checked at start: a bad value stops the server with the reason rather than running unlimited.
import { plural } from '@patchbay/topology';
import { DEFAULT_SANDBOX_LIMITS, SANDBOX_LIMIT_RANGES, type SandboxLimitValues } from '@patchbay/kernel';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

function range(key: keyof SandboxLimitValues) {
  const [minimum, maximum] = SANDBOX_LIMIT_RANGES[key];
  return Type.Integer({ minimum, maximum });
}

export const LimitsSchema = Type.Object(
  {
    /** REST requests per second per token (per client address without one), and the burst allowed. */
    requestsPerSecond: Type.Number({ minimum: 0.1, maximum: 100_000 }),
    requestBurst: Type.Integer({ minimum: 1, maximum: 100_000 }),
    /**
     * A request (or socket handshake) refused by that rate limit is answered after this many ms,
     * at most `refusalsHeld` at a time per client key; beyond that, at once and the connection
     * closed. A client that sends as fast as it is answered (a script, a flood) then sends only as
     * many requests per delay as it holds connections, instead of holding the server's one thread:
     * what a refusal costs is a timer. 0: answer at once.
     */
    refusalDelayMs: Type.Integer({ minimum: 0, maximum: 60_000 }),
    refusalsHeld: Type.Integer({ minimum: 0, maximum: 10_000 }),
    /** socket.io events per second per connection, and the burst. */
    eventsPerSecond: Type.Number({ minimum: 0.1, maximum: 100_000 }),
    eventBurst: Type.Integer({ minimum: 1, maximum: 100_000 }),
    /** A student's concurrent pings, captures and terminals, over all their connections. */
    studentPings: Type.Integer({ minimum: 0, maximum: 1000 }),
    studentCaptures: Type.Integer({ minimum: 0, maximum: 1000 }),
    studentTerminals: Type.Integer({ minimum: 0, maximum: 1000 }),
    /**
     * Captures a student may start per minute (any outcome after the checks of its input), and the
     * burst: each start costs the server two processes and the relay of what it captures, which
     * the student's cgroup does not pay for; a loop of captures is slowed to this rate.
     */
    studentCaptureStartsPerMinute: Type.Number({ minimum: 0.1, maximum: 100_000 }),
    studentCaptureStartBurst: Type.Integer({ minimum: 1, maximum: 100_000 }),
    /**
     * Packets per second the server reads from all of a student's captures together (read-budget.ts):
     * reading costs the server's one thread per packet, which the student's cgroup does not pay for.
     * Beyond it tcpdump waits and the kernel drops the excess (the capture's `kernelDropped`).
     */
    studentCapturePacketsPerSecond: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    /**
     * `why` questions a student may ask per minute, and the burst: each reads every namespace on
     * the path and may send a traced probe (processes outside the student's cgroup). One runs at a
     * time per lab for anyone (routes/why.ts).
     */
    studentWhysPerMinute: Type.Number({ minimum: 0.1, maximum: 100_000 }),
    studentWhyBurst: Type.Integer({ minimum: 1, maximum: 100_000 }),
    /** Nodes in a lab a student applies. */
    studentNodesPerLab: Type.Integer({ minimum: 1, maximum: 2000 }),
    /**
     * A lab document in a request (apply, script): at most this many nodes and links, checked on
     * the parsed JSON before any lab parsing, so no request holds the event loop for long (every
     * node costs parse, validate and compile time on the server's one thread; docs/server.md).
     */
    documentMaxNodes: Type.Integer({ minimum: 1, maximum: 2000 }),
    documentMaxLinks: Type.Integer({ minimum: 1, maximum: 4000 }),
    /** A YAML document's size (its parse is the costliest step: send larger labs as JSON). */
    documentMaxYamlBytes: Type.Integer({ minimum: 1024, maximum: 1024 * 1024 }),
    /** A student's lab with no request and no connection for this long is destroyed (0: never). */
    studentIdleSeconds: Type.Integer({ minimum: 0, maximum: 30 * 86_400 }),
    /**
     * Joins (`POST /api/join`, any outcome) per minute per client address, and the burst: a whole
     * class behind one NAT address joins within the burst; a script filling seats is slowed to the rate.
     */
    joinsPerMinute: Type.Number({ minimum: 0.1, maximum: 100_000 }),
    joinBurst: Type.Integer({ minimum: 1, maximum: 100_000 }),
    /** Seats of a new session when the instructor gives none, and the most any session may have. */
    sessionSeats: Type.Integer({ minimum: 1, maximum: 10_000 }),
    sessionSeatsMax: Type.Integer({ minimum: 1, maximum: 10_000 }),
    /** A session with no request and no connection from its instructor or students for this long ends (0: never). */
    sessionIdleSeconds: Type.Integer({ minimum: 0, maximum: 30 * 86_400 }),
    /** Longest and largest capture anyone may ask for. */
    captureMaxSeconds: Type.Integer({ minimum: 1, maximum: 86_400 }),
    captureMaxBytes: Type.Integer({ minimum: 1024, maximum: 4 * 1024 ** 3 }),
    /**
     * pcap bytes all captures together hold in memory, server-wide (running and ended). Beyond it the
     * oldest ended captures are written to files in the data directory (then a running one that
     * would grow past it stops, reason `memory`).
     */
    captureMemoryBytes: Type.Integer({ minimum: 64 * 1024, maximum: 64 * 1024 ** 3 }),
    /** pcap bytes of ended captures kept in files; beyond it the oldest are dropped (0: never write files). */
    captureDiskBytes: Type.Integer({ minimum: 0, maximum: 1024 ** 4 }),
    /**
     * What the sandboxes of one student's lab (every shell, and sandboxed steps) may use together,
     * enforced by the kernel (a cgroup per lab): processes and threads, memory in MiB, CPU weight
     * (1..10000, 100 = as much as any other process); open files per process (RLIMIT_NOFILE).
     */
    studentProcesses: range('processes'),
    studentMemoryMiB: range('memoryMiB'),
    studentCpuWeight: range('cpuWeight'),
    studentCpuPercent: range('cpuPercent'),
    studentOpenFiles: range('openFiles'),
  },
  { additionalProperties: false },
);
export type Limits = Static<typeof LimitsSchema>;

export const DEFAULT_LIMITS: Limits = Object.freeze({
  requestsPerSecond: 50,
  requestBurst: 200,
  refusalDelayMs: 1000,
  refusalsHeld: 32,
  eventsPerSecond: 200,
  eventBurst: 400,
  studentPings: 4,
  studentCaptures: 2,
  studentTerminals: 4,
  studentCaptureStartsPerMinute: 12,
  studentCaptureStartBurst: 6,
  studentCapturePacketsPerSecond: 500,
  studentWhysPerMinute: 20,
  studentWhyBurst: 5,
  studentNodesPerLab: 30,
  documentMaxNodes: 200,
  documentMaxLinks: 400,
  documentMaxYamlBytes: 48 * 1024,
  studentIdleSeconds: 3600,
  joinsPerMinute: 6,
  joinBurst: 40,
  sessionSeats: 60,
  sessionSeatsMax: 200,
  sessionIdleSeconds: 8 * 3600,
  captureMaxSeconds: 3600,
  captureMaxBytes: 256 * 1024 * 1024,
  captureMemoryBytes: 256 * 1024 * 1024,
  captureDiskBytes: 1024 * 1024 * 1024,
  studentProcesses: DEFAULT_SANDBOX_LIMITS.processes,
  studentMemoryMiB: DEFAULT_SANDBOX_LIMITS.memoryMiB,
  studentCpuWeight: DEFAULT_SANDBOX_LIMITS.cpuWeight,
  studentCpuPercent: DEFAULT_SANDBOX_LIMITS.cpuPercent,
  studentOpenFiles: DEFAULT_SANDBOX_LIMITS.openFiles,
});

/** The kernel's sandbox values from the server's limits (the engine gives each lab its group). */
export function sandboxLimitsOf(limits: Limits): SandboxLimitValues {
  return {
    processes: limits.studentProcesses,
    memoryMiB: limits.studentMemoryMiB,
    cpuWeight: limits.studentCpuWeight,
    cpuPercent: limits.studentCpuPercent,
    openFiles: limits.studentOpenFiles,
  };
}

/** The limits from `PATCHBAY_LIMITS` over the defaults; throws with every problem when it is not valid. */
export function limitsFromEnv(text = process.env['PATCHBAY_LIMITS']): Limits {
  if (!text) return { ...DEFAULT_LIMITS };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('PATCHBAY_LIMITS is not JSON (e.g. {"studentTerminals": 2})');
  }
  const merged: unknown =
    typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? { ...DEFAULT_LIMITS, ...parsed } : parsed;
  if (!Value.Check(LimitsSchema, merged)) {
    const why = [...Value.Errors(LimitsSchema, merged)].map((e) => `${e.path || '/'}: ${e.message}`).join('; ');
    throw new Error(`PATCHBAY_LIMITS is not valid: ${why}`);
  }
  if (merged.sessionSeats > merged.sessionSeatsMax)
    throw new Error(
      `PATCHBAY_LIMITS is not valid: sessionSeats (${merged.sessionSeats}) is above sessionSeatsMax (${merged.sessionSeatsMax})`,
    );
  return merged;
}

/**
 * The rate-limit key of a client address: an IPv4 address as it is (an IPv4-mapped IPv6 address
 * as its IPv4), an IPv6 address by its /64 — one host usually holds a whole /64, so keying on
 * single IPv6 addresses would give a guesser 2^64 buckets.
 */
export function addressKey(ip: string): string {
  const v4 = /^(?:::ffff:)?(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (v4) return `a:${v4[1]}`;
  if (!ip.includes(':')) return `a:${ip}`;
  const [head = '', tail = ''] = ip.toLowerCase().split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::')
    ? [...left, ...new Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
    : left;
  return `a:${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/** A token bucket: `rate` per second, at most `burst` saved up. */
export class TokenBucket {
  private tokens: number;
  private last = performance.now();

  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }

  /** Takes one token; false when empty. */
  take(): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Seconds until a token is back. */
  get retryAfterS(): number {
    return Math.max(1, Math.ceil((1 - this.tokens) / this.rate));
  }
}

export type QuotaKind = 'ping' | 'capture' | 'terminal';

/**
 * Concurrent pings, captures and terminals per student (by the lab their token covers), across all
 * their connections. Instructors are bounded per connection and server-wide only.
 */
export class Quotas {
  private readonly used = new Map<string, number>();
  /** Each student lab's buckets of capture starts and of why questions (as many as labs, which seats bound). */
  private readonly perMinute = new Map<string, TokenBucket>();

  constructor(private readonly limits: Limits) {}

  /** A student's capture start, against studentCaptureStartsPerMinute: undefined, or why not. Instructors are not bound. */
  startCapture(scope: { role: 'instructor' } | { role: 'student'; lab: string } | undefined): string | undefined {
    const wait = this.take(
      scope,
      'capture',
      this.limits.studentCaptureStartsPerMinute,
      this.limits.studentCaptureStartBurst,
    );
    if (wait === undefined) return undefined;
    return `quota: a student may start at most ${plural(this.limits.studentCaptureStartsPerMinute, 'capture')} a minute (${this.limits.studentCaptureStartBurst} at once); retry in ${wait} s`;
  }

  /** A student's `why` question, against studentWhysPerMinute: undefined, or the seconds to wait. Instructors are not bound. */
  askWhy(scope: { role: 'instructor' } | { role: 'student'; lab: string } | undefined): number | undefined {
    return this.take(scope, 'why', this.limits.studentWhysPerMinute, this.limits.studentWhyBurst);
  }

  /** One token of the student's `kind` bucket: undefined when taken, else the seconds until one is back. */
  private take(
    scope: { role: 'instructor' } | { role: 'student'; lab: string } | undefined,
    kind: 'capture' | 'why',
    perMinute: number,
    burst: number,
  ): number | undefined {
    if (scope?.role !== 'student') return undefined;
    const key = `${scope.lab}\u0000${kind}`;
    let bucket = this.perMinute.get(key);
    if (!bucket) {
      if (this.perMinute.size >= 200_000) this.perMinute.clear();
      bucket = new TokenBucket(perMinute / 60, burst);
      this.perMinute.set(key, bucket);
    }
    return bucket.take() ? undefined : bucket.retryAfterS;
  }

  /** Counts one more `kind` for the scope: a release function, or why not. */
  acquire(
    scope: { role: 'instructor' } | { role: 'student'; lab: string } | undefined,
    kind: QuotaKind,
  ): (() => void) | { error: string } {
    if (scope?.role !== 'student') return () => undefined;
    const max =
      kind === 'ping'
        ? this.limits.studentPings
        : kind === 'capture'
          ? this.limits.studentCaptures
          : this.limits.studentTerminals;
    const key = `${scope.lab}\u0000${kind}`;
    const n = this.used.get(key) ?? 0;
    if (n >= max) return { error: `quota: a student may run at most ${plural(max, kind)} at a time` };
    this.used.set(key, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.used.get(key) ?? 1) - 1;
      if (left > 0) this.used.set(key, left);
      else this.used.delete(key);
    };
  }
}
