// The editor's state: the lab document being drawn, node positions, selection, undo/redo, and
// what the last apply did. One store per editor instance (created by `createEditorStore`), so
// tests and several editors on a page never share state. Every change of the document goes
// through `edit`, which records the previous document and layout for undo and re-validates with
// the same parser the server uses.
import {
  DEFAULT_MAX_BYTES,
  parseLabText,
  parseLabValue,
  type Lab,
  type Problem,
  type WhyResult,
} from '@patchbay/topology';
import { createStore, type StoreApi } from 'zustand/vanilla';
import { emptyLab, linkId, nextNodeName, removeLinks, removeNodes } from '../model/lab-edit';
import { whyHighlight, type WhyHighlight } from '../why/why-view';

export interface XY {
  x: number;
  y: number;
}

interface Snapshot {
  lab: Lab;
  positions: Record<string, XY>;
}

/** What the last apply did to each object: by node name or link id. */
export type Mark = { state: 'changed' | 'failed'; why?: string };

export interface EditorState {
  lab: Lab;
  positions: Record<string, XY>;
  selected: { nodes: string[]; links: string[] };
  /** What stops the lab from being applied. */
  problems: Problem[];
  /** What applies but is probably not meant (`severity: 'warning'`): shown, never blocking. */
  warnings: Problem[];
  past: Snapshot[];
  future: Snapshot[];
  clipboard?: Snapshot;
  marks: Record<string, Mark>;
  /**
   * Requests to fit the view to the drawing (a lab opened, "Arrange"), counted: the canvas fits
   * once its nodes are drawn and shows whether the last request is done (`data-layout`).
   */
  fitRequests: number;
  /** The Why? answer shown (the panel's text, the canvas's path), until cleared or another lab opens. */
  why?: { result: WhyResult; highlight: WhyHighlight } | undefined;

  /** Changes the document (and optionally positions) as one undoable step. */
  edit(change: (lab: Lab) => Lab, positions?: Record<string, XY>): void;
  /**
   * Runs `run` (which edits) as part of a typing session named `key`: a field commits as the user
   * types, and the edits of one session (one field, one focus) make one undo step, not one per key.
   */
  typing<T>(key: string, run: () => T): T;
  /** Positions while dragging (no undo step); `commitMove` records the step when the drag ends. */
  moveLive(positions: Record<string, XY>): void;
  commitMove(before: Record<string, XY>): void;
  /** Replaces everything (opening a lab, an import): the history starts again. */
  load(lab: Lab, positions?: Record<string, XY>): void;
  undo(): void;
  redo(): void;
  select(nodes: string[], links: string[]): void;
  selectAll(): void;
  deleteSelected(): void;
  copy(): void;
  paste(): void;
  setMarks(marks: Record<string, Mark>): void;
  /** Asks the canvas to fit the view to the drawing once it is drawn. */
  fit(): void;
  /** Shows a Why? answer on the canvas and in its panel; `undefined` clears it. */
  showWhy(result: WhyResult | undefined): void;
}

const HISTORY_LIMIT = 200;

export function validate(lab: Lab): Problem[] {
  return check(lab).problems;
}

/**
 * The problems and the warnings of a lab, as the store keeps them: what the server's parser says of
 * the lab as JSON (fields set to `undefined` left out, as in the file that is saved). The value is
 * checked as it is, not written out and read again as YAML: that parse was most of the time taken
 * to open a 1,000-node lab (bench:web). A document over the file size bound still goes through the
 * text parser, which says so.
 */
export function check(lab: Lab): { problems: Problem[]; warnings: Problem[] } {
  const text = JSON.stringify(lab);
  const r = text.length > DEFAULT_MAX_BYTES / 3 ? parseLabText(text) : parseLabValue(JSON.parse(text));
  return { problems: r.problems, warnings: r.warnings ?? [] };
}

export type EditorStore = StoreApi<EditorState>;

export function createEditorStore(initial: Lab = emptyLab(), positions: Record<string, XY> = {}): EditorStore {
  return createStore<EditorState>()((set, get) => {
    const snapshot = (): Snapshot => ({ lab: get().lab, positions: get().positions });
    const push = (past: Snapshot[], s: Snapshot) => [...past.slice(-(HISTORY_LIMIT - 1)), s];
    // The typing session an edit belongs to (set by `typing`), and that of the last edit: an edit of
    // the same session as the last one replaces its result instead of adding an undo step.
    let session: string | undefined;
    let lastSession: string | undefined;
    return {
      lab: initial,
      positions,
      selected: { nodes: [], links: [] },
      ...check(initial),
      past: [],
      future: [],
      marks: {},
      fitRequests: 0,

      edit(change, newPositions) {
        const before = snapshot();
        const lab = change(before.lab);
        if (lab === before.lab && !newPositions) return;
        const merge = session !== undefined && session === lastSession && get().past.length > 0;
        lastSession = session;
        set({
          lab,
          positions: newPositions ?? before.positions,
          ...check(lab),
          past: merge ? get().past : push(get().past, before),
          future: [],
        });
      },
      typing(key, run) {
        session = key;
        try {
          return run();
        } finally {
          session = undefined;
        }
      },
      moveLive(p) {
        set({ positions: { ...get().positions, ...p } });
      },
      commitMove(before) {
        lastSession = undefined;
        const now = get().positions;
        if (Object.keys(before).every((k) => before[k]?.x === now[k]?.x && before[k]?.y === now[k]?.y)) return;
        set({ past: push(get().past, { lab: get().lab, positions: { ...now, ...before } }), future: [] });
      },
      load(lab, p = {}) {
        lastSession = undefined;
        set({
          lab,
          positions: p,
          ...check(lab),
          past: [],
          future: [],
          selected: { nodes: [], links: [] },
          marks: {},
          why: undefined,
        });
      },
      undo() {
        const { past, future } = get();
        const prev = past[past.length - 1];
        if (!prev) return;
        lastSession = undefined;
        set({ ...prev, ...check(prev.lab), past: past.slice(0, -1), future: [snapshot(), ...future] });
      },
      redo() {
        const { past, future } = get();
        const next = future[0];
        if (!next) return;
        lastSession = undefined;
        set({ ...next, ...check(next.lab), past: push(past, snapshot()), future: future.slice(1) });
      },
      select(nodes, links) {
        set({ selected: { nodes, links } });
      },
      selectAll() {
        set({ selected: { nodes: Object.keys(get().lab.nodes), links: get().lab.links.map(linkId) } });
      },
      deleteSelected() {
        const { nodes, links } = get().selected;
        if (!nodes.length && !links.length) return;
        get().edit((lab) => removeNodes(removeLinks(lab, links), nodes));
        set({ selected: { nodes: [], links: [] } });
      },
      copy() {
        const { lab, positions, selected } = get();
        const names = new Set(selected.nodes);
        if (!names.size) return;
        const nodes = Object.fromEntries(Object.entries(lab.nodes).filter(([n]) => names.has(n)));
        const links = lab.links.filter((l) => names.has(l.a.node) && names.has(l.b.node));
        set({
          clipboard: {
            lab: { name: lab.name, nodes, links },
            positions: Object.fromEntries([...names].map((n) => [n, positions[n] ?? { x: 0, y: 0 }])),
          },
        });
      },
      paste() {
        const clip = get().clipboard;
        if (!clip) return;
        let lab = get().lab;
        const renames = new Map<string, string>();
        const positions = { ...get().positions };
        for (const [name, spec] of Object.entries(clip.lab.nodes)) {
          const fresh = Object.hasOwn(lab.nodes, name) ? nextNodeName(lab, spec.kind) : name;
          renames.set(name, fresh);
          const s =
            'host' in spec && spec.host && clip.lab.nodes[spec.host]
              ? { ...spec, host: renames.get(spec.host) ?? spec.host }
              : spec;
          lab = { ...lab, nodes: { ...lab.nodes, [fresh]: structuredClone(s) } };
          const p = clip.positions[name] ?? { x: 0, y: 0 };
          positions[fresh] = { x: p.x + 40, y: p.y + 40 };
        }
        // Pasted links keep their interface names (they are per node) but not their addresses,
        // which would clash with the originals.
        const links = clip.lab.links.map((l) => ({
          a: { node: renames.get(l.a.node)!, interface: l.a.interface },
          b: { node: renames.get(l.b.node)!, interface: l.b.interface },
        }));
        const result = { ...lab, links: [...lab.links, ...links] };
        get().edit(() => result, positions);
        set({ selected: { nodes: [...renames.values()], links: links.map(linkId) } });
      },
      setMarks(marks) {
        set({ marks });
      },
      fit() {
        set({ fitRequests: get().fitRequests + 1 });
      },
      showWhy(result) {
        set({ why: result && { result, highlight: whyHighlight(get().lab, result) } });
      },
    };
  });
}
