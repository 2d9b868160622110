import { describe, expect, it } from 'vitest';
import { addNode, connect } from '../model/lab-edit';
import { chainLab, replyLost } from '../why/why-fixtures';
import { createEditorStore } from './editor';

describe('editor store', () => {
  it('undoes and redoes edits and moves, and a new edit drops the redo stack', () => {
    const s = createEditorStore();
    s.getState().edit((l) => addNode(l, 'netns'), { ns1: { x: 0, y: 0 } });
    s.getState().edit((l) => addNode(l, 'bridge'));
    expect(Object.keys(s.getState().lab.nodes)).toEqual(['ns1', 'br0']);
    const before = { ns1: { x: 0, y: 0 } };
    s.getState().moveLive({ ns1: { x: 50, y: 60 } });
    s.getState().commitMove(before);
    s.getState().undo();
    expect(s.getState().positions['ns1']).toEqual({ x: 0, y: 0 });
    s.getState().undo();
    expect(Object.keys(s.getState().lab.nodes)).toEqual(['ns1']);
    s.getState().redo();
    expect(Object.keys(s.getState().lab.nodes)).toEqual(['ns1', 'br0']);
    s.getState().edit((l) => addNode(l, 'router'));
    expect(s.getState().future).toEqual([]);
  });

  it('counts requests to fit the view, across loads, and keeps them out of the undo history', () => {
    const s = createEditorStore();
    expect(s.getState().fitRequests).toBe(0);
    s.getState().load(addNode(s.getState().lab, 'netns'), { ns1: { x: 0, y: 0 } });
    s.getState().fit();
    s.getState().fit();
    expect(s.getState().fitRequests).toBe(2);
    expect(s.getState().past).toEqual([]);
    s.getState().load(s.getState().lab);
    expect(s.getState().fitRequests).toBe(2);
  });

  it("validates with the server's parser on every edit", () => {
    const s = createEditorStore();
    s.getState().edit((l) => ({
      ...l,
      nodes: { a: { kind: 'netns', routes: [{ to: 'default', via: '999.1.1.1' }] } },
    }));
    expect(s.getState().problems.map((p) => p.path)).toContain('nodes.a.routes[0].via');
    s.getState().undo();
    expect(s.getState().problems).toEqual([]);
  });

  it('deletes the selection, and copies and pastes nodes with their links under fresh names', () => {
    const s = createEditorStore();
    s.getState().edit((l) => connect(addNode(addNode(l, 'netns'), 'netns'), 'ns1', 'ns2').lab, {
      ns1: { x: 0, y: 0 },
      ns2: { x: 100, y: 0 },
    });
    s.getState().selectAll();
    s.getState().copy();
    s.getState().paste();
    const { lab, positions, selected } = s.getState();
    expect(Object.keys(lab.nodes)).toEqual(['ns1', 'ns2', 'ns3', 'ns4']);
    expect(lab.links[1]).toEqual({ a: { node: 'ns3', interface: 'eth0' }, b: { node: 'ns4', interface: 'eth0' } });
    expect(positions['ns3']).toEqual({ x: 40, y: 40 });
    expect(selected.nodes).toEqual(['ns3', 'ns4']);
    s.getState().deleteSelected();
    expect(Object.keys(s.getState().lab.nodes)).toEqual(['ns1', 'ns2']);
    expect(s.getState().lab.links).toHaveLength(1);
  });

  it('keeps a Why? answer with its canvas marks until it is cleared or another lab opens', () => {
    const s = createEditorStore(chainLab);
    s.getState().showWhy(replyLost);
    expect(s.getState().why?.result).toBe(replyLost);
    expect(s.getState().why?.highlight.nodes['b']?.dead?.reason).toBe('no-route');
    s.getState().showWhy(undefined);
    expect(s.getState().why).toBeUndefined();
    s.getState().showWhy(replyLost);
    s.getState().load(chainLab);
    expect(s.getState().why).toBeUndefined();
  });
});
