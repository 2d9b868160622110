// Every built-in exercise is proven sound on the real kernel, as `patchbay scenario validate` does:
// the fresh lab fails a check, the solution makes all pass, a reset lab fails again. Prefix pbe3-;
// three at a time (each lab has its own name, so they never meet).
import { mapLimit } from '@patchbay/kernel';
import { brokenBuiltins, builtinScenarios } from '@patchbay/scenarios/library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateExercise, type ValidationProof } from './exercise.js';
import { rootSnapshot, testEngine } from './test-support.js';

const all = builtinScenarios();

describe('the built-in library', () => {
  const t = testEngine('pbe3-');
  let before = '';
  const proofs = new Map<string, ValidationProof>();
  beforeAll(async () => {
    before = await rootSnapshot();
    await mapLimit(all, 3, async (b) => {
      proofs.set(b.id, await validateExercise(t.engine, b.scenario));
    });
  }, 600_000);
  afterAll(async () => {
    await t.cleanup();
    expect(await rootSnapshot()).toBe(before);
  });

  it('has the exercises a container-networking course needs, at every level; every file parses', () => {
    expect(brokenBuiltins()).toEqual([]);
    expect(all.length).toBeGreaterThanOrEqual(14);
    expect(new Set(all.map((b) => b.scenario.level))).toEqual(new Set(['beginner', 'intermediate', 'advanced']));
    for (const b of all) {
      expect(b.scenario.instructions.length, b.id).toBeGreaterThan(40);
      expect(b.scenario.hints?.length ?? 0, b.id).toBeGreaterThanOrEqual(1);
      expect(b.scenario.tags?.length ?? 0, b.id).toBeGreaterThanOrEqual(1);
      expect(b.scenario.solution.length, b.id).toBeGreaterThanOrEqual(1);
    }
  });

  it.each(all.map((b) => [b.id]))('%s is sound: fresh fails, the solution passes, a reset fails again', (id) => {
    const proof = proofs.get(id)!;
    const why = proof.stages.map((s) => `${s.stage}: ${s.ok ? 'ok' : 'FAILED'} — ${s.detail}`).join('\n');
    expect(
      proof.stages.map((s) => s.stage),
      why,
    ).toEqual(['fresh', 'solution', 'reset']);
    expect(proof.sound, why).toBe(true);
  });
});
