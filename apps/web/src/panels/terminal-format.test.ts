import { describe, expect, it } from 'vitest';
import { exitText, inputChunks } from './terminal-format';

describe('inputChunks', () => {
  it('keeps short input whole and splits long input at the limit', () => {
    expect(inputChunks('ls\r')).toEqual(['ls\r']);
    expect(inputChunks('')).toEqual([]);
    expect(inputChunks('abcdefg', 3)).toEqual(['abc', 'def', 'g']);
  });
  it('never splits a surrogate pair', () => {
    const s = 'ab\u{1F600}cd'; // the emoji is two UTF-16 units at 2..3
    const parts = inputChunks(s, 3);
    expect(parts.join('')).toBe(s);
    expect(parts[0]).toBe('ab');
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(3);
  });
});

describe('exitText', () => {
  it('says why a terminal ended', () => {
    expect(exitText({ id: 'x', reason: 'exited', code: 0 })).toBe('the shell exited');
    expect(exitText({ id: 'x', reason: 'exited', code: 3 })).toBe('the shell exited (code 3)');
    expect(exitText({ id: 'x', reason: 'lab-changed' })).toMatch(/lab changed/);
    expect(exitText({ id: 'x', reason: 'lab-reset' })).toBe('the lab was reset');
    expect(
      exitText({ id: 'x', reason: 'lab-reset', message: 'your instructor reset your lab: the exercise starts again' }),
    ).toBe('your instructor reset your lab: the exercise starts again');
    expect(exitText({ id: 'x', reason: 'error', code: 1, message: 'boom' })).toBe('the sandbox could not start: boom');
  });
});
