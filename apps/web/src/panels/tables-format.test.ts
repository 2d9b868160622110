import { describe, expect, it } from 'vitest';
import { fdbCapText } from './tables-format';

describe('fdbCapText', () => {
  it('shows the count against the cap, and says when the table is full', () => {
    expect(fdbCapText({ fdbMaxLearned: 1024, fdbLearned: 3 })).toEqual({ text: 'learned 3 of 1024', full: false });
    expect(fdbCapText({ fdbMaxLearned: 64, fdbLearned: 64 })).toEqual({
      text: 'learned 64 of 64 (full: new MACs are flooded)',
      full: true,
    });
    expect(fdbCapText({ fdbMaxLearned: 0, fdbLearned: 9 })).toEqual({ text: 'learned 9 (no cap)', full: false });
    expect(fdbCapText({})).toBeUndefined();
  });
});
