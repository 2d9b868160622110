// Where a lab's scenario comes from: a class session's own copy (frozen when it was opened), or
// for a lab started from a scenario outside a session (`patchbay scenario start`), the record the
// engine keeps beside the lab's journal. Scenario files sent to the server are parsed here.
import { plural } from '@patchbay/topology';
import { exerciseOf, type Engine } from '@patchbay/engine';
import type { Problem } from '@patchbay/protocol';
import { parseScenarioText, type Scenario } from '@patchbay/scenarios';
import { builtinScenario } from '@patchbay/scenarios/library';
import type { SessionRow, Store, StudentRow } from '../store/store.js';
import { HttpError } from '../http-error.js';

/** A scenario file from a request (lab inline: a path cannot be read on the server); 400 with every problem. */
export function parseScenarioBody(text: string, path = 'text'): Scenario {
  const { scenario, problems } = parseScenarioText(text);
  if (!scenario || problems.length > 0) {
    const list: Problem[] = problems.length
      ? problems
      : [{ path, code: 'scenario.invalid', message: 'the scenario could not be read' }];
    throw new HttpError(
      400,
      'invalid',
      `the scenario file has ${plural(list.length, 'problem')}; nothing was run`,
      list,
    );
  }
  return scenario;
}

/** A built-in scenario by id, or 400 naming the field (it is part of a request body). */
export function builtinOr400(id: string): { scenario: Scenario; text: string } {
  const b = builtinScenario(id);
  if (!b)
    throw new HttpError(400, 'invalid', `no built-in scenario named ${JSON.stringify(id)}`, [
      {
        path: 'scenario',
        code: 'scenario.unknown',
        message: `no built-in scenario named ${JSON.stringify(id)} (GET /api/scenarios lists them)`,
      },
    ]);
  return { scenario: b.scenario, text: b.text };
}

/** What a lab's exercise is: its scenario, and for a student's lab, the student and their session. */
export interface ExerciseContext {
  lab: string;
  scenario: Scenario;
  student?: StudentRow;
  session?: SessionRow;
}

export class ScenarioSource {
  /** Parsed session scenarios, by session id (a session's text never changes). */
  private readonly parsed = new Map<string, Scenario>();

  constructor(
    private readonly store: Store,
    private readonly engine: Engine,
  ) {}

  ofSession(session: SessionRow): Scenario {
    let s = this.parsed.get(session.id);
    if (!s) {
      const r = parseScenarioText(session.scenarioText);
      if (!r.scenario)
        throw new Error(
          `session ${session.id}: its scenario no longer parses: ${r.problems.map((p) => p.message).join('; ')}`,
        );
      this.parsed.set(session.id, (s = r.scenario));
    }
    return s;
  }

  /** The lab's exercise, or undefined when the lab was not started from a scenario. */
  async contextOf(lab: string): Promise<ExerciseContext | undefined> {
    const student = await this.store.students.byLab(lab);
    const session = student && (await this.store.sessions.get(student.session));
    if (student && session) return { lab, scenario: this.ofSession(session), student, session };
    const ex = await exerciseOf(this.engine, lab).catch(() => undefined);
    return ex ? { lab, scenario: ex.scenario } : undefined;
  }
}
