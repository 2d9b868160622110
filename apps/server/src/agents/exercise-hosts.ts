// Where a class lab's exercise runs: the local engine, or the remote agent that holds the lab
// (agents/placement.ts), driven through the agent's own exercise routes over the agent link (secret, certificates or both) —
// start from the session's scenario text, reset, check runs, destroy. The coordinator keeps
// everything of the class (students, runs, hints, events); the agent only holds the lab.
import { EngineError, exerciseOf, resetExercise, startExercise } from '@patchbay/engine';
import type { CheckRun } from '@patchbay/protocol';
import type { Scenario } from '@patchbay/scenarios';
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../http-error.js';
import type { AgentRecord } from '../store/store.js';
import { type AgentLink, callAgent } from './agent-client.js';

export interface ExerciseHost {
  /** The agent's name. */
  readonly name: string;
  readonly remote: boolean;
  /** Starts the lab from the scenario (its text for an agent). */
  start(lab: string, scenario: Scenario, text: string): Promise<void>;
  /** Puts the lab back as the scenario starts, re-creating it when it is gone. */
  rebuild(lab: string, scenario: Scenario, text: string): Promise<void>;
  present(lab: string): Promise<boolean>;
  /** Destroys the lab; false when it was not there. */
  destroy(lab: string): Promise<boolean>;
  /** A run of the checks on the agent (remote hosts only; the local one runs them in the hub). */
  checks?(lab: string): Promise<CheckRun>;
}

const notFound = (e: unknown) => e instanceof EngineError && e.code === 'not-found';

export function localExerciseHost(app: FastifyInstance, name: string): ExerciseHost {
  const engine = app.engine;
  return {
    name,
    remote: false,
    async start(lab, scenario) {
      await startExercise(engine, scenario, { lab });
    },
    async rebuild(lab, scenario) {
      const present = await engine.entry(lab).then(
        () => true,
        () => false,
      );
      if (present && (await exerciseOf(engine, lab).catch(() => undefined))) await resetExercise(engine, lab);
      else {
        if (present) await engine.destroy(lab);
        await startExercise(engine, scenario, { lab });
      }
    },
    present: (lab) =>
      engine.entry(lab).then(
        () => true,
        (e: unknown) => {
          if (notFound(e)) return false;
          throw e;
        },
      ),
    destroy: (lab) =>
      engine.destroy(lab).then(
        () => true,
        (e: unknown) => {
          if (notFound(e)) return false;
          throw e;
        },
      ),
  };
}

export function remoteExerciseHost(agent: AgentRecord, link: AgentLink): ExerciseHost {
  const call = async (method: string, path: string, body?: unknown) => {
    const answer = await callAgent(agent, link, {
      method,
      path,
      ...(body === undefined ? {} : { body: JSON.stringify(body), contentType: 'application/json' }),
    });
    const text = answer.body.toString('utf8');
    return { status: answer.status, json: () => JSON.parse(text) as unknown, text };
  };
  const must = async (method: string, path: string, body?: unknown) => {
    const r = await call(method, path, body);
    if (r.status >= 300) {
      let parsed: { code?: string; error?: string } = {};
      try {
        parsed = r.json() as typeof parsed;
      } catch {
        // not JSON: the status says enough
      }
      throw new HttpError(
        r.status >= 500 ? 502 : r.status,
        parsed.code ?? 'agent-failed',
        `the lab host ${agent.name}: ${parsed.error ?? `answered ${r.status}`}`,
      );
    }
    return r;
  };
  const labPath = (lab: string, rest = '') => `/api/labs/${encodeURIComponent(lab)}${rest}`;
  const host: ExerciseHost = {
    name: agent.name,
    remote: true,
    async start(lab, _scenario, text) {
      await must('PUT', labPath(lab, '/exercise'), { text });
    },
    async rebuild(lab, scenario, text) {
      if (await host.present(lab)) await must('POST', labPath(lab, '/reset'));
      else await host.start(lab, scenario, text);
    },
    async present(lab) {
      const r = await call('GET', labPath(lab));
      if (r.status === 404) return false;
      if (r.status >= 300) throw new HttpError(502, 'agent-failed', `the lab host ${agent.name} answered ${r.status}`);
      return true;
    },
    async destroy(lab) {
      const r = await call('DELETE', labPath(lab));
      if (r.status === 404) return false;
      if (r.status >= 300) throw new HttpError(502, 'agent-failed', `the lab host ${agent.name} answered ${r.status}`);
      return true;
    },
    async checks(lab) {
      return (await must('POST', labPath(lab, '/checks'))).json() as CheckRun;
    },
  };
  return host;
}

/** The host of a class lab: its placement's agent; the local engine when no remote agent holds it. */
export async function exerciseHostOf(app: FastifyInstance, lab: string): Promise<ExerciseHost> {
  const link = app.agentLink;
  const holder = link === undefined ? undefined : await app.placement.holderOf(lab);
  if (holder?.kind === 'remote' && link) return remoteExerciseHost(holder.agent, link);
  return localExerciseHost(app, holder?.name ?? app.agents.localName ?? 'local');
}
