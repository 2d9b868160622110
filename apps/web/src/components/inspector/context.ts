// The inspector's context: the store, the problems, and a per-instance prefix for element ids
// (`<prefix><path>`), so a problem can focus the field it is about.
import type { Lab, Problem } from '@patchbay/topology';
import { createContext, useContext } from 'react';
import type { EditorStore } from '../../store/editor';
import type { LiveStore } from '../../store/live';
import { pathAncestors } from '../inspector-model';

export interface Ctx {
  store: EditorStore;
  problems: Problem[];
  idp: string;
  /** The running lab's kernel state (the interfaces' MACs), where the page has it. */
  live?: LiveStore | undefined;
}
export const InspectorContext = createContext<Ctx | null>(null);

export function useCtx(): Ctx {
  const ctx = useContext(InspectorContext);
  if (!ctx) throw new Error('inspector fields must be used inside <Inspector>');
  return ctx;
}

export function useEdit(): (change: (lab: Lab) => Lab) => void {
  const { store } = useCtx();
  return (change) => store.getState().edit(change);
}

/** Focuses the field for `path` (or its nearest ancestor that has one), after the next render. */
export function focusPath(idp: string, path: string): void {
  requestAnimationFrame(() =>
    requestAnimationFrame(() => {
      for (const p of pathAncestors(path)) {
        const el = document.getElementById(idp + p);
        if (el) {
          el.focus();
          el.scrollIntoView?.({ block: 'nearest' });
          return;
        }
      }
    }),
  );
}
