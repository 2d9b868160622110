// exerciseOf without the kernel: the scenario of a lab's exercise record is parsed once per text
// (a lab host asks for it on every check run), each caller gets a copy of its own, and a record
// that changed is parsed again.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { builtinScenario } from '@patchbay/scenarios/library';
import { scenarioToYaml } from '@patchbay/scenarios';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Engine } from './engine.js';
import { exerciseOf } from './exercise.js';

const parses = vi.hoisted(() => ({ count: 0 }));
vi.mock('@patchbay/scenarios', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@patchbay/scenarios')>();
  return {
    ...actual,
    parseScenarioText: (...args: Parameters<typeof actual.parseScenarioText>) => {
      parses.count++;
      return actual.parseScenarioText(...args);
    },
  };
});

describe('exerciseOf', () => {
  let dataDir: string | undefined;
  afterEach(() => {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    dataDir = undefined;
  });

  function withRecord(lab: string, scenarioId: string): Engine {
    dataDir ??= mkdtempSync(join(tmpdir(), 'patchbay-exercise-record-'));
    const engine = new Engine({ prefix: 'pbexr-', dataDir });
    const path = engine.journal.exercisePathOf(lab);
    mkdirSync(dirname(path), { recursive: true });
    const scenario = builtinScenario(scenarioId)!.scenario;
    writeFileSync(
      path,
      JSON.stringify({ version: 1, lab, startedAt: new Date().toISOString(), scenario: scenarioToYaml(scenario) }),
    );
    return engine;
  }

  it('parses a record once per text and gives each caller its own copy', async () => {
    const engine = withRecord('ex-a', 'link-down');
    const before = parses.count;
    const first = await exerciseOf(engine, 'ex-a');
    const second = await exerciseOf(engine, 'ex-a');
    expect(parses.count - before).toBeLessThanOrEqual(1);
    expect(first?.scenario.id).toBe('link-down');
    expect(second?.scenario).toEqual(first?.scenario);
    expect(second?.scenario).not.toBe(first?.scenario);
    // a caller that changes its copy changes no one else's
    first!.scenario.checks.length = 0;
    expect((await exerciseOf(engine, 'ex-a'))?.scenario.checks.length).toBeGreaterThan(0);
    await engine.close();
  });

  it('parses a record again when its text changed', async () => {
    let engine = withRecord('ex-b', 'link-down');
    expect((await exerciseOf(engine, 'ex-b'))?.scenario.id).toBe('link-down');
    await engine.close();
    engine = withRecord('ex-b', 'bridge-nine-steps');
    const before = parses.count;
    expect((await exerciseOf(engine, 'ex-b'))?.scenario.id).toBe('bridge-nine-steps');
    expect(parses.count - before).toBe(1);
    await engine.close();
  });

  it('answers undefined for a lab with no record', async () => {
    const engine = withRecord('ex-c', 'link-down');
    expect(await exerciseOf(engine, 'no-such-lab')).toBeUndefined();
    await engine.close();
  });
});
