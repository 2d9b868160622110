// Pure IPv6 helpers (no node:* imports: the editor validates as the user types). Addresses are
// unsigned 128-bit bigints. Text is written in RFC 5952's canonical form (lowercase, zeros of each
// group dropped, the longest run of two or more zero groups as "::"): the form iproute2 prints, so a
// lab's address compares equal to the kernel's.

export interface Cidr6 {
  addr: bigint;
  len: number;
}

const GROUP_RE = /^[0-9a-fA-F]{1,4}$/;
const ALL_ONES = (1n << 128n) - 1n;

/** An IPv6 address in any RFC 4291 text form ("2001:db8::1", "::", "::ffff:10.0.0.1"); no zone ("%eth0"). */
export function parseIPv6(s: string): bigint | undefined {
  if (typeof s !== 'string' || s.length === 0 || s.length > 45) return undefined;
  let text = s;
  // An embedded IPv4 tail ("::ffff:192.0.2.1") is two groups.
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    const quad = text.slice(lastColon + 1).split('.');
    if (quad.length !== 4 || !quad.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
    const [a, b, c, d] = quad.map(Number) as [number, number, number, number];
    tail = [a * 256 + b, c * 256 + d];
    text = text.slice(0, lastColon + 1);
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string): string[] | undefined => (part === '' ? [] : part.split(':'));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !rest) return undefined;
  if (![...head, ...rest].every((g) => GROUP_RE.test(g))) return undefined;
  const known = head.length + rest.length + tail.length;
  if (halves.length === 2 ? known > 7 : known !== 8) return undefined;
  const zeros = 8 - known;
  const all = [
    ...head.map((g) => parseInt(g, 16)),
    ...Array<number>(zeros).fill(0),
    ...rest.map((g) => parseInt(g, 16)),
    ...tail,
  ];
  return all.reduce((n, g) => (n << 16n) | BigInt(g), 0n);
}

/** RFC 5952 canonical text. */
export function formatIPv6(n: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((n >> BigInt(i * 16)) & 0xffffn));
  // The longest run of zero groups (first one on a tie), if at least two long.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

/** `addr/len`, the prefix length required (0-128, no leading zeros). */
export function parseCidr6(s: string): Cidr6 | undefined {
  if (typeof s !== 'string') return undefined;
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const addr = parseIPv6(s.slice(0, slash));
  const lenText = s.slice(slash + 1);
  if (addr === undefined || !/^(0|[1-9][0-9]{0,2})$/.test(lenText)) return undefined;
  const len = Number(lenText);
  return len > 128 ? undefined : { addr, len };
}

export function prefixMask6(len: number): bigint {
  return len === 0 ? 0n : (ALL_ONES << BigInt(128 - len)) & ALL_ONES;
}

export function formatCidr6(c: Cidr6): string {
  return `${formatIPv6(c.addr)}/${c.len}`;
}

/** The network of an IPv6 CIDR, host bits cleared, canonical text. */
export function cidr6Network(c: Cidr6): string {
  return formatCidr6({ addr: c.addr & prefixMask6(c.len), len: c.len });
}

export function isNetworkCidr6(c: Cidr6): boolean {
  return (c.addr & ~prefixMask6(c.len) & ALL_ONES) === 0n;
}

export function cidr6Contains(c: Cidr6, ip: bigint): boolean {
  const m = prefixMask6(c.len);
  return (c.addr & m) === (ip & m);
}

export function subnets6Overlap(a: Cidr6, b: Cidr6): boolean {
  const m = prefixMask6(Math.min(a.len, b.len));
  return (a.addr & m) === (b.addr & m);
}

/** fe80::/10: valid on one link only, so a gateway there needs the interface named (`dev`). */
export function isLinkLocal6(ip: bigint): boolean {
  return ip >> 118n === 0x3fan;
}

/** ff00::/8: multicast, never an interface's address nor a gateway. */
export function isMulticast6(ip: bigint): boolean {
  return ip >> 120n === 0xffn;
}

/** Whether text looks like IPv6 (has a colon): decides which family's parser judges it. */
export function looksIPv6(s: unknown): s is string {
  return typeof s === 'string' && s.includes(':');
}

/** An IPv6 CIDR in canonical text ("2001:DB8:0::1/64" → "2001:db8::1/64"); other text unchanged. */
export function canonicalCidr(s: string): string {
  if (!looksIPv6(s)) return s;
  const c = parseCidr6(s);
  return c ? formatCidr6(c) : s;
}

/** An IPv6 address in canonical text; other text unchanged. */
export function canonicalIp(s: string): string {
  if (!looksIPv6(s)) return s;
  const a = parseIPv6(s);
  return a === undefined ? s : formatIPv6(a);
}
