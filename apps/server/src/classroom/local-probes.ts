// Check runs that probe a lab on this host (engine runChecks): the probes of each lab's runs are
// kept until their processes ended, so that a lab about to be removed can let them finish first.
import { ChecksAbandoned, runChecks, type Engine } from '@patchbay/engine';
import type { CheckRun } from '@patchbay/protocol';
import type { Scenario } from '@patchbay/scenarios';
import type { LabChangeWatch } from './watch.js';

export type ProbedChecks = Pick<CheckRun, 'results' | 'passed' | 'total' | 'ms'>;

export class LocalProbes {
  /** Each lab's check runs whose probes are running now (an overtaken run's until its abandoned probe ended). */
  private readonly probing = new Map<string, Set<Promise<unknown>>>();

  constructor(
    private readonly engine: Engine,
    private readonly watch: LabChangeWatch,
  ) {}

  /** Runs `scenario`'s checks on `lab`; the lab's watch knows a run is under way (watch.ts). */
  async run(lab: string, scenario: Scenario, signal: AbortSignal): Promise<ProbedChecks> {
    const ended = this.watch.runStarted(lab);
    const probes = runChecks(this.engine, lab, scenario, { signal });
    // Until every process of the run ended: an overtaken run's abandoned ping ends by itself a little later.
    const gone = probes.then(
      () => undefined,
      (err: unknown) => (err instanceof ChecksAbandoned ? err.settled : undefined),
    );
    const runs = this.probing.get(lab) ?? new Set();
    this.probing.set(lab, runs.add(gone));
    void gone.finally(() => {
      runs.delete(gone);
      if (!runs.size && this.probing.get(lab) === runs) this.probing.delete(lab);
    });
    try {
      const checks = await probes;
      ended();
      return checks;
    } catch (err) {
      ended(err instanceof ChecksAbandoned);
      throw err;
    }
  }

  /** Resolves when the lab's running probes ended, or after `maxWaitMs`. */
  async ended(lab: string, maxWaitMs: number): Promise<void> {
    const runs = this.probing.get(lab);
    if (!runs?.size) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, maxWaitMs)));
    await Promise.race([Promise.allSettled([...runs]), timeout]);
    clearTimeout(timer);
  }
}
