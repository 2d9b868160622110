// The agent's side of the registry: a heartbeat to the coordinator every `heartbeatMs` (the
// coordinator's reply sets it), carrying the agent's labs, namespaces and headroom. A coordinator
// that does not answer is retried at the same pace for as long as it takes — an agent reconnects on
// its own — and the log says when the link went down and when it came back, not at every beat. With
// several coordinator addresses (replicas reached without a load balancer: `--coordinator A,B`) a
// beat that one does not answer goes to the next at once, and the agent stays with the one that
// answered: the registry is in their shared database, so any replica's answer keeps it `ready`
// and a replica killed costs no beat. A coordinator of another protocol version, or one that
// refuses the name, is fatal: retrying would not change its answer.
import type { Engine } from '@patchbay/engine';
import {
  AGENT_PROTOCOL_VERSION,
  AgentHeartbeatReplySchema,
  type AgentHeartbeat,
  type AgentHeartbeatReply,
} from '@patchbay/protocol';
import { Value } from '@sinclair/typebox/value';
import { agentLoad } from './report.js';
import type { AgentTls } from './tls.js';
import { tlsRequest } from './tls-request.js';

/** The coordinator addresses of a `--coordinator` value: one URL, or several separated by commas. */
export function coordinatorUrls(value: string): string[] {
  return value
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '');
}

export interface HeartbeatOptions {
  /** One coordinator address, or several separated by commas (coordinatorUrls). */
  coordinator: string;
  /** PATCHBAY_AGENT_SECRET, sent as a bearer token (with mTLS too when both are set). */
  secret?: string;
  /** mTLS: this agent's certificate, presented to the coordinators' agent port (whose certificate must be a coordinator's). */
  tls?: AgentTls;
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
  private readonly coordinators: string[];
  /** The coordinator the last beat reached (tried first at the next one). */
  private current = 0;

  constructor(private readonly opts: HeartbeatOptions) {
    this.coordinators = coordinatorUrls(opts.coordinator);
    if (this.coordinators.length === 0) throw new Error('no coordinator address');
  }

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
      if (this.linked !== true) this.opts.log.info(`registered with the coordinator ${this.at()}`);
      this.linked = true;
    } catch (e) {
      const err = e as Error & { code?: string };
      if (err.code && FATAL.has(err.code)) {
        this.stop();
        this.opts.onFatal(err.message);
        return;
      }
      if (this.linked !== false)
        this.opts.log.warn(`no coordinator answers (${this.coordinators.join(', ')}; ${err.message}): retrying`);
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

  private at(): string {
    return this.coordinators[this.current]!;
  }

  /** One beat: to the coordinator that answered last, then to each other one in turn until one answers. */
  private async send(body: AgentHeartbeat): Promise<AgentHeartbeatReply> {
    let last: Error | undefined;
    for (let i = 0; i < this.coordinators.length; i++) {
      const at = (this.current + i) % this.coordinators.length;
      try {
        const reply = await this.sendTo(this.coordinators[at]!, body);
        if (at !== this.current && this.linked === true)
          this.opts.log.info(`the coordinator ${this.at()} does not answer: beating to ${this.coordinators[at]!}`);
        this.current = at;
        return reply;
      } catch (e) {
        last = e as Error;
        // A refusal (another protocol, a name taken) is every replica's answer: no other is tried.
        if ((e as { code?: string }).code && FATAL.has((e as { code: string }).code)) throw e;
      }
    }
    throw last ?? new Error('no coordinator');
  }

  private async sendTo(coordinator: string, body: AgentHeartbeat): Promise<AgentHeartbeatReply> {
    const url = new URL('/api/agents/heartbeat', coordinator);
    const headers = {
      'content-type': 'application/json',
      ...(this.opts.secret !== undefined ? { authorization: `Bearer ${this.opts.secret}` } : {}),
    };
    const timeoutMs = Math.max(1000, this.periodMs);
    let status: number;
    let answer: unknown;
    if (this.opts.tls) {
      const r = await tlsRequest(this.opts.tls, { role: 'coordinator' }, url, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        timeoutMs,
      });
      status = r.status;
      try {
        answer = JSON.parse(r.body.toString('utf8'));
      } catch {
        answer = undefined;
      }
    } else {
      const res = await fetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = res.status;
      answer = await res.json().catch(() => undefined);
    }
    if (status < 200 || status > 299) {
      const a = (answer ?? {}) as { code?: unknown; error?: unknown };
      throw Object.assign(new Error(`${status} ${typeof a.error === 'string' ? a.error : 'refused'}`), {
        code: typeof a.code === 'string' ? a.code : undefined,
      });
    }
    if (!Value.Check(AgentHeartbeatReplySchema, answer)) throw new Error('the coordinator answered no heartbeat reply');
    return answer;
  }
}
