// Browser terminals over socket.io (`terminal:open|input|resize|close` → `terminal:output`… →
// `terminal:exit`): a login shell in the sandbox of a lab's `netns` or `router` node (kernel
// sandbox.ts: bwrap inside the node's network namespace, owned by the node's own user namespace),
// on a pty (node-pty, started by the kernel's spawnSandboxPty). Hosts and bridges are never given
// to a shell: their namespaces hold the lab's bridges and tunnels (research: kernel-and-sandbox-facts §1.6).
//
// Output is batched per I/O turn and sent with an ack; at most `inflightBatches` are unacknowledged
// per terminal, the rest waits in the terminal's queue. When the queue reaches `pendingChars` the pty
// is paused (its reads stop, the kernel's pty buffer fills, the shell's writes block) until acks
// bring it under half of that: memory per terminal is bounded and nothing is dropped.
//
// A terminal ends on `terminal:close`, on the socket's disconnect, when its namespace goes away
// (LabProcesses: apply/destroy), at server shutdown, or when its shell exits. Every end but the
// last goes through killSandbox (SIGKILL to the sandbox's pid 1: everything the student started dies
// with it, `sleep &` and `setsid` included); `terminal:exit` is always the last event.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { killSandbox, spawnSandboxPty, userNamespacePath, type SandboxPty } from '@patchbay/kernel';
import {
  TerminalInputSchema,
  TerminalOpenSchema,
  TerminalRefSchema,
  TerminalResizeSchema,
  type LiveAck,
  type Problem,
  type TerminalExit,
  type TerminalExitReason,
  type TerminalOpen,
} from '@patchbay/protocol';
import { IMPLICIT_HOST } from '@patchbay/topology';
import { Value } from '@sinclair/typebox/value';
import type { FastifyInstance } from 'fastify';
import type { LabProcesses } from './lab-processes.js';
import { placeOf } from './lab-node.js';
import type { LiveSocket } from './socket.js';

export interface TerminalHubOptions {
  /** Terminals open at once per socket (each is a sandbox with a shell). */
  maxPerSocket: number;
  /** Largest `terminal:output` batch, in characters (chunks are never split, so one can be larger). */
  batchChars: number;
  /** Unacknowledged `terminal:output` batches per terminal. */
  inflightBatches: number;
  /** Output queued (not yet sent) at which the pty is paused; resumed under half of it. */
  pendingChars: number;
}

export const TERMINAL_HUB_DEFAULTS: TerminalHubOptions = Object.freeze({
  maxPerSocket: 4,
  batchChars: 64 * 1024,
  inflightBatches: 4,
  pendingChars: 1024 * 1024,
});

/**
 * Input bytes waiting in node-pty's write queue, at most (a program that does not read its input).
 * Counted in bytes, not events: xterm sends one event per keystroke, so a limit on events dropped
 * the tail of a fast typist's line (or an e2e test's) while the shell was busy starting.
 */
const MAX_PENDING_INPUT_BYTES = 256 * 1024;

/** Bytes node-pty has queued for the pty (its private queue of { buffer, offset }; 0 when a version has none). */
function pendingInputBytes(pty: SandboxPty): number {
  const queue = (pty as unknown as { _writeStream?: { _writeQueue?: unknown } })._writeStream?._writeQueue;
  if (!Array.isArray(queue)) return 0;
  let bytes = 0;
  for (const task of queue as { buffer?: { length?: number }; offset?: number }[]) bytes += (task.buffer?.length ?? 0) - (task.offset ?? 0);
  return bytes;
}

/** A shell that fails within this long of its start with a non-zero code did not start: reason `error`. */
const STARTUP_MS = 1000;

interface Terminal {
  id: string;
  lab: string;
  node: string;
  ns: string;
  socket: LiveSocket;
  pty: SandboxPty;
  startedAt: number;
  /** Output not sent yet (whole chunks as node-pty decoded them: never split inside a character). */
  queue: string[];
  queued: number;
  credit: number;
  paused: boolean;
  flushQueued: boolean;
  /** Why it is being ended (set once, before the kill). */
  reason?: TerminalExitReason;
  exited: boolean;
  /** Settles once the shell has exited and `terminal:exit` was sent. */
  done: Promise<void>;
}

function problemsOf(schema: typeof TerminalOpenSchema, payload: unknown): Problem[] {
  return [...Value.Errors(schema, payload)].map((e) => ({
    path: e.path.replace(/^\//, '').replace(/\//g, '.'),
    message: e.message,
    code: 'terminal.invalid',
  }));
}

export class TerminalHub {
  private readonly options: TerminalHubOptions;
  private readonly all = new Set<Terminal>();
  private readonly enterListeners = new Set<(lab: string) => void>();
  private closing = false;

  constructor(
    private readonly app: FastifyInstance,
    private readonly processes: LabProcesses,
    options: Partial<TerminalHubOptions> = {},
  ) {
    this.options = { ...TERMINAL_HUB_DEFAULTS, ...options };
  }

  /** Calls `listener` with the lab whenever someone presses Enter in one of its terminals (exercise checks). */
  onEnter(listener: (lab: string) => void): void {
    this.enterListeners.add(listener);
  }

  /** Terminals open now (all sockets). */
  get count(): number {
    return this.all.size;
  }

  /** Each open terminal's queued output (characters) and whether its pty is paused (tests, benchmarks). */
  status(): { id: string; lab: string; node: string; queued: number; paused: boolean }[] {
    return [...this.all].map((t) => ({ id: t.id, lab: t.lab, node: t.node, queued: t.queued, paused: t.paused }));
  }

  register(socket: LiveSocket): void {
    const mine = new Map<string, Terminal>();
    let opening = 0; // counted before the awaits, so a burst cannot pass the limit

    socket.on('terminal:open', async (payload, ack) => {
      const reply = (res: LiveAck) => (typeof ack === 'function' ? ack(res) : undefined);
      if (!Value.Check(TerminalOpenSchema, payload)) return reply({ ok: false, error: 'invalid terminal:open payload', problems: problemsOf(TerminalOpenSchema, payload) });
      if (mine.size + opening >= this.options.maxPerSocket) return reply({ ok: false, error: `at most ${this.options.maxPerSocket} terminals at a time per connection` });
      const quota = this.app.quotas.acquire(socket.data.scope, 'terminal');
      if ('error' in quota) return reply({ ok: false, error: quota.error });
      opening++;
      let res: LiveAck;
      try {
        res = await this.open(socket, payload, mine, quota);
      } catch (err) {
        this.app.log.error({ err }, 'terminal:open failed');
        res = { ok: false, error: 'the terminal could not be opened (see the server log)' };
      } finally {
        opening--;
      }
      if (!res.ok) quota();
      reply(res);
    });

    socket.on('terminal:input', (payload) => {
      if (!Value.Check(TerminalInputSchema, payload)) return;
      const t = mine.get(payload.id);
      if (!t || t.exited || t.reason || payload.data.length === 0) return;
      // A program that does not read its input: node-pty queues writes in memory, so beyond a few
      // pastes input is discarded, as a tty discards typeahead beyond its buffer.
      if (pendingInputBytes(t.pty) >= MAX_PENDING_INPUT_BYTES) return;
      t.pty.write(payload.data);
      if (payload.data.includes('\r')) for (const listener of this.enterListeners) listener(t.lab);
    });

    socket.on('terminal:resize', (payload) => {
      if (!Value.Check(TerminalResizeSchema, payload)) return;
      const t = mine.get(payload.id);
      if (!t || t.exited) return;
      try {
        t.pty.resize(payload.cols, payload.rows);
      } catch {
        /* the pty is closing */
      }
    });

    socket.on('terminal:close', (payload) => {
      if (!Value.Check(TerminalRefSchema, payload)) return;
      const t = mine.get(payload.id);
      if (t) void this.stop(t, 'closed');
    });

    socket.on('disconnect', () => {
      for (const t of mine.values()) void this.stop(t, 'closed');
    });
  }

  /** Server shutdown: refuses new terminals, ends every terminal (reason shutdown) and waits. */
  async closeAll(): Promise<void> {
    this.closing = true;
    await Promise.allSettled([...this.all].map((t) => this.stop(t, 'shutdown')));
  }

  private async open(socket: LiveSocket, opts: TerminalOpen, mine: Map<string, Terminal>, release: () => void = () => undefined): Promise<LiveAck> {
    if (this.closing) return { ok: false, error: 'the server is shutting down' };
    if (!this.app.auth.scopeCovers(socket.data.scope, opts.lab)) return { ok: false, error: `this token does not cover lab ${opts.lab}` };
    if (opts.node === IMPLICIT_HOST) {
      return { ok: false, error: `${IMPLICIT_HOST} is the lab's implicit host: it holds the bridges and is never given to a shell (open a terminal in a netns or router node)` };
    }
    const place = await placeOf(this.app, opts.lab, opts.node);
    if ('error' in place) return { ok: false, error: place.error };
    if (place.kind !== 'netns' && place.kind !== 'router') {
      return {
        ok: false,
        error: `${opts.node} is a ${place.kind}: hosts and bridges hold the lab's bridges and tunnels and are never given to a shell (open a terminal in a netns or router node)`,
      };
    }
    if (!existsSync(userNamespacePath(place.ns))) return { ok: false, error: "this node's namespace is not isolated; apply the lab again" };
    if (socket.disconnected) return { ok: false, error: 'disconnected' };
    if (this.closing) return { ok: false, error: 'the server is shutting down' };

    let pty: SandboxPty;
    try {
      pty = spawnSandboxPty(place.ns, { hostname: opts.node, cols: opts.cols, rows: opts.rows });
    } catch (err) {
      return { ok: false, error: `the terminal could not start: ${(err as Error).message}` };
    }
    const id = randomUUID();
    let resolveDone: () => void = () => undefined;
    const t: Terminal = {
      id,
      lab: opts.lab,
      node: opts.node,
      ns: place.ns,
      socket,
      pty,
      startedAt: Date.now(),
      queue: [],
      queued: 0,
      credit: this.options.inflightBatches,
      paused: false,
      flushQueued: false,
      exited: false,
      done: new Promise<void>((r) => (resolveDone = r)),
    };
    mine.set(id, t);
    this.all.add(t);
    const unregister = this.processes.add({ lab: t.lab, ns: t.ns, stop: (why) => void this.stop(t, why), done: t.done });

    pty.onData((data) => {
      t.queue.push(data);
      t.queued += data.length;
      if (!t.paused && !t.reason && t.queued >= this.options.pendingChars) {
        t.paused = true;
        pty.pause();
      }
      if (!t.flushQueued) {
        t.flushQueued = true;
        setImmediate(() => this.flush(t));
      }
    });
    pty.onExit(({ exitCode, signal }) => {
      t.exited = true;
      this.flush(t, true);
      const quickFailure = !t.reason && exitCode !== 0 && Date.now() - t.startedAt < STARTUP_MS;
      const reason: TerminalExitReason = t.reason ?? (quickFailure ? 'error' : 'exited');
      const exit: TerminalExit = { id, reason };
      if (reason === 'exited' || reason === 'error') exit.code = exitCode;
      if (signal) exit.signal = signal;
      if (quickFailure) exit.message = `exit code ${exitCode} within a second of its start; its output says why`;
      socket.emit('terminal:exit', exit);
      mine.delete(id);
      this.all.delete(t);
      unregister();
      release();
      resolveDone();
    });
    return { ok: true, id };
  }

  /**
   * Sends queued output: batches of about `batchChars` while the terminal has credit, or all of it
   * (`final`: the shell has exited, so what is left is bounded and must precede `terminal:exit`).
   */
  private flush(t: Terminal, final = false): void {
    t.flushQueued = false;
    const { batchChars, pendingChars } = this.options;
    while (t.queue.length > 0 && (final || t.credit > 0)) {
      let n = 0;
      let count = 0;
      while (count < t.queue.length && (count === 0 || n + t.queue[count]!.length <= batchChars)) n += t.queue[count++]!.length;
      const data = t.queue.splice(0, count).join('');
      t.queued -= data.length;
      if (t.socket.disconnected) continue; // the terminal is being killed: nobody to send to
      t.credit--;
      t.socket.emit('terminal:output', { id: t.id, data }, () => {
        t.credit++;
        if (t.queue.length > 0 && !t.flushQueued) {
          t.flushQueued = true;
          setImmediate(() => this.flush(t));
        }
      });
    }
    if (t.paused && !t.exited && t.queued <= pendingChars / 2) {
      t.paused = false;
      t.pty.resume();
    }
  }

  /** Ends a terminal: kills its sandbox (everything inside) and waits for `terminal:exit` to be sent. */
  private async stop(t: Terminal, reason: TerminalExitReason): Promise<void> {
    if (t.exited) return t.done;
    if (t.reason) return t.done;
    t.reason = reason;
    // A paused pty would not notice the exit until node-pty's 200 ms timeout: read on.
    if (t.paused) {
      t.paused = false;
      t.pty.resume();
    }
    try {
      await killSandbox(t.pty.pid);
    } catch (err) {
      this.app.log.warn({ err, terminal: t.id }, 'killing a terminal sandbox failed');
      try {
        t.pty.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
    return t.done;
  }
}
