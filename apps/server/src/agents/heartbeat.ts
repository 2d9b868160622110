// The agent's side of the registry: a heartbeat to the coordinator every `heartbeatMs` (the
// coordinator's reply sets it), carrying the agent's labs, namespaces and headroom. A coordinator
// that does not answer is retried at the same pace for as long as it takes — an agent reconnects on
// its own — and the log says when the link went down and when it came back, not at every beat. A
// coordinator of another protocol version, or one that refuses the name, is fatal: retrying would
// not change its answer.
import type { Engine } from '@patchbay/engine';
import {
  AGENT_PROTOCOL_VERSION,
  AgentHeartbeatReplySchema,
  type AgentHeartbeat,
  type AgentHeartbeatReply,
} from '@patchbay/protocol';
import { Value } from '@sinclair/typebox/value';
import { agentLoad } from './report.js';

export interface HeartbeatOptions {
  coordinator: string;
  secret: string;
  name: string;
  address: string;
  draining: boolean;
  engine: Engine;
  log: { info(msg: string): void; warn(msg: string): void; error(msg: string): void };
  /** The coordinator refused this agent for good (another protocol version, a name taken). */
  onFatal(message: string): void;
}

/** Codes of the coordinator's answers that no retry changes. */
const FATAL = new Set(['agent-protocol', 'agent-name']);

export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private linked: boolean | undefined;
  private periodMs = 2000;

  constructor(private readonly opts: HeartbeatOptions) {}

  start(): void {
    void this.beat();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private async message(): Promise<AgentHeartbeat> {
    return {
      protocol: AGENT_PROTOCOL_VERSION,
      name: this.opts.name,
      address: this.opts.address,
      state: this.opts.draining ? 'draining' : 'ready',
      prefix: this.opts.engine.prefix,
      ...(await agentLoad(this.opts.engine)),
    };
  }

  private async beat(): Promise<void> {
    if (this.stopped) return;
    try {
      const reply = await this.send(await this.message());
      this.periodMs = reply.heartbeatMs;
      for (const lab of reply.release ?? []) await this.release(lab);
      if (this.linked !== true) this.opts.log.info(`registered with the coordinator ${this.opts.coordinator}`);
      this.linked = true;
    } catch (e) {
      const err = e as Error & { code?: string };
      if (err.code && FATAL.has(err.code)) {
        this.stop();
        this.opts.onFatal(err.message);
        return;
      }
      if (this.linked !== false)
        this.opts.log.warn(`the coordinator ${this.opts.coordinator} does not answer (${err.message}): retrying`);
      this.linked = false;
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.beat(), this.periodMs);
  }

  /** A lab that lives on another agent now: destroyed here (its processes end first: the engine's `removing`). */
  private async release(lab: string): Promise<void> {
    try {
      await this.opts.engine.destroy(lab);
      this.opts.log.info(`lab ${lab} was moved to another agent while this one was away: destroyed here`);
    } catch (e) {
      this.opts.log.warn(`lab ${lab} could not be released: ${(e as Error).message}`);
    }
  }

  private async send(body: AgentHeartbeat): Promise<AgentHeartbeatReply> {
    const res = await fetch(new URL('/api/agents/heartbeat', this.opts.coordinator), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.opts.secret}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(Math.max(1000, this.periodMs)),
    });
    const answer: unknown = await res.json().catch(() => undefined);
    if (!res.ok) {
      const a = (answer ?? {}) as { code?: unknown; error?: unknown };
      throw Object.assign(new Error(`${res.status} ${typeof a.error === 'string' ? a.error : res.statusText}`), {
        code: typeof a.code === 'string' ? a.code : undefined,
      });
    }
    if (!Value.Check(AgentHeartbeatReplySchema, answer)) throw new Error('the coordinator answered no heartbeat reply');
    return answer;
  }
}
