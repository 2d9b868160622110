import { describe, expect, it } from 'vitest';
import linkDownText from '../../../../packages/scenarios/library/link-down.yaml?raw';
import { handOver, loadWorking, looksLikeScenario, saveWorking, takeHandOver, WORKING_KEY } from './handoff';
import { draftFromText } from './scenario-draft';

/** Storage as the browser has it, in memory. */
function memoryStorage(): Storage {
  const m = new Map<string, string>();
  return {
    get length() {
      return m.size;
    },
    clear: () => m.clear(),
    getItem: (k) => m.get(k) ?? null,
    key: (i) => [...m.keys()][i] ?? null,
    removeItem: (k) => void m.delete(k),
    setItem: (k, v) => void m.set(k, String(v)),
  };
}

describe('hand-over and the working draft', () => {
  it('keeps the working draft across a reload', () => {
    const s = memoryStorage();
    const draft = draftFromText(linkDownText).draft!;
    saveWorking(s, { draft, positions: { web: { x: 1, y: 2 } } });
    expect(loadWorking(s)).toEqual({ draft, positions: { web: { x: 1, y: 2 } } });
    s.setItem(WORKING_KEY, '{"draft": 3}');
    expect(loadWorking(s)).toBeUndefined();
    s.setItem(WORKING_KEY, 'not json');
    expect(loadWorking(s)).toBeUndefined();
  });

  it('hands a lab or a scenario over once', () => {
    const s = memoryStorage();
    const lab = { name: 'l', nodes: {}, links: [] };
    handOver(s, { kind: 'lab', lab });
    expect(takeHandOver(s)).toEqual({ kind: 'lab', lab });
    expect(takeHandOver(s)).toBeUndefined();
    handOver(s, { kind: 'scenario', name: 'x.yaml', text: linkDownText });
    expect(takeHandOver(s)).toMatchObject({ kind: 'scenario', name: 'x.yaml' });
  });

  it('tells a scenario file from a lab file', () => {
    expect(looksLikeScenario(linkDownText)).toBe(true);
    expect(looksLikeScenario(JSON.stringify({ id: 'x', lab: {}, checks: [] }))).toBe(true);
    expect(looksLikeScenario('name: l\nnodes: {}\nlinks: []\n')).toBe(false);
    expect(looksLikeScenario('{ broken')).toBe(false);
  });
});
