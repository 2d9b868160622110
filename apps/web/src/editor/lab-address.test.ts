import { describe, expect, it } from 'vitest';
import { hashForLab, labFromHash } from './lab-address';

describe('the lab in the address', () => {
  it('reads the lab of #lab=NAME, encoded or not', () => {
    expect(labFromHash('#lab=router-lab')).toBe('router-lab');
    expect(labFromHash('#lab=a%20b')).toBe('a b');
    expect(labFromHash('')).toBeUndefined();
    expect(labFromHash('#lab=')).toBeUndefined();
    expect(labFromHash('#other=1')).toBeUndefined();
  });

  it('writes a hash that reads back as the same lab', () => {
    expect(hashForLab('', 'router-lab')).toBe('#lab=router-lab');
    expect(labFromHash(hashForLab('#lab=old', 'new lab'))).toBe('new lab');
    expect(hashForLab('#x=1&lab=old', 'new')).toBe('#x=1&lab=new');
  });
});
