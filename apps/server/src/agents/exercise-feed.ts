// The check runs of followed labs held by remote agents, pushed to the coordinator as they happen.
// A lab on an agent changes in the agent's kernel, so only the agent sees it change: the coordinator
// follows each such lab as any browser follows an exercise — `exercise:subscribe` over a socket.io
// connection of its own to the agent (one per agent, opened over the agent link: secret, certificates or both). Following it
// makes the agent watch the lab, so the agent's own exercise hub runs its checks on every trigger
// it sees, with its own scheduler (overtaking, urgent before background): a kernel change, an apply,
// Enter in a terminal (relayed terminals run on the agent), and its periodic tick. Each run comes
// back as `exercise:results` and the coordinator keeps it as the student's run (onRun), exactly as
// a local run: their page and the dashboard see it at once.
//
// While a lab is followed here ("fed"), the coordinator itself starts no run of it on the off chance
// (Enter, its tick, the settling repeat): the agent does. Runs a person asked for (a request, a
// join, a reset) still go through the agent's `POST …/checks`, and their answer is kept by the
// caller; a pushed run whose trigger is `request` is such an answer, and is not kept twice.
// A connection that drops is opened again (at the agent's address then) after RECONNECT_MS.
//
// A lab is followed as soon as its session's dashboard is open, which may be while the lab is
// placed on the agent but not started there yet (students joining together: one join's update
// follows every lab of the session). The agent then refuses (the lab has no exercise yet), and the
// next `set` of the lab — the join's own update, once its lab is made — subscribes again; a `set`
// while a subscription is unanswered asks again should that one be refused.
import type { CheckRun } from '@patchbay/protocol';
import type { FastifyInstance } from 'fastify';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { type AgentLink, agentSocketOptions } from './agent-client.js';

/** After a feed connection dropped: its labs are followed again (the holder looked up afresh). */
export const RECONNECT_MS = 2000;

interface AgentFeed {
  socket: ClientSocket;
  /** Labs followed on this agent. */
  labs: Set<string>;
  /** The agent answered the subscription of these (its runs of them arrive). */
  subscribed: Set<string>;
  /** Subscriptions sent and not answered yet: a lab in `again` is asked for again if refused. */
  asking: Set<string>;
  again: Set<string>;
}

export class RemoteExerciseFeed {
  /** Each followed remote lab's agent. */
  private readonly labAgent = new Map<string, string>();
  private readonly feeds = new Map<string, AgentFeed>();
  /** Each remote lab's latest run kept, by the agent's own time of it: an older or repeated one is not kept again. */
  private readonly marks = new Map<string, string>();
  /** Labs to follow (whatever holds them now). */
  private readonly wanted = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly app: FastifyInstance,
    private readonly link: AgentLink,
    private readonly onRun: (lab: string, run: CheckRun) => void,
  ) {}

  /** Whether the agent holding the lab pushes its runs now (the coordinator then runs none on the off chance). */
  isFed(lab: string): boolean {
    const agent = this.labAgent.get(lab);
    const feed = agent === undefined ? undefined : this.feeds.get(agent);
    return !!feed?.socket.connected && feed.subscribed.has(lab);
  }

  /** Follows the lab on its agent (when a remote agent holds it), or stops following it. */
  async set(lab: string, want: boolean): Promise<void> {
    if (!want || this.closed) {
      this.wanted.delete(lab);
      this.drop(lab);
      return;
    }
    this.wanted.add(lab);
    const holder = await this.app.placement.holderOf(lab);
    if (!this.wanted.has(lab)) return; // unfollowed meanwhile
    const now = holder?.kind === 'remote' ? holder.agent : undefined;
    if (this.labAgent.get(lab) === now?.name && now) {
      // Followed there already; a subscription the agent refused (the lab was not started yet) is asked again.
      const feed = this.feeds.get(now.name);
      if (feed?.socket.connected && !feed.subscribed.has(lab)) this.subscribe(feed, lab);
      return;
    }
    this.drop(lab);
    if (!now) return;
    this.labAgent.set(lab, now.name);
    const feed = this.feedTo(now);
    feed.labs.add(lab);
    if (feed.socket.connected) this.subscribe(feed, lab);
  }

  /** Whether a run of the lab (by its agent's time of it) is newer than every one kept; it is marked kept. */
  fresh(lab: string, agentAt: string): boolean {
    const mark = this.marks.get(lab);
    if (mark !== undefined && agentAt <= mark) return false;
    this.marks.set(lab, agentAt);
    return true;
  }

  /** The lab is gone for good. */
  forget(lab: string): void {
    this.marks.delete(lab);
  }

  /** The lab moved to another agent (failover): followed there from now on, its runs by that agent's clock. */
  moved(lab: string): Promise<void> {
    this.marks.delete(lab);
    if (!this.wanted.has(lab)) return Promise.resolve();
    this.drop(lab);
    return this.set(lab, true);
  }

  private drop(lab: string): void {
    const agent = this.labAgent.get(lab);
    if (agent === undefined) return;
    this.labAgent.delete(lab);
    const feed = this.feeds.get(agent);
    if (!feed) return;
    feed.labs.delete(lab);
    feed.again.delete(lab);
    if (feed.subscribed.delete(lab) && feed.socket.connected) feed.socket.emit('exercise:unsubscribe', { lab });
    if (feed.labs.size === 0) {
      this.feeds.delete(agent);
      feed.socket.disconnect();
    }
  }

  private feedTo(agent: { name: string; address: string }): AgentFeed {
    const known = this.feeds.get(agent.name);
    if (known) return known;
    const socket = connect(agent.address, agentSocketOptions(this.link, agent.name));
    const feed: AgentFeed = { socket, labs: new Set(), subscribed: new Set(), asking: new Set(), again: new Set() };
    this.feeds.set(agent.name, feed);
    socket.on('connect', () => {
      for (const lab of feed.labs) this.subscribe(feed, lab);
    });
    socket.on('exercise:results', (run: CheckRun) => {
      if (this.labAgent.get(run.lab) === agent.name && feed.subscribed.has(run.lab)) this.onRun(run.lab, run);
    });
    const lost = (why: string) => {
      if (this.feeds.get(agent.name) !== feed) return;
      this.feeds.delete(agent.name);
      socket.disconnect();
      this.app.log.warn({ agent: agent.name, why }, 'the exercise feed of the agent dropped');
      const labs = [...feed.labs];
      for (const lab of labs) if (this.labAgent.get(lab) === agent.name) this.labAgent.delete(lab);
      if (this.closed) return;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        for (const lab of labs) if (this.wanted.has(lab)) void this.set(lab, true).catch(() => undefined);
      }, RECONNECT_MS);
      timer.unref();
      this.timers.add(timer);
    };
    socket.on('disconnect', (reason) => lost(reason));
    socket.on('connect_error', (e) => lost(e.message));
    return feed;
  }

  private subscribe(feed: AgentFeed, lab: string): void {
    if (feed.asking.has(lab)) return void feed.again.add(lab);
    feed.asking.add(lab);
    feed.socket.emit('exercise:subscribe', { lab }, (ack: { ok: boolean; error?: string }) => {
      feed.asking.delete(lab);
      const again = feed.again.delete(lab);
      if (ack.ok) {
        if (feed.labs.has(lab)) feed.subscribed.add(lab);
        // Dropped while the subscription was under way: the agent need not watch it for us.
        else if (feed.socket.connected) feed.socket.emit('exercise:unsubscribe', { lab });
      } else if (again && feed.labs.has(lab) && feed.socket.connected) this.subscribe(feed, lab);
      else this.app.log.debug({ lab, err: ack.error }, 'the agent does not feed the lab’s check runs (yet)');
    });
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const feed of this.feeds.values()) feed.socket.disconnect();
    this.feeds.clear();
    this.labAgent.clear();
    this.wanted.clear();
  }
}
