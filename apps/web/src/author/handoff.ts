// How the authoring page gets its scenario: the working draft kept in localStorage (a reload loses
// nothing), and what the editor hands over in sessionStorage when it opens /author ("Make
// exercise" with the lab on its canvas, or a scenario file imported through its Open dialog).
import type { Lab } from '@patchbay/topology';
import { parse as parseYaml } from 'yaml';
import type { ScenarioDraft } from './scenario-draft';

type XY = { x: number; y: number };

export const WORKING_KEY = 'patchbay.author.working';
export const HANDOFF_KEY = 'patchbay.author.handoff';

/** What the editor hands the authoring page. */
export type Handoff =
  | { kind: 'lab'; lab: Lab; positions?: Record<string, XY> }
  | { kind: 'scenario'; name: string; text: string };

export interface Working {
  draft: ScenarioDraft;
  positions: Record<string, XY>;
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function read(storage: Storage, key: string): unknown {
  try {
    const raw = storage.getItem(key);
    return raw ? (JSON.parse(raw) as unknown) : undefined;
  } catch {
    return undefined;
  }
}

export function saveWorking(storage: Storage, w: Working): void {
  try {
    storage.setItem(WORKING_KEY, JSON.stringify(w));
  } catch {
    // Storage full or disabled: the page still works, a reload then starts from the hand-over.
  }
}

export function loadWorking(storage: Storage): Working | undefined {
  const w = read(storage, WORKING_KEY);
  if (!isMap(w) || !isMap(w.draft) || !isMap(w.draft.lab) || !Array.isArray(w.draft.checks)) return undefined;
  return {
    draft: w.draft as unknown as ScenarioDraft,
    positions: isMap(w.positions) ? (w.positions as Record<string, XY>) : {},
  };
}

export function handOver(storage: Storage, h: Handoff): void {
  storage.setItem(HANDOFF_KEY, JSON.stringify(h));
}

/** The hand-over, once: it is removed as it is read, so a reload shows the working draft. */
export function takeHandOver(storage: Storage): Handoff | undefined {
  const h = peekHandOver(storage);
  storage.removeItem(HANDOFF_KEY);
  return h;
}

/** The hand-over, left in place (for a React state initializer, which may run twice). */
export function peekHandOver(storage: Storage): Handoff | undefined {
  const h = read(storage, HANDOFF_KEY);
  if (!isMap(h)) return undefined;
  if (h.kind === 'lab' && isMap(h.lab))
    return {
      kind: 'lab',
      lab: h.lab as unknown as Lab,
      ...(isMap(h.positions) ? { positions: h.positions as Record<string, XY> } : {}),
    };
  if (h.kind === 'scenario' && typeof h.text === 'string')
    return { kind: 'scenario', name: typeof h.name === 'string' ? h.name : 'scenario.yaml', text: h.text };
  return undefined;
}

/** Whether a file the editor was asked to open is a scenario (it has `checks` and a `lab`), not a lab. */
export function looksLikeScenario(text: string): boolean {
  let raw: unknown;
  try {
    raw = text.trimStart().startsWith('{') ? JSON.parse(text) : parseYaml(text);
  } catch {
    return false;
  }
  return isMap(raw) && 'checks' in raw && 'lab' in raw;
}
