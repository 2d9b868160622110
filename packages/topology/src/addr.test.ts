import { describe, it, expect } from 'vitest';
import {
  cidrContains,
  cidrNetwork,
  formatIPv4,
  isNetworkCidr,
  isValidMac,
  normalizeMac,
  parseCidr,
  parseIPv4,
  prefixMask,
} from './addr.js';

/** The definition parseIPv4 implements character by character: four octets, each /^(0|[1-9][0-9]{0,2})$/ and ≤ 255. */
function referenceIPv4(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

describe('parseIPv4 / formatIPv4', () => {
  it('agrees with the split-and-match definition on 20,000 random near-addresses', () => {
    const alphabet = '0123456789..........12 a-/';
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let k = 0; k < 20_000; k++) {
      const s = Array.from({ length: 1 + random(17) }, () => alphabet[random(alphabet.length)]).join('');
      expect(parseIPv4(s), JSON.stringify(s)).toBe(referenceIPv4(s));
      const quad = Array.from({ length: 4 }, () => String(random(300))).join('.');
      expect(parseIPv4(quad), quad).toBe(referenceIPv4(quad));
    }
  });

  it('parses dotted quads and round-trips', () => {
    expect(parseIPv4('0.0.0.0')).toBe(0);
    expect(parseIPv4('255.255.255.255')).toBe(0xffffffff);
    expect(parseIPv4('192.168.1.10')).toBe(0xc0a8010a);
    expect(formatIPv4(0xc0a8010a)).toBe('192.168.1.10');
    expect(formatIPv4(0xffffffff)).toBe('255.255.255.255');
  });
  it('rejects anything that is not a strict dotted quad', () => {
    for (const bad of [
      '',
      '1.2.3',
      '1.2.3.4.5',
      '256.1.1.1',
      '01.2.3.4',
      '1.2.3.04',
      '1.2.3.-1',
      ' 1.2.3.4',
      '1.2.3.4 ',
      'a.b.c.d',
      '1..3.4',
      '1.2.3.4/24',
      '0x1.2.3.4',
      '1e2.1.1.1',
    ]) {
      expect(parseIPv4(bad), bad).toBeUndefined();
    }
  });
});

describe('parseCidr', () => {
  it('requires a prefix length 0..32', () => {
    expect(parseCidr('10.0.0.1/24')).toEqual({ addr: 0x0a000001, len: 24 });
    expect(parseCidr('0.0.0.0/0')).toEqual({ addr: 0, len: 0 });
    expect(parseCidr('10.0.0.1/32')?.len).toBe(32);
    for (const bad of [
      '10.0.0.1',
      '10.0.0.1/',
      '10.0.0.1/33',
      '10.0.0.1/024',
      '10.0.0.999/24',
      '10.0.0.1/2 4',
      '/24',
    ]) {
      expect(parseCidr(bad), bad).toBeUndefined();
    }
  });
});

describe('networks', () => {
  it('clears host bits', () => {
    expect(cidrNetwork('10.0.1.5/24')).toBe('10.0.1.0/24');
    expect(cidrNetwork('10.0.1.5/32')).toBe('10.0.1.5/32');
    expect(cidrNetwork('10.0.1.5/0')).toBe('0.0.0.0/0');
    expect(cidrNetwork('172.17.200.3/16')).toBe('172.17.0.0/16');
    expect(cidrNetwork('nope')).toBeUndefined();
    expect(prefixMask(0)).toBe(0);
    expect(prefixMask(32)).toBe(0xffffffff);
  });
  it('knows network form', () => {
    expect(isNetworkCidr('10.0.1.0/24')).toBe(true);
    expect(isNetworkCidr('10.0.1.5/24')).toBe(false);
    expect(isNetworkCidr('0.0.0.0/0')).toBe(true);
  });
  it('tests membership', () => {
    expect(cidrContains('192.168.100.0/24', '192.168.100.1')).toBe(true);
    expect(cidrContains('192.168.100.10/24', '192.168.100.255')).toBe(true);
    expect(cidrContains('192.168.100.0/24', '192.168.101.1')).toBe(false);
    expect(cidrContains('169.254.1.1/32', '169.254.1.1')).toBe(true);
    expect(cidrContains('169.254.1.1/32', '169.254.1.2')).toBe(false);
    expect(cidrContains('0.0.0.0/0', '8.8.8.8')).toBe(true);
    expect(cidrContains('128.0.0.0/1', '200.0.0.1')).toBe(true);
    expect(cidrContains('10.0.0.0/8', 'bad')).toBe(false);
  });
});

describe('MAC addresses', () => {
  it('accepts unicast in either case', () => {
    expect(isValidMac('02:42:ac:11:00:02')).toBe(true);
    expect(isValidMac('02:42:AC:11:00:02')).toBe(true);
    expect(normalizeMac('02:42:AC:11:00:02')).toBe('02:42:ac:11:00:02');
  });
  it('rejects multicast, all-zero and malformed', () => {
    expect(isValidMac('01:00:5e:00:00:01')).toBe(false);
    expect(isValidMac('ff:ff:ff:ff:ff:ff')).toBe(false);
    expect(isValidMac('00:00:00:00:00:00')).toBe(false);
    expect(isValidMac('02-42-ac-11-00-02')).toBe(false);
    expect(isValidMac('02:42:ac:11:00')).toBe(false);
    expect(isValidMac('2:42:ac:11:00:02')).toBe(false);
    expect(isValidMac('02:42:ac:11:00:0g')).toBe(false);
  });
});
