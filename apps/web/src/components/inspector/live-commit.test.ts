import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { addNode, connect, emptyLab } from '../../model/lab-edit';
import { createEditorStore } from '../../store/editor';
import { LIVE_COMMIT_MS, liveCommit, typingSession } from './live-commit';

describe('a field commits as the user types (issue 13)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('commits the last text once typing pauses, at most 150 ms after the last key', () => {
    const commits: string[] = [];
    const live = liveCommit((t) => commits.push(t));
    expect(LIVE_COMMIT_MS).toBeLessThanOrEqual(150);
    live.input('10.0.0');
    vi.advanceTimersByTime(LIVE_COMMIT_MS - 1);
    live.input('10.0.0.5/24');
    vi.advanceTimersByTime(LIVE_COMMIT_MS - 1);
    expect(commits).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(commits).toEqual(['10.0.0.5/24']);
    live.input('10.0.0.6/24');
    expect(live.flush()).toBe(true);
    expect(live.flush()).toBe(false);
    live.input('dropped');
    live.cancel();
    vi.advanceTimersByTime(1000);
    expect(commits).toEqual(['10.0.0.5/24', '10.0.0.6/24']);
  });

  it('makes the problems current at each commit, and one focus of a field one undo step', () => {
    let lab = addNode(addNode(emptyLab('t'), 'netns'), 'netns');
    lab = connect(lab, 'ns1', 'ns2').lab;
    const s = createEditorStore(lab);
    const setAddress = (t: string) =>
      s.getState().edit((l) => ({
        ...l,
        links: l.links.map((k, i) => (i === 0 ? { ...k, a: { ...k.a, addresses: [t] } } : k)),
      }));
    const session = typingSession('links[0].a.addresses[0]');
    s.getState().typing(session, () => setAddress('10.0.0.'));
    expect(s.getState().problems.map((p) => p.path)).toEqual(['links[0].a.addresses[0]']);
    s.getState().typing(session, () => setAddress('10.0.0.9/24'));
    expect(s.getState().problems).toEqual([]);
    expect(s.getState().past).toHaveLength(1);
    // Another focus (or any other edit) starts a new step.
    s.getState().typing(typingSession('links[0].a.addresses[0]'), () => setAddress('10.0.0.8/24'));
    expect(s.getState().past).toHaveLength(2);
    s.getState().undo();
    expect(s.getState().lab.links[0]!.a.addresses).toEqual(['10.0.0.9/24']);
    s.getState().undo();
    expect(s.getState().lab.links[0]!.a.addresses).toEqual(['10.0.0.1/24']);
  });

  it('keeps warnings apart from problems: they do not count against Apply', () => {
    let lab = emptyLab('w');
    for (const k of ['bridge', 'bridge', 'router'] as const) lab = addNode(lab, k);
    lab = connect(lab, 'r1', 'br0').lab;
    lab = connect(lab, 'r1', 'br1').lab;
    const s = createEditorStore(lab);
    expect(s.getState().warnings).toEqual([]);
    s.getState().edit((l) => ({
      ...l,
      links: l.links.map((k, i) => (i === 1 ? { ...k, a: { ...k.a, addresses: ['192.168.100.9/24'] } } : k)),
    }));
    expect(s.getState().problems).toEqual([]);
    expect(s.getState().warnings.map((w) => `${w.path} ${w.code}`)).toEqual([
      'links[1].a.addresses[0] addr.subnet-overlap',
    ]);
  });
});
