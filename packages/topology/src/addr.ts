import { cidr6Contains, cidr6Network, isNetworkCidr6, looksIPv6, parseCidr6, parseIPv6 } from './addr6.js';

// Pure IPv4 and MAC helpers (IPv6 ones: addr6.ts; the CIDR helpers here that take text also take IPv6). No node:* imports and no dependencies: this package also runs in the
// browser (the editor validates as the user types). Addresses are handled as unsigned 32-bit numbers.

/**
 * Strict dotted quad: four decimal octets 0-255, no leading zeros ("01" is rejected: some tools read
 * it as octal). Read character by character: validation, compile and diff parse every address of
 * a lab on each apply, and a split and four regular expressions per address were a sixth of
 * validating a 200-node lab.
 */
export function parseIPv4(s: string): number | undefined {
  if (typeof s !== 'string') return undefined;
  const end = s.length;
  if (end < 7 || end > 15) return undefined;
  let n = 0;
  let octets = 0;
  let i = 0;
  while (i < end) {
    const start = i;
    let v = 0;
    while (i < end) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
      i++;
    }
    const digits = i - start;
    if (digits === 0 || digits > 3 || (digits > 1 && s.charCodeAt(start) === 48) || v > 255) return undefined;
    n = n * 256 + v;
    octets++;
    if (i === end) break;
    if (s.charCodeAt(i) !== 46 || octets === 4) return undefined; // '.'
    i++;
    if (i === end) return undefined; // a trailing dot
  }
  return octets === 4 ? n : undefined;
}

export function formatIPv4(n: number): string {
  const v = n >>> 0;
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

export interface Cidr {
  addr: number;
  len: number;
}

/** `a.b.c.d/len`; the prefix length is required (0-32, no leading zeros). */
export function parseCidr(s: string): Cidr | undefined {
  if (typeof s !== 'string') return undefined;
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const addr = parseIPv4(s.slice(0, slash));
  const lenText = s.slice(slash + 1);
  if (addr === undefined || !/^(0|[1-9][0-9]?)$/.test(lenText)) return undefined;
  const len = Number(lenText);
  if (len > 32) return undefined;
  return { addr, len };
}

/** Netmask of a prefix length as an unsigned number (len 0 → 0). */
export function prefixMask(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

function toCidr(cidr: string | Cidr): Cidr | undefined {
  return typeof cidr === 'string' ? parseCidr(cidr) : cidr;
}

/** The network of a CIDR with host bits cleared, e.g. "10.0.1.5/24" → "10.0.1.0/24"; undefined if invalid. */
export function cidrNetwork(cidr: string | Cidr): string | undefined {
  if (looksIPv6(cidr)) {
    const c6 = parseCidr6(cidr);
    return c6 && cidr6Network(c6);
  }
  const c = toCidr(cidr);
  if (!c) return undefined;
  return `${formatIPv4((c.addr & prefixMask(c.len)) >>> 0)}/${c.len}`;
}

/** True if the CIDR has no host bits set (it names a network, as a route destination must). */
export function isNetworkCidr(cidr: string | Cidr): boolean {
  if (looksIPv6(cidr)) {
    const c6 = parseCidr6(cidr);
    return c6 !== undefined && isNetworkCidr6(c6);
  }
  const c = toCidr(cidr);
  return c !== undefined && (c.addr & ~prefixMask(c.len)) >>> 0 === 0;
}

/** Whether `ip` (dotted quad or number) lies inside the subnet of `cidr`. */
export function cidrContains(cidr: string | Cidr, ip: string | number): boolean {
  if (looksIPv6(cidr) || looksIPv6(ip)) {
    const c6 = typeof cidr === 'string' ? parseCidr6(cidr) : undefined;
    const a6 = typeof ip === 'string' ? parseIPv6(ip) : undefined;
    return c6 !== undefined && a6 !== undefined && cidr6Contains(c6, a6);
  }
  const c = toCidr(cidr);
  const a = typeof ip === 'number' ? ip >>> 0 : parseIPv4(ip);
  if (!c || a === undefined) return false;
  const m = prefixMask(c.len);
  return (c.addr & m) >>> 0 === (a & m) >>> 0;
}

const MAC_RE = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/;

/**
 * A MAC an interface may carry: six colon-separated hex bytes, not all zero, multicast bit (the
 * low bit of the first byte) clear — the kernel refuses multicast addresses on ethernet devices.
 */
export function isValidMac(s: string): boolean {
  if (typeof s !== 'string' || !MAC_RE.test(s)) return false;
  const bytes = s.split(':').map((b) => parseInt(b, 16));
  if (bytes.every((b) => b === 0)) return false;
  return (bytes[0]! & 1) === 0;
}

export function normalizeMac(s: string): string {
  return s.toLowerCase();
}
