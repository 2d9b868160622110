import { describe, expect, it } from 'vitest';
import { checkWhyQuery } from './explain.js';

describe('checkWhyQuery and IPv6', () => {
  it('refuses an IPv6 destination clearly, naming what to do instead', () => {
    expect(() => checkWhyQuery({ from: 'c1', to: '2001:db8:2::10' })).toThrow(
      /2001:db8:2::10 is IPv6: the why walk follows IPv4 only.*ping -6 2001:db8:2::10 from c1/,
    );
  });
  it('still takes IPv4 addresses and node names', () => {
    expect(checkWhyQuery({ from: 'c1', to: '10.0.0.2' }).to).toBe('10.0.0.2');
    expect(checkWhyQuery({ from: 'c1', to: 'web' }).to).toBe('web');
  });
});
