import { beforeEach, describe, expect, it } from 'vitest';
import {
  forgetLab,
  getLabToken,
  getToken,
  joinedLabFor,
  joinRecord,
  joinedLabs,
  labTokenKey,
  rememberJoin,
  rememberJoinCode,
  setToken,
  tokenForLab,
} from './token';

// The tests run in node: a localStorage of our own.
const data = new Map<string, string>();
Object.assign(globalThis, {
  localStorage: {
    getItem: (k: string) => data.get(k) ?? null,
    setItem: (k: string, v: string) => void data.set(k, String(v)),
    removeItem: (k: string) => void data.delete(k),
    clear: () => data.clear(),
    key: (i: number) => [...data.keys()][i] ?? null,
    get length() {
      return data.size;
    },
  },
});

describe('tokens per lab', () => {
  beforeEach(() => data.clear());

  it("keeps a student's token beside the instructor's, never over it", () => {
    setToken('admin');
    rememberJoin('pb-lab-1', 'student-1', { name: 'Ann', session: 's', student: 'a' });
    expect(getToken()).toBe('admin');
    expect(getLabToken('pb-lab-1')).toBe('student-1');
    expect(data.get(labTokenKey('pb-lab-1'))).toBe('student-1');
    expect(labTokenKey('x')).toBe('patchbay.token.lab.x');
  });

  it('uses the lab token for its lab, the page token for others', () => {
    setToken('admin');
    rememberJoin('a', 'ta', { name: 'Ann', session: 's', student: '1' });
    rememberJoin('b', 'tb', { name: 'Bob', session: 's', student: '2' });
    expect(tokenForLab('a')).toBe('ta');
    expect(tokenForLab('b')).toBe('tb');
    expect(tokenForLab('c')).toBe('admin');
    data.delete('patchbay.token');
    expect(tokenForLab('c')).toBeNull();
  });

  it('remembers who joined, and forgets a lab entirely', () => {
    rememberJoin('a', 'ta', { name: 'Ann', session: 's', student: '1' });
    expect(joinRecord('a')).toEqual({ name: 'Ann', session: 's', student: '1' });
    forgetLab('a');
    expect(getLabToken('a')).toBeNull();
    expect(joinRecord('a')).toBeUndefined();
  });

  it('treats a damaged record as none', () => {
    data.set('patchbay.join.lab.a', '{not json');
    expect(joinRecord('a')).toBeUndefined();
    data.set('patchbay.join.lab.a', '{"name":1}');
    expect(joinRecord('a')).toBeUndefined();
  });

  it('remembers which lab a join code led to, while its token is kept', () => {
    data.clear();
    expect(joinedLabFor('ABC123')).toBeUndefined();
    rememberJoin('sabc123-01', 'tok', { name: 'Ann', session: 's', student: '1' });
    rememberJoinCode('abc123', 'sabc123-01');
    expect(joinedLabFor('ABC123')).toEqual({ lab: 'sabc123-01', record: { name: 'Ann', session: 's', student: '1' } });
    forgetLab('sabc123-01');
    expect(joinedLabFor('ABC123')).toBeUndefined();
  });

  it('lists the labs this browser joined, and not the instructor token', () => {
    setToken('admin');
    expect(joinedLabs()).toEqual([]);
    rememberJoin('b-02', 'tb', { name: 'Bo', session: 's', student: 'b' });
    rememberJoin('a-01', 'ta', { name: 'Ada', session: 's', student: 'a' });
    expect(joinedLabs()).toEqual(['a-01', 'b-02']);
    forgetLab('a-01');
    expect(joinedLabs()).toEqual(['b-02']);
  });
});
