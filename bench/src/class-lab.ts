// What each student of `pnpm bench:class` does in the lab of the class session's scenario (shared
// by class.ts and the students' process): where the terminal runs, what the fix is, what to ping.
import type { PingCheck, Scenario } from '@patchbay/scenarios';

export interface ClassPlan {
  scenario: string;
  /** The scenario file, when it is not a built-in one (the session is opened with it). */
  text?: string;
  title: string;
  /** Nodes of each student's lab. */
  nodes: number;
  /** The checks of the exercise (a run passes when all of them do). */
  checks: number;
  /** The node of the student's terminal: the node of the scenario's solution. */
  terminalNode: string;
  /** The solution's commands, typed in that terminal one after another (each with Enter). */
  fix: string[];
  /** The live ping the student keeps open: the path of the scenario's first ping check, if it has one. */
  ping?: { from: string; to: string };
}

/** The plan for a scenario; throws when the bench cannot type its solution in one terminal. */
export function classPlan(s: Scenario): ClassPlan {
  const nodes = [...new Set(s.solution.map((step) => step.node))];
  if (nodes.length !== 1) {
    throw new Error(
      `scenario ${s.id}: its solution runs in ${nodes.length ? nodes.join(', ') : 'no node'}; the bench types it in one terminal, so it needs exactly one node`,
    );
  }
  const ping = s.checks.find((c): c is PingCheck => c.type === 'ping' && c.expect !== 'fail');
  return {
    scenario: s.id,
    title: s.title,
    nodes: Object.keys(s.lab.nodes).length,
    checks: s.checks.length,
    terminalNode: nodes[0]!,
    fix: s.solution.map((step) => step.run),
    ...(ping ? { ping: { from: ping.from, to: ping.to } } : {}),
  };
}
