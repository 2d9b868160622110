// Validation before anything runs: the document's problems (all of them), what this kernel lacks,
// and what the engine cannot realize yet. Unit tests, plus one on the real kernel proving that an
// invalid lab changes nothing. Prefix pblc1-.
import { afterEach, describe, expect, it } from 'vitest';
import { listNamespaces } from '@patchbay/kernel';
import type { Lab } from '@patchbay/topology';
import { EngineError } from './errors.js';
import { exampleLab, testEngine, type TestEngine } from './test-support.js';
import { assertRunnable, assertValidLab, notYetImplemented, parseValidLab } from './validation.js';

const PREFIX = 'pblc1-';
const limits = { maxNodes: 2000, maxLabBytes: 1024 * 1024 };
const BAD =
  'name: bad\nnodes:\n  a: { kind: netns }\nlinks:\n  - a: { node: a, interface: eth0, addresses: [10.0.0.999/24] }\n    b: { node: nope, interface: eth0 }\n';

function refusal(fn: () => unknown): EngineError {
  try {
    fn();
  } catch (e) {
    if (e instanceof EngineError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('validation', () => {
  it('parseValidLab lists every problem of a lab file', () => {
    const err = refusal(() => parseValidLab(BAD, limits));
    expect(err.code).toBe('invalid');
    expect(err.problems.map((p) => p.path)).toEqual(
      expect.arrayContaining(['links[0].a.addresses[0]', 'links[0].b.node']),
    );
  });

  it('assertValidLab refuses a lab object over the node limit', () => {
    const lab = exampleLab('two-containers.yaml');
    expect(assertValidLab(lab, { maxNodes: 10 })).toEqual({ lab, warnings: [] });
    expect(refusal(() => assertValidLab(lab, { maxNodes: 1 })).code).toBe('invalid');
  });

  it('assertRunnable refuses what the kernel lacks, naming the feature', () => {
    const lab = exampleLab('vxlan-two-hosts.yaml');
    const all = new Set([
      'veth',
      'bridge',
      'vxlan',
      'bridge-vlan-filtering',
      'iptables-nat',
      'bridge-stp',
      'macvlan',
      'ebtables',
    ] as const);
    expect(assertRunnable(lab, new Set(all))).toBe(lab);
    const noVxlan = new Set([...all].filter((f) => f !== 'vxlan'));
    const err = refusal(() => assertRunnable(lab, noVxlan));
    expect(err.code).toBe('unsupported');
    expect(err.problems.some((p) => /vxlan/i.test(p.message))).toBe(true);
  });

  it('notYetImplemented: a VLAN on a bridge port is refused up front', () => {
    const lab: Lab = structuredClone(exampleLab('two-containers.yaml'));
    expect(notYetImplemented(lab)).toEqual([]);
    lab.links[0]!.b.vlan = { pvid: 10 };
    expect(notYetImplemented(lab)).toEqual([
      expect.objectContaining({ path: 'links[0].b.vlan', code: 'engine.unsupported' }),
    ]);
  });
});

describe('Engine.validate and load on the real kernel', () => {
  let t: TestEngine | undefined;
  afterEach(async () => {
    await t?.cleanup();
  });

  it('an invalid lab changes nothing and lists every problem', async () => {
    t = testEngine(PREFIX);
    const err = await t.engine.apply(BAD).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).code).toBe('invalid');
    expect((err as EngineError).problems.map((p) => p.path)).toEqual(
      expect.arrayContaining(['links[0].a.addresses[0]', 'links[0].b.node']),
    );
    expect(await listNamespaces(PREFIX)).toEqual([]);
  });

  it('validate answers the lab it accepts and refuses a broken one', async () => {
    t = testEngine(PREFIX);
    const lab = exampleLab('two-containers.yaml');
    await expect(t.engine.validate(lab)).resolves.toBe(lab);
    const broken: Lab = structuredClone(lab);
    broken.links[0]!.b.node = 'nope';
    await expect(t.engine.validate(broken)).rejects.toMatchObject({ code: 'invalid' });
  });
});
