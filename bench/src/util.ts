// Small helpers shared by the bench modules: timing, child processes (the bench's own, never through
// the engine), statistics and number formatting.

import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Engine namespace prefix; the hand-written baselines use `pbbh<N>-`. */
export const PREFIX = 'pbb-';

export const now = () => performance.now();
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const pad4 = (i: number) => String(i).padStart(4, '0');
export const CHILD_ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' };

export function sh(
  cmd: string,
  args: string[],
  opts: { input?: string; stdio?: (number | 'ignore' | 'pipe')[] } = {},
): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, {
    encoding: 'utf8',
    env: CHILD_ENV,
    input: opts.input,
    stdio: opts.stdio,
    maxBuffer: 256 * 1024 * 1024,
  });
}

/** Async spawn with stdin; resolves when the process exits (used for the timed baseline commands). */
export function runAsync(
  cmd: string,
  args: string[],
  input: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { env: CHILD_ENV, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', rej);
    child.on('close', (code) =>
      res({ code: code ?? 1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }),
    );
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

export interface Stat {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function stat(xs: number[]): Stat {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return { median: NaN, min: NaN, max: NaN, n: 0 };
  const m = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return { median: m, min: s[0]!, max: s[s.length - 1]!, n: s.length };
}

/** Seconds with 3 decimals. */
export const sec = (ms: number) => (ms / 1000).toFixed(3);
export const msf = (ms: number) => (Number.isNaN(ms) ? '–' : ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
export const fmtS = (s: Stat) => (s.n > 1 ? `${sec(s.median)} [${sec(s.min)}–${sec(s.max)}]` : sec(s.median));
export const fmtMs = (s: Stat) => (s.n > 1 ? `${msf(s.median)} [${msf(s.min)}–${msf(s.max)}]` : msf(s.median));

/** The largest RSS (of this process, or what `rss` reads) seen between its creation and `stop()` (sampled every 50 ms). */
export class RssSampler {
  max = 0;
  private timer: ReturnType<typeof setInterval>;
  constructor(private readonly rss: () => number = () => process.memoryUsage.rss()) {
    this.timer = setInterval(() => (this.max = Math.max(this.max, this.rss())), 50);
  }
  stop(): number {
    clearInterval(this.timer);
    return Math.max(this.max, this.rss());
  }
}

/** Replaces the text between `<!-- bench:NAME:start -->` and `<!-- bench:NAME:end -->` in docs/benchmarks.md. */
export function writeBenchSection(name: string, md: string): void {
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const path = join(ROOT, 'docs/benchmarks.md');
  const doc = readFileSync(path, 'utf8');
  const a = doc.indexOf(start);
  const b = doc.indexOf(end);
  if (a < 0 || b < a) throw new Error(`docs/benchmarks.md has no ${start} … ${end} section`);
  writeFileSync(path, doc.slice(0, a + start.length) + '\n' + md + '\n' + doc.slice(b));
}

/** `--name N` from the command line (a positive number), else `dflt`. */
export const argNum = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : dflt;
};

/** `--name VALUE` from the command line, else `dflt`. */
export const argStr = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
};
