// The kernel's own floor under bench:class's "fix typed → checks green": in a lab of the class's
// scenario, with a live ping along the path of its ping check running as each student's does (one
// echo request a second, every one of them unanswered while the lab is broken), the solution is run
// at a random moment and pings started at the same instant, one after another, measure when the
// path first answers.
// While the path is broken, the live ping keeps the source's ARP entry for the next hop unresolved
// (INCOMPLETE); a packet sent to an unresolved entry waits in its queue for the kernel's next
// solicitation, one a second (`retrans_time_ms`, 1000 by default), so no probe, the checks' or
// anyone's, can see the fix sooner. This is the "raw way" to the same answer, measured in the same
// run: the checks' figure over it is what the check machinery adds.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '@patchbay/engine';
import { namespacePath, runInNamespace } from '@patchbay/kernel';
import type { Scenario } from '@patchbay/scenarios';
import { namespaceName } from '@patchbay/topology';
import { dist } from './class-report.js';
import { sleep } from './util.js';

export interface FixFloor {
  reps: number;
  path: string;
  fix: string[];
  /** The solution run → the first reply of pings started with it, one after another (ms). */
  firstReply: ReturnType<typeof dist>;
  /** Repetitions where the source's entry for the next hop was unresolved (INCOMPLETE) just before the fix. */
  unresolvedAtFix: number;
}

const now = () => performance.now();

/** Undefined when the scenario has no ping check or its solution runs in more than one node (as bench:class). */
export async function fixFloor(
  scenario: Scenario,
  path: { from: string; to: string } | undefined,
  reps: number,
  prefix: string,
): Promise<FixFloor | undefined> {
  const nodes = [...new Set(scenario.solution.map((s) => s.node))];
  if (!path || nodes.length !== 1 || reps <= 0) return undefined;
  const lab = scenario.lab;
  const ns = (node: string) => namespaceName(prefix, lab.name, node);
  const dataDir = mkdtempSync(join(tmpdir(), 'patchbay-bench-floor-'));
  const engine = new Engine({ prefix, dataDir });
  const times: number[] = [];
  let unresolvedAtFix = 0;
  try {
    for (let i = 0; i < reps; i++) {
      // A fresh broken lab, as each student's: no neighbour entry a previous repetition resolved.
      await engine.destroy(lab.name).catch(() => undefined);
      await engine.apply(structuredClone(lab));
      // The student's live ping (the web app's: ping -i 1), started before the fix.
      const live = spawn('nsenter', [`--net=${namespacePath(ns(path.from))}`, '--', 'ping', '-n', '-i', '1', path.to], {
        stdio: 'ignore',
      });
      try {
        // The fix comes at any moment of the broken lab's ARP cycle (an entry is INCOMPLETE for 3 s, then FAILED).
        await sleep(1500 + Math.random() * 3000);
        const neigh = await runInNamespace(ns(path.from), 'ip', ['neigh', 'show']);
        if (/\bINCOMPLETE\b/.test(neigh.stdout)) unresolvedAtFix++;
        const t0 = now();
        for (const step of scenario.solution) {
          const r = await runInNamespace(ns(step.node), 'sh', ['-c', step.run]);
          if (r.code !== 0) throw new Error(`the solution's ${step.run} in ${step.node}: ${r.stderr}`);
        }
        // Pings one after another until one is answered: a packet queued on an entry whose last
        // solicitation went out before the fix fails with the entry ("Destination Host Unreachable")
        // and the next one resolves it afresh, as the checks' next run does.
        for (;;) {
          const probe = await runInNamespace(ns(path.from), 'ping', ['-n', '-c', '1', '-W', '2', path.to], {
            timeoutMs: 10_000,
          });
          if (probe.code === 0) break;
          if (now() - t0 > 10_000) throw new Error(`after the fix, ${path.from} → ${path.to} got no reply in 10 s`);
        }
        times.push(now() - t0);
      } finally {
        live.kill('SIGKILL');
      }
    }
    return {
      reps,
      path: `${path.from} → ${path.to}`,
      fix: scenario.solution.map((s) => s.run),
      firstReply: dist(times),
      unresolvedAtFix,
    };
  } finally {
    await engine.destroy(lab.name).catch(() => undefined);
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
