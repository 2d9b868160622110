import { describe, expect, it } from 'vitest';
import { parseConcatenatedJson } from './json.js';

describe('parseConcatenatedJson', () => {
  it('splits arrays printed back to back', () => {
    expect(parseConcatenatedJson('[{"a":1}][][{"b":[1,2]}]')).toEqual([[{ a: 1 }], [], [{ b: [1, 2] }]]);
  });
  it('accepts whitespace and newlines between values', () => {
    expect(parseConcatenatedJson(' [1]\n\n [2] \n{"x":{}}\n')).toEqual([[1], [2], { x: {} }]);
  });
  it('ignores brackets and escaped quotes inside strings', () => {
    const text = '[{"s":"a]b[c}{"}][{"t":"q\\"]\\\\"}]';
    expect(parseConcatenatedJson(text)).toEqual([[{ s: 'a]b[c}{' }], [{ t: 'q"]\\' }]]);
  });
  it('handles scalars and top-level strings', () => {
    expect(parseConcatenatedJson('1 true null "x]" [3]')).toEqual([1, true, null, 'x]', [3]]);
  });
  it('returns [] for empty input', () => {
    expect(parseConcatenatedJson('')).toEqual([]);
    expect(parseConcatenatedJson(' \n')).toEqual([]);
  });
  it('throws on truncated or malformed input', () => {
    expect(() => parseConcatenatedJson('[1][2')).toThrow(/truncated/);
    expect(() => parseConcatenatedJson('[1]]')).toThrow();
    expect(() => parseConcatenatedJson('[1,]')).toThrow(/invalid JSON/);
  });
  it('parses real iproute2 batch output', () => {
    const text =
      '[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP"],"ifalias":"patchbay:v1:pb-:lab:a"}]\n' +
      '[{"type":"unicast","dst":"default","gateway":"10.0.0.2","dev":"eth0","flags":[]}]\n[]\n[{"nsid":0,"name":"pb-lab.b"}]\n';
    const v = parseConcatenatedJson(text);
    expect(v).toHaveLength(4);
    expect(v[3]).toEqual([{ nsid: 0, name: 'pb-lab.b' }]);
  });
});
