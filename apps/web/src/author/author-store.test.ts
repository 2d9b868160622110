import { describe, expect, it } from 'vitest';
import linkDownText from '../../../../packages/scenarios/library/link-down.yaml?raw';
import { createAuthorStore } from './author-store';
import { addCheck, draftFromText, setCheckField } from './scenario-draft';

const linkDown = () => draftFromText(linkDownText).draft!;

describe('author store', () => {
  it('re-parses after every edit and undoes and redoes whole edits', () => {
    const s = createAuthorStore(linkDown());
    expect(s.getState().problems).toEqual([]);
    s.getState().edit((d) => addCheck(d, 'sysctl').draft);
    expect(s.getState().problems.map((p) => p.path)).toEqual(
      expect.arrayContaining(['checks[3].node', 'checks[3].key', 'checks[3].value']),
    );
    s.getState().undo();
    expect(s.getState().draft.checks).toHaveLength(3);
    expect(s.getState().problems).toEqual([]);
    s.getState().redo();
    expect(s.getState().draft.checks).toHaveLength(4);
  });

  it('makes one undo step of typing in one field', () => {
    let t = 0;
    const s = createAuthorStore(linkDown(), () => t);
    for (const title of ['A', 'Ab', 'Abc']) {
      t += 100;
      s.getState().edit((d) => ({ ...d, title }), 'title');
    }
    t += 5000;
    s.getState().edit((d) => ({ ...d, title: 'Abcd' }), 'title');
    expect(s.getState().past).toHaveLength(2);
    s.getState().undo();
    expect(s.getState().draft.title).toBe('Abc');
    s.getState().undo();
    expect(s.getState().draft.title).toBe('Network is unreachable: an interface left down');
  });

  it('fills the active field from a canvas click, then stops picking', () => {
    const s = createAuthorStore(addCheck(linkDown(), 'neighbor').draft);
    expect(s.getState().pickNode('web')).toBe(false); // nothing active
    s.getState().setPick({ list: 'checks', index: 3, path: 'node', kind: 'node' });
    expect(s.getState().pickNode('web')).toBe(true);
    expect(s.getState().draft.checks[3]!.node).toBe('web');
    expect(s.getState().pick).toBeUndefined();
    // A click that cannot fill says why and keeps the field active.
    s.getState().setPick({ list: 'checks', index: 3, path: 'ip', kind: 'ipv4' });
    s.getState().edit((d) => ({ ...d, lab: { ...d.lab, nodes: { ...d.lab.nodes, lonely: { kind: 'netns' } } } }));
    expect(s.getState().pickNode('lonely')).toBe(false);
    expect(s.getState().pickNote).toMatch(/no address/);
    expect(s.getState().pick).toBeDefined();
    s.getState().pickNode('db');
    expect(s.getState().draft.checks[3]!.ip).toBe('192.168.100.20');
  });

  it('starts history again on load', () => {
    const s = createAuthorStore(linkDown());
    s.getState().edit((d) => setCheckField(d, 0, 'title', 'x'));
    s.getState().load(linkDown());
    expect(s.getState().past).toEqual([]);
    expect(s.getState().draft.checks[0]!.title).toBe("db's eth0 is up");
  });
});
