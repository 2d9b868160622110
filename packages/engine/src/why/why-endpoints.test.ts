// `why` to a Service follows every endpoint (prefix pbwe-): kube-proxy's random pick splits the
// path, and each endpoint is walked on its own, saying which one it reached and whether it answers.
// The lab is the clusterip-one-pod exercise's (a ClusterIP over two pods), with a listener on
// targetPort 8080 in web-a only: web-a's path is reachable, web-b's dies at web-b (no listener).
import { builtinScenario } from '@patchbay/scenarios/library';
import type { WhyHop } from '@patchbay/topology';
import { afterEach, describe, expect, it } from 'vitest';
import { testEngine, type TestEngine } from '../test-support.js';
import { explainPath } from './explain.js';
import { applyLab, listen } from './why-test-support.js';

let t: TestEngine | undefined;
let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  await t?.engine.close();
  await t?.cleanup();
  t = undefined;
  stop = undefined;
});

describe('why through a Service', () => {
  it('walks each endpoint of the random pick and names the one each path reached', async () => {
    t = testEngine('pbwe-');
    const lab = structuredClone(builtinScenario('clusterip-one-pod')!.scenario.lab);
    for (const pod of ['web-a', 'web-b']) delete (lab.nodes[pod] as { run?: unknown }).run;
    await applyLab(t, lab);
    stop = await listen(t, lab, 'web-a', 'tcp', 8080);

    const r = await explainPath(t.engine, lab.name, {
      from: 'client',
      to: '10.96.0.10',
      proto: 'tcp',
      port: 80,
      probe: false,
    });
    expect(r.endpoints?.map((e) => [e.endpoint, e.node, e.probability, e.reachable])).toEqual([
      ['10.244.1.2:8080', 'web-a', 0.5, true],
      ['10.244.1.3:8080', 'web-b', 0.5, false],
    ]);
    const [a, b] = r.endpoints!;
    expect(b!.blocked).toMatchObject({ direction: 'forward', node: 'web-b', reason: 'no-listener' });
    // Each path's DNAT hop says which endpoint it follows; the top-level walk is the first's.
    const dnat = (hops: WhyHop[]) => hops.find((h) => h.action === 'translate')?.detail ?? '';
    expect(dnat(a!.forward)).toMatch(/this path follows 10\.244\.1\.2:8080 \(endpoint 1 of 2/);
    expect(dnat(b!.forward)).toMatch(/this path follows 10\.244\.1\.3:8080 \(endpoint 2 of 2/);
    expect(r.forward).toEqual(a!.forward);
    expect(r.reachable).toBe(true);

    // A path that does not split has no endpoints.
    const direct = await explainPath(t.engine, lab.name, {
      from: 'client',
      to: '10.244.1.2',
      proto: 'tcp',
      port: 8080,
      probe: false,
    });
    expect(direct.endpoints).toBeUndefined();
    await t.engine.destroy(lab.name);
  }, 60_000);
});
