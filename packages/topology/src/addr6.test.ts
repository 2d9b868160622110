import { describe, expect, it } from 'vitest';
import { cidrContains, cidrNetwork, isNetworkCidr } from './addr.js';
import {
  canonicalCidr,
  formatIPv6,
  isLinkLocal6,
  isMulticast6,
  parseCidr6,
  parseIPv6,
  subnets6Overlap,
} from './addr6.js';

describe('IPv6 text', () => {
  it('parses every RFC 4291 form and writes RFC 5952 canonical text', () => {
    const cases: [string, string][] = [
      ['2001:db8::1', '2001:db8::1'],
      ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
      ['::', '::'],
      ['::1', '::1'],
      ['fe80::', 'fe80::'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['2001:0db8:0000:0001:0000:0000:0000:0001', '2001:db8:0:1::1'],
      ['::ffff:192.0.2.1', '::ffff:c000:201'],
      ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
      ['1:0:3:4:5:6:7:8', '1:0:3:4:5:6:7:8'],
    ];
    for (const [text, canonical] of cases) expect(formatIPv6(parseIPv6(text)!), text).toBe(canonical);
  });
  it('refuses what is not an address', () => {
    for (const bad of [
      '',
      ':',
      '1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:8:9',
      '1::2::3',
      '12345::',
      'g::1',
      'fe80::1%eth0',
      '10.0.0.1',
      '::1.2.3',
    ])
      expect(parseIPv6(bad), bad).toBeUndefined();
  });
  it('parses prefixes 0 to 128, no leading zeros', () => {
    expect(parseCidr6('2001:db8::1/64')).toEqual({ addr: parseIPv6('2001:db8::1'), len: 64 });
    expect(parseCidr6('::/0')?.len).toBe(0);
    expect(parseCidr6('::1/128')?.len).toBe(128);
    for (const bad of ['2001:db8::1', '2001:db8::1/129', '2001:db8::1/064', '2001:db8::1/', 'x/64'])
      expect(parseCidr6(bad), bad).toBeUndefined();
  });
  it('makes CIDRs canonical, leaves IPv4 alone', () => {
    expect(canonicalCidr('2001:DB8:0::10/64')).toBe('2001:db8::10/64');
    expect(canonicalCidr('10.0.0.1/24')).toBe('10.0.0.1/24');
  });
  it('knows link-local and multicast', () => {
    expect(isLinkLocal6(parseIPv6('fe80::1')!)).toBe(true);
    expect(isLinkLocal6(parseIPv6('febf::1')!)).toBe(true);
    expect(isLinkLocal6(parseIPv6('fec0::1')!)).toBe(false);
    expect(isMulticast6(parseIPv6('ff02::1')!)).toBe(true);
    expect(isMulticast6(parseIPv6('2001:db8::1')!)).toBe(false);
  });
  it('tells overlapping subnets', () => {
    expect(subnets6Overlap(parseCidr6('2001:db8::/32')!, parseCidr6('2001:db8:5::1/64')!)).toBe(true);
    expect(subnets6Overlap(parseCidr6('2001:db8:1::/64')!, parseCidr6('2001:db8:2::1/64')!)).toBe(false);
  });
});

describe('the family-aware CIDR helpers of addr.ts', () => {
  it('take IPv6 text too', () => {
    expect(cidrNetwork('2001:db8:1::5/64')).toBe('2001:db8:1::/64');
    expect(isNetworkCidr('2001:db8:1::/64')).toBe(true);
    expect(isNetworkCidr('2001:db8:1::5/64')).toBe(false);
    expect(cidrContains('2001:db8:1::1/64', '2001:db8:1::ff')).toBe(true);
    expect(cidrContains('2001:db8:1::1/64', '2001:db8:2::ff')).toBe(false);
    // Never across families.
    expect(cidrContains('10.0.0.1/8', '2001:db8::1')).toBe(false);
    expect(cidrContains('::/0', '10.0.0.1')).toBe(false);
    expect(cidrContains('10.0.0.1/24', '10.0.0.9')).toBe(true);
  });
});
