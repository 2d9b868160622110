// The page side of `pnpm bench:web` (bench/src/web.ts): Chromium as e2e/ launches it, a
// requestAnimationFrame recorder in the page (frame times, long tasks, pointer moves), the mouse
// paced at one move per 60 Hz frame, and the helpers that find the canvas's empty pane and read
// its viewport.
import type { Page } from 'playwright-core';
import { sleep } from './util.js';

export const STEP_MS = 1000 / 60; // one mouse move per 60 Hz frame, as a mouse reports

// As e2e/playwright.config.ts launches it.
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
}
export const dist = (xs: number[]) => ({
  n: xs.length,
  p50: pct(xs, 50),
  p95: pct(xs, 95),
  p99: pct(xs, 99),
  max: pct(xs, 100),
});
export type Dist = ReturnType<typeof dist>;
export const ms = (x: number) => (Number.isNaN(x) ? '–' : x < 10 ? x.toFixed(2) : x.toFixed(1));

// ---- the in-page recorder ----------------------------------------------------------------------

export interface Recording {
  /** performance.now() deltas between consecutive requestAnimationFrame callbacks, ms. */
  frames: number[];
  /** Main-thread tasks over 50 ms (PerformanceObserver 'longtask'), ms each. */
  longTasks: number[];
  /** pointermove events the page received. */
  moves: number;
  wallMs: number;
}

export interface Scenario {
  id: string;
  label: string;
  kind: 'editor' | 'floor';
  runs: Recording[];
  frames: Dist;
  /** Share of frames over 25 ms (a missed 60 Hz vsync: 1.5 frames). */
  missed: number;
  /** Wall time per pointer move the page handled (Playwright waits until the page took each one), ms. */
  msPerMove: number;
  fps: number;
  longTasks: number;
  moves: number;
  /** How far the dragged node(s) moved on screen, px (checks that the drag did something). */
  moved?: number;
}

export async function installRecorder(page: Page): Promise<void> {
  await page.evaluate(() => {
    type Rec = { on: boolean; last: number; frames: number[]; longTasks: number[]; moves: number; t0: number };
    const w = window as unknown as { __pbRec: Rec };
    if (w.__pbRec) return;
    const r: Rec = { on: false, last: 0, frames: [], longTasks: [], moves: 0, t0: 0 };
    w.__pbRec = r;
    new PerformanceObserver((list) => {
      if (r.on) for (const e of list.getEntries()) r.longTasks.push(e.duration);
    }).observe({ type: 'longtask', buffered: false });
    window.addEventListener('pointermove', () => r.on && r.moves++, { capture: true, passive: true });
  });
}

export async function startRecording(page: Page): Promise<void> {
  await page.evaluate(
    () =>
      new Promise<void>((resolve) => {
        const r = (
          window as unknown as {
            __pbRec: { on: boolean; last: number; frames: number[]; longTasks: number[]; moves: number; t0: number };
          }
        ).__pbRec;
        r.frames = [];
        r.longTasks = [];
        r.moves = 0;
        const tick = () => {
          if (!r.on) return;
          const t = performance.now();
          r.frames.push(t - r.last);
          r.last = t;
          requestAnimationFrame(tick);
        };
        // Start on a frame boundary, so the first delta is a whole frame.
        requestAnimationFrame(() => {
          r.on = true;
          r.last = r.t0 = performance.now();
          requestAnimationFrame(tick);
          resolve();
        });
      }),
  );
}

export async function stopRecording(page: Page): Promise<Recording> {
  return page.evaluate(() => {
    const r = (
      window as unknown as {
        __pbRec: { on: boolean; last: number; frames: number[]; longTasks: number[]; moves: number; t0: number };
      }
    ).__pbRec;
    r.on = false;
    return { frames: r.frames, longTasks: r.longTasks, moves: r.moves, wallMs: performance.now() - r.t0 };
  });
}

export function scenario(
  id: string,
  label: string,
  kind: Scenario['kind'],
  runs: Recording[],
  moved?: number,
): Scenario {
  const frames = runs.flatMap((r) => r.frames);
  const wall = runs.reduce((s, r) => s + r.wallMs, 0);
  return {
    id,
    label,
    kind,
    runs,
    frames: dist(frames),
    missed: frames.length ? frames.filter((f) => f > 25).length / frames.length : NaN,
    fps: wall ? (frames.length / wall) * 1000 : NaN,
    longTasks: runs.reduce((s, r) => s + r.longTasks.length, 0),
    moves: runs.reduce((s, r) => s + r.moves, 0),
    msPerMove: runs.reduce((s, r) => s + r.moves, 0) ? wall / runs.reduce((s, r) => s + r.moves, 0) : NaN,
    ...(moved !== undefined ? { moved } : {}),
  };
}

export type XY = { x: number; y: number };

/**
 * Moves the mouse from `from` by (dx, dy) and back in steps of one 60 Hz frame over `durationMs`, paced by
 * the clock (a dragged node ends where it started, so the layout stays as it was). `atTurn` runs at
 * the far end.
 */
export async function sweep(
  page: Page,
  from: XY,
  dx: number,
  dy: number,
  durationMs: number,
  atTurn?: () => Promise<void>,
): Promise<void> {
  const steps = Math.round(durationMs / STEP_MS);
  const half = Math.floor(steps / 2);
  let t0 = performance.now();
  for (let i = 1; i <= steps; i++) {
    const f = i <= half ? i / half : (steps - i) / (steps - half);
    await page.mouse.move(from.x + dx * f, from.y + dy * f);
    if (i === half && atTurn) {
      const t = performance.now();
      await atTurn();
      t0 += performance.now() - t;
    }
    const wait = t0 + i * STEP_MS - performance.now();
    if (wait > 0) await sleep(wait);
  }
}

/** Presses on a node, records frames while the mouse moves out and back, releases; how far the node got, px. */

/** A horizontal stretch of `length` px on the empty pane (no node, edge, control or minimap on it). */
export async function emptyPaneStretch(page: Page, length: number): Promise<XY> {
  const box = await page.getByTestId('canvas').boundingBox();
  if (!box) throw new Error('no canvas');
  const found = await page.evaluate(
    ({ box, length }) => {
      const onPane = (x: number, y: number) =>
        document.elementFromPoint(x, y)?.classList.contains('react-flow__pane') ?? false;
      for (let y = box.y + box.height - 8; y > box.y + 8; y -= 4) {
        for (let x = box.x + 8; x + length < box.x + box.width - 8; x += 10) {
          let ok = true;
          for (let s = 0; s <= length && ok; s += 5) ok = onPane(x + s, y);
          if (ok) return { x, y };
        }
      }
      return undefined;
    },
    { box, length },
  );
  if (!found) throw new Error(`no empty stretch of ${length} px on the pane`);
  return found;
}

/** Waits (up to 5 s) until `n` nodes show as selected; how many do. */
export async function viewportTransform(page: Page): Promise<string> {
  return page.locator('.react-flow__viewport').evaluate((e) => (e as HTMLElement).style.transform);
}

/**
 * Links drawn: React Flow's edges in the DOM, or zoomed out (below the app's DETAIL_ZOOM) the
 * segments of the canvas's compact link paths, one `M` each.
 */
export async function linksDrawn(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      document.querySelectorAll('.react-flow__edge').length +
      [...document.querySelectorAll('[data-testid="compact-links"] path')].reduce(
        (n, p) => n + (p.getAttribute('d')?.split('M').length ?? 1) - 1,
        0,
      ),
  );
}
