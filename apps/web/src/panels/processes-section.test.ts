import { describe, expect, it } from 'vitest';
import { processStateText } from './ProcessesSection';

describe('processStateText', () => {
  it('says whether a process runs, how it ended, or that it waits for an apply', () => {
    const base = { name: 'run-1', command: 'sleep 9', output: '' };
    expect(processStateText({ ...base, state: 'running', pid: 42 })).toBe('running (pid 42)');
    expect(processStateText({ ...base, state: 'exited', code: 1 })).toBe(
      'exited with status 1: the next apply starts it again',
    );
    expect(processStateText({ ...base, state: 'stopped' })).toBe('not started: apply the lab');
  });
});
