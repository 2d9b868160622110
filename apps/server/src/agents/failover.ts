// When an agent is lost, the students of running class sessions whose labs it held get a new lab
// on another agent: every second each coordinator looks for lost agents' student labs, moves each
// placement (only the replica whose move wins goes on: store.agents.moveFrom), and has the exercise
// hub make the lab there from the session's scenario and tell the student and the dashboard
// (ExerciseHub.failover). Labs outside class sessions stay placed on their agent: it may come back
// and re-adopt them (`recover`); so may a lost agent that comes back after its students moved, and
// it is told in its heartbeat reply to destroy the labs that now live elsewhere (registry.ts).
import type { FastifyInstance } from 'fastify';
import type { ExerciseHub } from '../classroom/exercises.js';

export interface FailoverOptions {
  /** How often lost agents are looked for. */
  intervalMs: number;
}

export class Failover {
  private readonly timer: NodeJS.Timeout;
  private running: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly app: FastifyInstance,
    private readonly exercises: ExerciseHub,
    options: FailoverOptions = { intervalMs: 1000 },
  ) {
    this.timer = setInterval(() => {
      if (this.running || this.closed) return;
      this.running = this.sweep()
        .then(() => undefined)
        .catch((e: Error) => this.app.log.warn({ err: e.message }, 'failover: a sweep failed'))
        .finally(() => (this.running = undefined));
    }, options.intervalMs);
    this.timer.unref();
  }

  /** Moves every student lab of a lost agent; the labs moved. */
  async sweep(): Promise<string[]> {
    const now = Date.now();
    const lost = (await this.app.store.agents.list()).filter((a) => this.app.agents.isLost(a, now));
    const moved: string[] = [];
    for (const agent of lost) {
      const labs = await this.app.store.agents.labsOn(agent.name);
      await Promise.all(
        labs.map(async (lab) => {
          if (this.closed) return;
          const ctx = await this.exercises.scenarios.contextOf(lab);
          if (!ctx?.student || !ctx.session || ctx.session.endedAt) return;
          let target;
          try {
            target = await this.app.placement.choose();
          } catch {
            return; // no agent can take it now: tried again at the next sweep
          }
          if (!(await this.app.store.agents.moveFrom(lab, agent.name, target.name))) return;
          this.app.log.warn(
            { lab, from: agent.name, to: target.name },
            'failover: a student lab moves to another agent',
          );
          try {
            await this.exercises.failover(ctx, agent.name);
            moved.push(lab);
          } catch (e) {
            // Placed on the target all the same: the student's reset (or the next join) makes it.
            this.app.log.warn(
              { lab, to: target.name, err: (e as Error).message },
              'failover: the lab could not be made',
            );
          }
        }),
      );
    }
    return moved;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.running;
  }
}
