import { describe, expect, it } from 'vitest';
import { labFileName, labScriptFileName, scenarioFileName } from './export-names';

describe('export file names', () => {
  it('gives a lab and the exercise made from it different files', () => {
    expect(labFileName('router-lab')).toBe('router-lab.yaml');
    expect(scenarioFileName('router-lab')).toBe('router-lab.scenario.yaml');
    expect(scenarioFileName('router-lab')).not.toBe(labFileName('router-lab'));
    expect(labScriptFileName('router-lab')).toBe('router-lab.sh');
  });

  it('names an unnamed draft by what it is', () => {
    expect(labFileName('')).toBe('lab.yaml');
    expect(scenarioFileName('')).toBe('exercise.scenario.yaml');
  });
});
