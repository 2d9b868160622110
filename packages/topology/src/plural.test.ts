import { describe, expect, it } from 'vitest';
import { plural } from './plural.js';

describe('plural', () => {
  it('says one thing in the singular and every other count in the plural', () => {
    expect(plural(1, 'operation')).toBe('1 operation');
    expect(plural(0, 'operation')).toBe('0 operations');
    expect(plural(71, 'operation')).toBe('71 operations');
    expect(plural(1, 'entry', 'entries')).toBe('1 entry');
    expect(plural(2, 'entry', 'entries')).toBe('2 entries');
  });
});
