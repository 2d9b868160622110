// `pnpm bench:web`: does a 300-node lab stay interactive in the web editor? The real server runs in
// this process (prefix `pbwb-`, a temporary data folder, a fixed token) and serves the built app
// (apps/web/dist, `pnpm build`); Debian's Chromium (headless, as in e2e/) opens a 300-node DRAFT
// and Playwright drags nodes with the mouse while a requestAnimationFrame recorder in the page
// records frame times. Nothing is applied, so nothing is created in the kernel. Next to the
// editor's figures, the same recorder on the same page with no React Flow work (idle, and the mouse
// moving over the empty pane) shows this browser's own frame floor on this machine.
//   --quick    shorter drags, fewer of them; the doc is not written
//   --profile  also records a Chrome trace and a CPU profile of one single-node drag and prints
//              where the main thread's time goes (bench/results/web-trace.json)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Engine } from '@patchbay/engine';
import { buildApp, openStore } from '@patchbay/server';
import { parseLabText } from '@patchbay/topology';
import { machineFacts } from './report.js';
import { ROOT, sleep, writeBenchSection } from './util.js';

const PREFIX = 'pbwb-';
const TOKEN = 'bench-web-token-0123456789abcdef';
const LAB = 'web300';
const quick = process.argv.includes('--quick');
const profile = process.argv.includes('--profile');
const DRAG_MS = quick ? 1500 : 3000;
const STEP_MS = 1000 / 60; // one mouse move per 60 Hz frame, as a mouse reports
const SINGLE_DRAGS = quick ? 2 : 4;
const TARGET_P95_MS = 16;
const VIEWPORT = { width: 1400, height: 900 };
// As e2e/playwright.config.ts launches it.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

// The lab: BRIDGES bridges, each with PER namespaces on it (eth0 in the bridge's /24).
const BRIDGES = 20;
const PER = 14;
const two = (i: number) => String(i).padStart(2, '0');
const bridgeName = (b: number) => `br${two(b)}`;
const nsName = (b: number, k: number) => `n${two(b)}-${two(k)}`;

function labDocument(): { document: Record<string, unknown>; positions: Record<string, { x: number; y: number }> } {
  const nodes: Record<string, unknown> = {};
  const links: unknown[] = [];
  const positions: Record<string, { x: number; y: number }> = {};
  for (let b = 0; b < BRIDGES; b++) {
    nodes[bridgeName(b)] = { kind: 'bridge' };
    positions[bridgeName(b)] = { x: b * 200, y: 0 };
    for (let k = 0; k < PER; k++) {
      nodes[nsName(b, k)] = { kind: 'netns' };
      positions[nsName(b, k)] = { x: b * 200, y: (k + 1) * 100 };
      // Bridge ports are named after both ends: unique in the lab, 6 characters.
      links.push({
        a: { node: nsName(b, k), interface: 'eth0', addresses: [`10.30.${b}.${k + 1}/24`] },
        b: { node: bridgeName(b), interface: `v${two(b)}-${two(k)}` },
      });
    }
  }
  const document = { name: LAB, nodes, links };
  const parsed = parseLabText(JSON.stringify(document));
  if (!parsed.lab || parsed.problems.length) {
    throw new Error(
      `the benchmark's lab has problems:\n${parsed.problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`,
    );
  }
  const n = Object.keys(parsed.lab.nodes).length;
  if (n !== BRIDGES * (PER + 1) || parsed.lab.links.length !== BRIDGES * PER)
    throw new Error(`expected 300 nodes and 280 links, got ${n} and ${parsed.lab.links.length}`);
  return { document, positions };
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
}
const dist = (xs: number[]) => ({
  n: xs.length,
  p50: pct(xs, 50),
  p95: pct(xs, 95),
  p99: pct(xs, 99),
  max: pct(xs, 100),
});
type Dist = ReturnType<typeof dist>;
const ms = (x: number) => (Number.isNaN(x) ? '–' : x < 10 ? x.toFixed(2) : x.toFixed(1));

// ---- the in-page recorder ----------------------------------------------------------------------

interface Recording {
  /** performance.now() deltas between consecutive requestAnimationFrame callbacks, ms. */
  frames: number[];
  /** Main-thread tasks over 50 ms (PerformanceObserver 'longtask'), ms each. */
  longTasks: number[];
  /** pointermove events the page received. */
  moves: number;
  wallMs: number;
}

interface Scenario {
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

async function installRecorder(page: Page): Promise<void> {
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

async function startRecording(page: Page): Promise<void> {
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

async function stopRecording(page: Page): Promise<Recording> {
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

function scenario(id: string, label: string, kind: Scenario['kind'], runs: Recording[], moved?: number): Scenario {
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

// ---- driving the editor ---------------------------------------------------------------------------

type XY = { x: number; y: number };

async function centerOf(page: Page, node: string): Promise<XY> {
  const box = await page.getByTestId(`node-${node}`).boundingBox();
  if (!box) throw new Error(`node ${node} is not on screen`);
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/**
 * Moves the mouse from `from` by (dx, dy) and back in steps of one 60 Hz frame over DRAG_MS, paced by
 * the clock (a dragged node ends where it started, so the layout stays as it was). `atTurn` runs at
 * the far end.
 */
async function sweep(page: Page, from: XY, dx: number, dy: number, atTurn?: () => Promise<void>): Promise<void> {
  const steps = Math.round(DRAG_MS / STEP_MS);
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
async function dragNode(page: Page, node: string, dx: number, dy: number): Promise<{ rec: Recording; moved: number }> {
  const from = await centerOf(page, node);
  const view = await viewportTransform(page);
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await startRecording(page);
  let moved = 0;
  await sweep(page, from, dx, dy, async () => {
    const to = await centerOf(page, node);
    moved = Math.hypot(to.x - from.x, to.y - from.y);
  });
  const rec = await stopRecording(page);
  await page.mouse.up();
  await sleep(300);
  // Near the canvas's edge React Flow pans the view while dragging: that would measure something else.
  if ((await viewportTransform(page)) !== view)
    throw new Error(`the view panned while dragging ${node}: start it further from the canvas's edge`);
  return { rec, moved };
}

/** A horizontal stretch of `length` px on the empty pane (no node, edge, control or minimap on it). */
async function emptyPaneStretch(page: Page, length: number): Promise<XY> {
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
async function selectedCount(page: Page, n: number): Promise<number> {
  let count = 0;
  for (let i = 0; i < 50 && count !== n; i++) {
    if (i) await sleep(100);
    count = await page.locator('.react-flow__node.selected').count();
  }
  return count;
}

async function viewportTransform(page: Page): Promise<string> {
  return page.locator('.react-flow__viewport').evaluate((e) => (e as HTMLElement).style.transform);
}

// ---- the run --------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const webDist = join(ROOT, 'apps/web/dist/index.html');
  if (!existsSync(webDist)) throw new Error('apps/web is not built: run `pnpm build` first');
  const { document: labDoc, positions } = labDocument();
  const dataDir = mkdtempSync(join(tmpdir(), 'patchbay-bench-web-'));
  const engine = new Engine({ prefix: PREFIX, dataDir });
  const db = openStore(dataDir);
  // 300 nodes: over the server's default document bound (200 nodes), raised as an instructor would
  const app = await buildApp({
    engine,
    store: db,
    adminToken: TOKEN,
    limits: { documentMaxNodes: 400, documentMaxLinks: 800, documentMaxYamlBytes: 256 * 1024 },
  });
  let browser: Browser | undefined;
  const started = new Date();
  try {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const addr = app.server.address();
    const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    const put = await fetch(`${url}/api/drafts/${LAB}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ document: labDoc, layout: { positions } }),
    });
    if (!put.ok) throw new Error(`PUT /api/drafts/${LAB}: ${put.status} ${await put.text()}`);

    browser = await chromium.launch({
      executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_ARGS,
    });
    const page = await browser.newPage({ viewport: VIEWPORT });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const tOpen = performance.now();
    await page.goto(`${url}/?token=${TOKEN}#lab=${LAB}`);
    await page.getByTestId('lab-name').filter({ hasText: LAB }).waitFor();
    await page.getByTestId(`node-${nsName(BRIDGES - 1, PER - 1)}`).waitFor();
    // The app fits the view when a lab is opened: wait until the viewport stops changing.
    let before = '';
    for (let i = 0; i < 50; i++) {
      const t = await viewportTransform(page);
      if (t && t === before) break;
      before = t;
      await sleep(200);
    }
    const openMs = performance.now() - tOpen;
    const rendered = await page.locator('.react-flow__node').count();
    const edgesRendered = await page.locator('.react-flow__edge').count();
    const zoom = Number(/scale\(([\d.]+)\)/.exec(before)?.[1] ?? NaN);
    const canvasBox = (await page.getByTestId('canvas').boundingBox())!;
    const nodeBox = (await page.getByTestId(`node-${nsName(0, 0)}`).boundingBox())!;
    console.log(
      `opened in ${openMs.toFixed(0)} ms: ${rendered} nodes and ${edgesRendered} edges rendered, zoom ${zoom.toFixed(3)}, canvas ${canvasBox.width.toFixed(0)}×${canvasBox.height.toFixed(0)} px, a node ${nodeBox.width.toFixed(0)}×${nodeBox.height.toFixed(0)} px`,
    );
    if (pageErrors.length) throw new Error(`the page failed: ${pageErrors.join('; ')}`);
    await installRecorder(page);
    await sleep(500);

    const scenarios: Scenario[] = [];
    const idleMs = quick ? 2000 : 3000;

    console.log('idle…');
    await startRecording(page);
    await sleep(idleMs);
    scenarios.push(
      scenario('idle', 'idle: nothing happens (the recorder alone)', 'floor', [await stopRecording(page)]),
    );

    console.log('mouse over the empty pane…');
    const stretch = await emptyPaneStretch(page, 200);
    await page.mouse.move(stretch.x, stretch.y);
    await startRecording(page);
    await sweep(page, stretch, 200, 0);
    scenarios.push(
      scenario('hover', 'the mouse moves over the empty pane (no button: events, no React Flow update)', 'floor', [
        await stopRecording(page),
      ]),
    );

    // Single nodes in different parts of the canvas, each dragged right and down.
    // Rows 3 to 11 and small vertical moves: the canvas is short, and React Flow pans the view when
    // the pointer comes within 40 px of its edge.
    const singles = [nsName(3, 5), nsName(10, 8), nsName(16, 2), nsName(7, 4), nsName(13, 9), nsName(5, 3)].slice(
      0,
      SINGLE_DRAGS,
    );
    const singleRuns: Recording[] = [];
    let singleMoved = Infinity;
    for (const n of singles) {
      console.log(`drag ${n}…`);
      await page.keyboard.press('Escape');
      const { rec, moved } = await dragNode(page, n, 120, 20);
      if (moved < 60) throw new Error(`dragging ${n} moved it only ${moved.toFixed(0)} px`);
      singleRuns.push(rec);
      singleMoved = Math.min(singleMoved, moved);
    }
    scenarios.push(
      scenario(
        'single',
        `drag one node (${singles.length} drags of different nodes)`,
        'editor',
        singleRuns,
        singleMoved,
      ),
    );

    console.log('drag 20 selected nodes…');
    await page.keyboard.press('Escape');
    const twenty = [8, 9, 10].flatMap((b) => Array.from({ length: 7 }, (_, k) => nsName(b, k + 3))).slice(0, 20);
    await page.keyboard.down('Control');
    for (const n of twenty) await page.getByTestId(`node-${n}`).click();
    await page.keyboard.up('Control');
    const got20 = await selectedCount(page, 20);
    if (got20 !== 20) throw new Error(`expected 20 selected nodes, got ${got20}`);
    const m20 = await dragNode(page, nsName(9, 6), 120, 20);
    if (m20.moved < 50) throw new Error(`dragging 20 nodes moved them only ${m20.moved.toFixed(0)} px`);
    scenarios.push(scenario('multi20', 'drag 20 selected nodes (Ctrl+click)', 'editor', [m20.rec], m20.moved));

    console.log('drag all 300 nodes…');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+a');
    // Only the nodes in view are in the DOM (onlyRenderVisibleElements), and the canvas can have
    // become shorter since it opened (the inspector grows with a selection): count those in view now.
    const inView = await page.locator('.react-flow__node').count();
    const gotAll = await selectedCount(page, inView);
    if (gotAll !== inView) throw new Error(`Ctrl+A: expected ${inView} selected nodes in view, got ${gotAll}`);
    const all = await dragNode(page, nsName(12, 6), 120, 20);
    if (all.moved < 40) throw new Error(`dragging all nodes moved them only ${all.moved.toFixed(0)} px`);
    scenarios.push(
      scenario('all', `drag all 300 nodes (Ctrl+A; ${inView} of them in view)`, 'editor', [all.rec], all.moved),
    );

    console.log('pan the view…');
    await page.keyboard.press('Escape');
    const panFrom = await emptyPaneStretch(page, 200);
    const t0 = await viewportTransform(page);
    await page.mouse.move(panFrom.x, panFrom.y);
    await page.mouse.down();
    await startRecording(page);
    let panned = '';
    await sweep(page, panFrom, 200, 0, async () => void (panned = await viewportTransform(page)));
    const pan = await stopRecording(page);
    await page.mouse.up();
    if (panned === t0) throw new Error('dragging the pane did not pan the view');
    scenarios.push(scenario('pan', 'pan the view (drag on the empty pane)', 'editor', [pan]));

    let trace: TraceSummary | undefined;
    if (profile) trace = await profileDrag(page, browser, nsName(4, 4));
    if (pageErrors.length) throw new Error(`the page failed: ${pageErrors.join('; ')}`);

    const result = {
      startedAt: started.toISOString(),
      quick,
      machine: { ...machineFacts(), chromium: browser.version() },
      lab: { name: LAB, nodes: BRIDGES * (PER + 1), links: BRIDGES * PER, bridges: BRIDGES, perBridge: PER },
      page: {
        viewport: VIEWPORT,
        canvas: { width: canvasBox.width, height: canvasBox.height },
        zoom,
        nodesRendered: rendered,
        edgesRendered,
        nodePx: { width: nodeBox.width, height: nodeBox.height },
        openMs,
      },
      dragMs: DRAG_MS,
      targetP95Ms: TARGET_P95_MS,
      scenarios: scenarios.map(({ runs, ...s }) => ({
        ...s,
        runs: runs.map((r) => ({ frames: dist(r.frames), longTasks: r.longTasks, moves: r.moves, wallMs: r.wallMs })),
      })),
      ...(trace ? { trace } : {}),
    };
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench/results/web-latest.json'), JSON.stringify(result, null, 2) + '\n');
    const md = report(result, scenarios);
    console.log(md);
    if (!quick) writeBenchSection('web', md);
  } finally {
    await browser?.close().catch(() => undefined);
    await app.close().catch(() => undefined);
    await engine.close().catch(() => undefined);
    await db.close();
    rmSync(dataDir, { recursive: true, force: true });
    const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.startsWith(PREFIX));
    if (left.length) console.error(`unexpected: namespaces with the prefix ${PREFIX} exist: ${left.join(', ')}`);
  }
}

// ---- --profile: where the main thread's time goes during a drag -----------------------------------

interface TraceSummary {
  wallMs: number;
  /** Main-thread time by kind (top-level trace events of the renderer's main thread), ms. */
  mainThread: Record<string, number>;
  /** JS self time by function (CPU profile), the top entries, ms. */
  jsSelf: { fn: string; ms: number }[];
}

async function profileDrag(page: Page, browser: Browser, node: string): Promise<TraceSummary> {
  console.log(`profile: drag ${node} with a trace and a CPU profile…`);
  await page.keyboard.press('Escape');
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  const tracePath = join(ROOT, 'bench/results/web-trace.json');
  await browser.startTracing(page, {
    path: tracePath,
    categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink', 'cc', 'gpu', 'viz'],
  });
  await cdp.send('Profiler.start');
  const t0 = performance.now();
  await dragNode(page, node, 120, 20);
  const wallMs = performance.now() - t0;
  const { profile } = (await cdp.send('Profiler.stop')) as { profile: CpuProfile };
  await browser.stopTracing();
  await cdp.detach();

  // The renderer's main thread: top-level events only (nested ones are inside them).
  const events = (JSON.parse(readFileSync(tracePath, 'utf8')) as { traceEvents: TraceEvent[] }).traceEvents;
  const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  const mainThread: Record<string, number> = {};
  if (main) {
    const mine = events
      .filter((e) => e.pid === main.pid && e.tid === main.tid && e.ph === 'X' && e.dur !== undefined)
      .sort((a, b) => a.ts - b.ts);
    let end = -Infinity;
    for (const e of mine) {
      if (e.ts < end) continue;
      end = e.ts + e.dur!;
      mainThread[e.name] = (mainThread[e.name] ?? 0) + e.dur! / 1000;
    }
    // Nested kinds that matter, summed wherever they occur.
    for (const k of [
      'FunctionCall',
      'EventDispatch',
      'UpdateLayoutTree',
      'Layout',
      'PrePaint',
      'Paint',
      'Layerize',
      'Commit',
      'ParseHTML',
      'MinorGC',
      'MajorGC',
      'V8.GC_SCAVENGER',
    ]) {
      const total = mine.filter((e) => e.name === k).reduce((s, e) => s + e.dur! / 1000, 0);
      if (total) mainThread[`(all) ${k}`] = total;
    }
  }
  const bySelf = new Map<string, number>();
  const dt = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++)
    dt.set(profile.samples[i]!, (dt.get(profile.samples[i]!) ?? 0) + (profile.timeDeltas[i + 1] ?? 0) / 1000);
  for (const n of profile.nodes) {
    const t = dt.get(n.id);
    if (!t) continue;
    const f = n.callFrame;
    const key =
      `${f.functionName || '(anonymous)'} ${f.url ? `${f.url.split('/').pop()}:${f.lineNumber + 1}:${f.columnNumber + 1}` : ''}`.trim();
    bySelf.set(key, (bySelf.get(key) ?? 0) + t);
  }
  const jsSelf = [...bySelf]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 30)
    .map(([fn, t]) => ({ fn, ms: Math.round(t * 10) / 10 }));
  const top = Object.entries(mainThread)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 25);
  console.log(`drag of ${wallMs.toFixed(0)} ms; renderer main thread (top-level events, ms):`);
  for (const [k, v] of top) console.log(`  ${v.toFixed(1).padStart(8)}  ${k}`);
  console.log('JS self time (ms):');
  for (const j of jsSelf) console.log(`  ${j.ms.toFixed(1).padStart(8)}  ${j.fn}`);
  return { wallMs, mainThread, jsSelf };
}

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  args?: { name?: string };
}
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

// ---- the report -----------------------------------------------------------------------------------

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function report(r: any, scenarios: Scenario[]): string {
  const row = (s: Scenario) =>
    `| ${s.kind === 'floor' ? '*floor:* ' : ''}${s.label} | ${s.frames.n} | ${s.fps.toFixed(0)} | ${ms(s.frames.p50)} | ${ms(s.frames.p95)} | ${ms(s.frames.p99)} | ${ms(s.frames.max)} | ${(s.missed * 100).toFixed(0)} % | ${s.moves ? `${s.moves} / ${ms(s.msPerMove)} ms` : '–'} | ${s.longTasks} |`;
  const single = scenarios.find((s) => s.id === 'single')!;
  const idle = scenarios.find((s) => s.id === 'idle')!;
  const verdict = single.frames.p95 < TARGET_P95_MS ? 'met' : 'NOT met';
  return [
    `Run ${r.startedAt.replace(/\.\d+Z$/, 'Z')} (\`pnpm bench:web\`${r.quick ? ' --quick' : ''}), ${r.machine.cpus}, kernel ${r.machine.kernel}, Chromium ${r.machine.chromium} headless (software rendering, \`--disable-gpu\`).`,
    `Lab \`${r.lab.name}\`: ${r.lab.nodes} nodes, ${r.lab.links} links; page ${r.page.viewport.width}×${r.page.viewport.height}, canvas ${r.page.canvas.width.toFixed(0)}×${r.page.canvas.height.toFixed(0)} px fitted at zoom ${r.page.zoom.toFixed(2)} (a node is ${r.page.nodePx.width.toFixed(0)}×${r.page.nodePx.height.toFixed(0)} px): ${r.page.nodesRendered} nodes and ${r.page.edgesRendered} edges rendered. Opened (page load to fitted view) in ${(r.page.openMs / 1000).toFixed(1)} s. Each drag: ${(r.dragMs / 1000).toFixed(1)} s, one mouse move per 16.7 ms.`,
    '',
    '| frame time (ms) | frames | frames/s | p50 | p95 | p99 | max | frames > 25 ms | pointer moves / wall ms each | long tasks |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...scenarios.map(row),
    '',
    `Target (p95 < ${TARGET_P95_MS} ms while dragging one node): **${verdict}**: p95 ${ms(single.frames.p95)} ms, ${ms(single.msPerMove)} ms per pointer move (${(1000 / single.msPerMove).toFixed(0)} moves/s handled; the mouse sent one per 16.7 ms). At 60 Hz a frame is 16.7 ms apart even idle (p95 ${ms(idle.frames.p95)} ms here), so read the target as "no missed frame": p95 at the idle floor.`,
  ].join('\n');
}

await main();
