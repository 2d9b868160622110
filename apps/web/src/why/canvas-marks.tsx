// The Why? answer on the canvas, for the node and edge views React Flow renders: each looks up its own
// mark in the editor store's answer (so only what the answer touches renders again), and draws it —
// the request's order on its nodes, the reply's where it differs, the dead hop in red with its reason
// and fix, and a halo along the edges the packet takes (dashed where only the reply does).
import { useStore } from 'zustand';
import { useEditorStore } from '../components/editor-context';
import { REASON_WORDS, deadHopText } from './why-format';
import type { WhyEdgeRole, WhyNodeMark } from './why-view';
import './why.css';

export function useWhyNode(name: string): WhyNodeMark | undefined {
  return useStore(useEditorStore(), (s) => s.why?.highlight.nodes[name]);
}

export function useWhyEdge(id: string): WhyEdgeRole | undefined {
  return useStore(useEditorStore(), (s) => s.why?.highlight.edges[id]);
}

/** The node's class for its mark: on the request's path, on the reply's only, where it dies. */
export function whyNodeClass(mark: WhyNodeMark | undefined): string {
  if (!mark) return '';
  return [mark.forward.length ? 'why-forward' : mark.reply.length ? 'why-reply' : '', mark.dead ? 'why-dead' : '']
    .filter(Boolean)
    .join(' ');
}

/** The node's step numbers (the reply's only where the request did not pass) and its dead-hop marker. */
export function WhyNodeBadges({ name, mark }: { name: string; mark: WhyNodeMark }) {
  const steps = mark.forward.length
    ? mark.forward.map((n) => ({ key: `f${n}`, text: String(n), title: `step ${n} of the request` }))
    : mark.reply.map((n) => ({ key: `r${n}`, text: `↩${n}`, title: `step ${n} of the reply` }));
  return (
    <>
      {steps.map((s) => (
        <span key={s.key} className="badge why-step" title={s.title} data-testid={`why-step-${name}`}>
          {s.text}
        </span>
      ))}
      {mark.dead && (
        <span className="badge danger why-dead-badge" data-testid={`why-dead-${name}`} title={mark.dead.detail}>
          ✕ {mark.dead.reason}
        </span>
      )}
    </>
  );
}

/** Below the dead hop: why it dies there and the fix, readable without hovering. */
export function WhyDeadNote({ name, mark }: { name: string; mark: WhyNodeMark }) {
  const dead = mark.dead;
  if (!dead) return null;
  return (
    <div className="pb-why-note nodrag" data-testid={`why-note-${name}`}>
      <strong>
        {dead.reason}: {REASON_WORDS[dead.reason]}
      </strong>
      <div>
        {deadHopText(dead)}: {dead.detail}
      </div>
      {dead.fix && <div className="pb-why-fix">Fix: {dead.fix}</div>}
    </div>
  );
}

/** A halo under an edge the answer's path takes; drawn before the edge, so the live colours stay visible. */
export function WhyEdgeHalo({ id, path }: { id: string; path: string }) {
  const role = useWhyEdge(id);
  if (!role) return null;
  return <path d={path} className={`pb-why-halo why-${role}`} data-testid={`why-edge-${id}`} data-why={role} />;
}
