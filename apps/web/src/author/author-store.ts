// The authoring page's state: the draft, its problems (re-parsed after every edit), undo/redo, and
// which field a click on the canvas fills. Typing in one field makes one undo step, not one per key:
// edits with the same `coalesce` key within a second replace the last step instead of adding one.
import type { Problem } from '@patchbay/scenarios';
import { createStore, type StoreApi } from 'zustand/vanilla';
import { draftProblems, fillFromCanvas, type PickTarget, type ScenarioDraft } from './scenario-draft';

export interface AuthorState {
  draft: ScenarioDraft;
  problems: Problem[];
  past: ScenarioDraft[];
  future: ScenarioDraft[];
  /** The field the next click on a canvas node fills, if any. */
  pick?: PickTarget;
  /** Why the last canvas click filled nothing (a bridge for a `from`, a node without address…). */
  pickNote?: string;
  edit(change: (d: ScenarioDraft) => ScenarioDraft, coalesce?: string): void;
  /** Replaces the draft (open, import, built-in): history starts again. */
  load(d: ScenarioDraft): void;
  undo(): void;
  redo(): void;
  setPick(t: PickTarget | undefined): void;
  /** A node was clicked on the canvas: fills the active field; true when something was filled. */
  pickNode(node: string): boolean;
}

export type AuthorStore = StoreApi<AuthorState>;

const HISTORY_LIMIT = 200;
const COALESCE_MS = 1000;

export function createAuthorStore(initial: ScenarioDraft, now: () => number = Date.now): AuthorStore {
  let last: { key: string; at: number } | undefined;
  return createStore<AuthorState>()((set, get) => ({
    draft: initial,
    problems: draftProblems(initial),
    past: [],
    future: [],

    edit(change, coalesce) {
      const before = get().draft;
      const draft = change(before);
      if (draft === before) return;
      const t = now();
      const merge =
        coalesce !== undefined && last?.key === coalesce && t - last.at < COALESCE_MS && get().past.length > 0;
      last = coalesce !== undefined ? { key: coalesce, at: t } : undefined;
      const past = merge ? get().past : [...get().past.slice(-(HISTORY_LIMIT - 1)), before];
      set({ draft, problems: draftProblems(draft), past, future: [] });
    },
    load(draft) {
      last = undefined;
      set({ draft, problems: draftProblems(draft), past: [], future: [], pick: undefined, pickNote: undefined });
    },
    undo() {
      const { past, future, draft } = get();
      const prev = past[past.length - 1];
      if (!prev) return;
      last = undefined;
      set({ draft: prev, problems: draftProblems(prev), past: past.slice(0, -1), future: [draft, ...future] });
    },
    redo() {
      const { past, future, draft } = get();
      const next = future[0];
      if (!next) return;
      last = undefined;
      set({ draft: next, problems: draftProblems(next), past: [...past, draft], future: future.slice(1) });
    },
    setPick(pick) {
      set({ pick, pickNote: undefined });
    },
    pickNode(node) {
      const target = get().pick;
      if (!target) return false;
      const { draft, note } = fillFromCanvas(get().draft, target, node);
      if (note) {
        set({ pickNote: note });
        return false;
      }
      get().edit(() => draft);
      set({ pick: undefined, pickNote: undefined });
      return true;
    },
  }));
}
