// Browser terminals over socket.io (`terminal:open|input|resize|close` → `terminal:output`… →
// `terminal:exit`): a login shell in the sandbox of a lab's `netns` or `router` node (kernel
// sandbox.ts: bwrap inside the node's network namespace, owned by the node's own user namespace),
// on a pty (node-pty, started by the kernel's spawnSandboxPty). Hosts and bridges are never given
// to a shell: their namespaces hold the lab's bridges and tunnels (research: kernel-and-sandbox-facts §1.6).
//
// This file keeps the registry of open terminals and their socket events; shell-place.ts decides
// where a shell may run, terminal-output.ts sends output with back-pressure (nothing dropped,
// memory bounded), pty-input.ts bounds input.
//
// A terminal ends on `terminal:close`, on the socket's disconnect, when its namespace goes away
// (LabProcesses: apply/destroy; `lab-reset` when the lab is being reset, its message saying who
// reset it), at server shutdown, or when its shell exits. Every end but the
// last goes through killSandbox (SIGKILL to the sandbox's pid 1: everything the student started dies
// with it, `sleep &` and `setsid` included); `terminal:exit` is always the last event.
import { killSandbox, spawnSandboxPty, type SandboxPty } from '@patchbay/kernel';
import {
  TerminalInputSchema,
  TerminalOpenSchema,
  TerminalRefSchema,
  TerminalResizeSchema,
  type LiveAck,
  type TerminalExit,
  type TerminalExitReason,
  type TerminalOpen,
} from '@patchbay/protocol';
import { Value } from '@sinclair/typebox/value';
import type { FastifyInstance } from 'fastify';
import type { LabProcesses, ResetBy } from './lab-processes.js';
import { payloadProblems } from './payload-problems.js';
import { writeInput } from './pty-input.js';
import { shellPlaceOf } from './shell-place.js';
import type { LiveSocket } from './socket.js';
import { streamIdsOf } from './stream-ids.js';
import { TerminalOutput, type TerminalOutputLimits } from './terminal-output.js';

export interface TerminalHubOptions extends TerminalOutputLimits {
  /** Terminals open at once per socket (each is a sandbox with a shell). */
  maxPerSocket: number;
}

export const TERMINAL_HUB_DEFAULTS: TerminalHubOptions = Object.freeze({
  maxPerSocket: 4,
  batchChars: 64 * 1024,
  inflightBatches: 4,
  pendingChars: 1024 * 1024,
});

/** The closing message of a terminal whose lab was reset, by who reset it. */
const RESET_MESSAGE: Record<ResetBy, string> = {
  instructor: 'your instructor reset your lab: the exercise starts again',
  student: 'the lab was reset: the exercise starts again',
};

/** A shell that fails within this long of its start with a non-zero code did not start: reason `error`. */
const STARTUP_MS = 1000;

interface Terminal {
  id: string;
  lab: string;
  node: string;
  ns: string;
  socket: LiveSocket;
  pty: SandboxPty;
  output: TerminalOutput;
  startedAt: number;
  /** Why it is being ended (set once, before the kill). */
  reason?: TerminalExitReason;
  /** Why it was stopped, for its `terminal:exit` (a reset: by whom). */
  message?: string;
  exited: boolean;
  /** Settles once the shell has exited and `terminal:exit` was sent. */
  done: Promise<void>;
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
    return [...this.all].map((t) => ({
      id: t.id,
      lab: t.lab,
      node: t.node,
      queued: t.output.queued,
      paused: t.output.paused,
    }));
  }

  register(socket: LiveSocket): void {
    const mine = new Map<string, Terminal>();
    let opening = 0; // counted before the awaits, so a burst cannot pass the limit

    socket.on('terminal:open', async (payload, ack) => {
      const reply = (res: LiveAck) => (typeof ack === 'function' ? ack(res) : undefined);
      if (!Value.Check(TerminalOpenSchema, payload))
        return reply({
          ok: false,
          error: 'invalid terminal:open payload',
          problems: payloadProblems(TerminalOpenSchema, payload, 'terminal.invalid'),
        });
      const reused = streamIdsOf(socket).claim(payload.id, 'terminal');
      if (reused)
        return reply({
          ok: false,
          error: reused,
          problems: [{ path: 'id', message: reused, code: 'stream.id-reused' }],
        });
      if (mine.size + opening >= this.options.maxPerSocket)
        return reply({ ok: false, error: `at most ${this.options.maxPerSocket} terminals at a time per connection` });
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
      if (!writeInput(t.pty, payload.data)) return;
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

  private async open(
    socket: LiveSocket,
    opts: TerminalOpen,
    mine: Map<string, Terminal>,
    releaseQuota: () => void = () => undefined,
  ): Promise<LiveAck> {
    if (this.closing) return { ok: false, error: 'the server is shutting down' };
    if (!this.app.auth.scopeCovers(socket.data.scope, opts.lab))
      return { ok: false, error: `this token does not cover lab ${opts.lab}` };
    const place = await shellPlaceOf(this.app, opts.lab, opts.node);
    if ('error' in place) return { ok: false, error: place.error };
    if (socket.disconnected) return { ok: false, error: 'disconnected' };
    if (this.closing) return { ok: false, error: 'the server is shutting down' };

    let pty: SandboxPty;
    try {
      pty = spawnSandboxPty(place.ns, {
        hostname: opts.node,
        cols: opts.cols,
        rows: opts.rows,
        limits: this.app.engine.sandboxLimits(opts.lab), // the lab's budget: all its shells share it
      });
    } catch (err) {
      return { ok: false, error: `the terminal could not start: ${(err as Error).message}` };
    }
    const id = opts.id;
    let resolveDone: () => void = () => undefined;
    const t: Terminal = {
      id,
      lab: opts.lab,
      node: opts.node,
      ns: place.ns,
      socket,
      pty,
      output: new TerminalOutput(this.options, pty, (data, acked) => {
        if (socket.disconnected) return false; // the terminal is being killed: nobody to send to
        socket.emit('terminal:output', { id, data }, acked);
        return true;
      }),
      startedAt: Date.now(),
      exited: false,
      done: new Promise<void>((r) => (resolveDone = r)),
    };
    mine.set(id, t);
    this.all.add(t);
    const unregister = this.processes.add({
      lab: t.lab,
      ns: t.ns,
      stop: (why, resetBy) => void this.stop(t, why === 'lab-changed' && resetBy ? 'lab-reset' : why, resetBy),
      done: t.done,
    });

    pty.onData((data) => t.output.push(data, !t.reason));
    pty.onExit(({ exitCode, signal }) => {
      t.exited = true;
      t.output.finish();
      const quickFailure = !t.reason && exitCode !== 0 && Date.now() - t.startedAt < STARTUP_MS;
      const reason: TerminalExitReason = t.reason ?? (quickFailure ? 'error' : 'exited');
      const exit: TerminalExit = { id, reason };
      if (reason === 'exited' || reason === 'error') exit.code = exitCode;
      if (signal) exit.signal = signal;
      if (quickFailure) exit.message = `exit code ${exitCode} within a second of its start; its output says why`;
      else if (t.message) exit.message = t.message;
      socket.emit('terminal:exit', exit);
      mine.delete(id);
      this.all.delete(t);
      unregister();
      releaseQuota();
      resolveDone();
    });
    return { ok: true, id };
  }

  /** Ends a terminal: kills its sandbox (everything inside) and waits for `terminal:exit` to be sent. */
  private async stop(t: Terminal, reason: TerminalExitReason, resetBy?: ResetBy): Promise<void> {
    if (t.exited) return t.done;
    if (t.reason) return t.done;
    t.reason = reason;
    if (reason === 'lab-reset') t.message = RESET_MESSAGE[resetBy ?? 'student'];
    t.output.unpause();
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
