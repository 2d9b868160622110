// `pnpm bench:pages`: what each page of the web app makes the browser load. The real server runs in
// this process (prefix `pbpg-`, a temporary data folder, a fixed token) and serves the built app
// (apps/web/dist, `pnpm build`); Debian's Chromium (headless, as in e2e/) opens each page once in
// a fresh context (empty cache) and every script, stylesheet and document it loads is counted:
// the bytes on the wire (Brotli, as the server sends it to Chromium), and the same files gzipped
// (the build's .gz copies) and uncompressed. The baseline is the whole app: every script and
// stylesheet of the build, which is what every page loaded when the app was one chunk.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { Engine } from '@patchbay/engine';
import { buildApp, openStore } from '@patchbay/server';
import { machineFacts } from './report.js';
import { ROOT, writeBenchSection } from './util.js';
import { writeFileSync } from 'node:fs';

const PREFIX = 'pbpg-';
const TOKEN = 'bench-pages-token-0123456789abcdef';
const DIST = join(ROOT, 'apps/web/dist');
const TARGET_JOIN_GZIP_KB = 250;
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'];

const PAGES: { page: string; path: string; who: string }[] = [
  { page: 'join', path: '/join/ABCDEF', who: 'a student joining (no token yet)' },
  { page: 'exercise', path: `/exercise/nolab?token=${TOKEN}`, who: "a student's exercise" },
  { page: 'editor', path: `/?token=${TOKEN}`, who: 'the instructor’s editor' },
  { page: 'class', path: `/class?token=${TOKEN}`, who: 'the instructor’s sessions' },
  { page: 'author', path: `/author?token=${TOKEN}`, who: 'the instructor authoring an exercise' },
];

interface Loaded {
  files: number;
  wire: number;
  gzip: number;
  raw: number;
}

/** A built file's size as it is, gzipped (its .gz copy; small files are not compressed) and Brotli. */
function sizes(file: string): { raw: number; gzip: number; br: number } {
  const raw = statSync(file).size;
  const alt = (ext: string) => (existsSync(`${file}.${ext}`) ? statSync(`${file}.${ext}`).size : raw);
  return { raw, gzip: alt('gz'), br: alt('br') };
}

/** This build's scripts and stylesheets, from Vite's manifest (`dist/.vite/manifest.json`). */
function buildFiles(): string[] {
  const manifest = join(DIST, '.vite/manifest.json');
  if (!existsSync(manifest)) throw new Error('apps/web/dist has no .vite/manifest.json: run `pnpm build` again');
  const chunks = JSON.parse(readFileSync(manifest, 'utf8')) as Record<string, { file: string; css?: string[] }>;
  const files = new Set<string>();
  for (const chunk of Object.values(chunks)) {
    if (/\.(js|css)$/.test(chunk.file)) files.add(chunk.file);
    for (const css of chunk.css ?? []) files.add(css);
  }
  return [...files].sort();
}

function wholeApp(): Loaded {
  const total: Loaded = { files: 0, wire: 0, gzip: 0, raw: 0 };
  for (const file of buildFiles()) {
    const s = sizes(join(DIST, file));
    total.files++;
    total.raw += s.raw;
    total.gzip += s.gzip;
    total.wire += s.br;
  }
  return total;
}

async function main(): Promise<void> {
  if (!existsSync(join(DIST, 'index.html'))) throw new Error('apps/web is not built: run `pnpm build` first');
  const dataDir = mkdtempSync(join(tmpdir(), 'patchbay-bench-pages-'));
  const engine = new Engine({ prefix: PREFIX, dataDir });
  const db = openStore(dataDir);
  const app = await buildApp({ engine, store: db, adminToken: TOKEN });
  let browser: Browser | undefined;
  const started = new Date();
  const results: (Loaded & { page: string; path: string; who: string; errors: string[] })[] = [];
  try {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const addr = app.server.address();
    const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    browser = await chromium.launch({
      executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_ARGS,
    });
    for (const p of PAGES) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      const pending: Promise<{ wire: number; gzip: number; raw: number }>[] = [];
      page.on('response', (res) => {
        const type = res.request().resourceType();
        if (type !== 'script' && type !== 'stylesheet' && type !== 'document') return;
        const path = new URL(res.url()).pathname;
        const file = join(DIST, path === '/' || !existsSync(join(DIST, path)) ? 'index.html' : path);
        pending.push(
          res
            .request()
            .sizes()
            .then((s) => ({ wire: s.responseBodySize, gzip: sizes(file).gzip, raw: sizes(file).raw })),
        );
      });
      await page.goto(`${url}${p.path}`, { waitUntil: 'networkidle' });
      const loaded = await Promise.all(pending);
      results.push({
        ...p,
        files: loaded.length,
        wire: loaded.reduce((a, l) => a + l.wire, 0),
        gzip: loaded.reduce((a, l) => a + l.gzip, 0),
        raw: loaded.reduce((a, l) => a + l.raw, 0),
        errors,
      });
      await context.close();
    }
  } finally {
    await browser?.close();
    await app.close();
    await engine.close();
    await db.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const whole = wholeApp();
  const kb = (b: number) => (b / 1024).toFixed(1);
  const join_ = results.find((r) => r.page === 'join')!;
  const md = [
    `Run ${started.toISOString().replace(/\.\d+Z$/, 'Z')} (\`pnpm bench:pages\`), ${machineFacts().cpus}, Chromium ${browser?.version() ?? ''} headless, each page opened once with an empty cache. kB = 1,024 bytes; "on the wire": the response bodies as the server sent them (Brotli to Chromium); gzip: the same files gzipped (level 9).`,
    '',
    '| page | who | files | on the wire kB | gzip kB | uncompressed kB | gzip / whole app |',
    '|---|---|---|---|---|---|---|',
    ...results.map(
      (r) =>
        `| \`${r.page}\` | ${r.who} | ${r.files} | ${kb(r.wire)} | ${kb(r.gzip)} | ${kb(r.raw)} | ${(r.gzip / whole.gzip).toFixed(2)}× |`,
    ),
    `| the whole app (every script and stylesheet: what each page loaded as one chunk) | – | ${whole.files} | ${kb(whole.wire)} | ${kb(whole.gzip)} | ${kb(whole.raw)} | 1.00× |`,
    '',
    `Target (issue 17): the join page loads at most ${TARGET_JOIN_GZIP_KB} kB gzipped: ${kb(join_.gzip)} kB ${join_.gzip / 1024 <= TARGET_JOIN_GZIP_KB ? '✓' : '✗'}.` +
      (results.some((r) => r.errors.length)
        ? ` Page errors: ${results
            .filter((r) => r.errors.length)
            .map((r) => `${r.page}: ${r.errors.join('; ')}`)
            .join(' | ')}`
        : ''),
  ].join('\n');
  console.log(md);
  writeFileSync(
    join(ROOT, 'bench/results/pages-latest.json'),
    JSON.stringify({ startedAt: started.toISOString(), results, whole }, null, 2) + '\n',
  );
  writeBenchSection('pages', md);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
