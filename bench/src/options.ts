// Command-line options of `pnpm bench`.

import { join, resolve } from 'node:path';
import type { BaselineMode } from './baseline.js';
import type { IncModeName } from './incremental.js';
import { ROOT } from './util.js';

export interface Options {
  sizes: number[];
  runs?: number;
  incSize: number;
  incReps: number;
  incWarmup: number;
  incModes: IncModeName[];
  baselines: BaselineMode[];
  concurrency: number;
  write: boolean;
  docPath: string;
}

// More runs where one costs little: at N=10 a stall of 10–30 ms in any stage (the hand-written
// batch has them too) in 3 of 5 runs moved the median from 31 to 45 ms.
export const DEFAULT_RUNS: Record<number, number> = { 10: 15, 50: 9, 200: 3, 1000: 1 };

function usage(): never {
  console.log(`usage: pnpm bench [-- options]
  --sizes 10,50,200,1000   star sizes N (default 10,50,200,1000)
  --runs K                 runs per size (default: 15 at N=10, 9 at N=50, 3 at N=200, 1 at N=1000)
  --inc-size N             size of the lab for incremental changes (default 200; 0 = skip)
  --inc-reps K             timed repetitions of each incremental change (default 15)
  --inc-warmup K           untimed rounds first, the first reported as cold (default 3)
  --inc-modes one-shot,watch  engine modes for the incremental changes (default both)
  --baselines batch,batch6 hand-written baselines to run (default both)
  --concurrency C          engine process concurrency (default: the engine's own, 4)
  --no-write               print only; do not update docs/benchmarks.md nor bench/results/
  --doc PATH               the Markdown file to update (default docs/benchmarks.md)`);
  process.exit(0);
}

export function parseArgs(argv: string[]): Options {
  const o: Options = {
    sizes: [10, 50, 200, 1000],
    incSize: 200,
    incReps: 15,
    incWarmup: 3,
    incModes: ['one-shot', 'watch'],
    baselines: ['batch', 'batch6'],
    concurrency: 4,
    write: true,
    docPath: join(ROOT, 'docs', 'benchmarks.md'),
  };
  const args = argv.filter((a) => a !== '--');
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const val = (): string => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const int = (v: string, min: number): number => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < min) throw new Error(`${a}: expected an integer >= ${min}, got ${v}`);
      return n;
    };
    switch (a) {
      case '--sizes':
        o.sizes = val()
          .split(',')
          .filter(Boolean)
          .map((s) => int(s, 2));
        if (o.sizes.some((n) => n > 1000))
          throw new Error('--sizes: at most 1000 (addresses are 10.200.0.0/16, names l0001…)');
        break;
      case '--runs':
        o.runs = int(val(), 1);
        break;
      case '--inc-size':
        o.incSize = int(val(), 0);
        if (o.incSize === 1 || o.incSize > 1000) throw new Error('--inc-size: 0 or 2..1000');
        break;
      case '--inc-reps':
        o.incReps = int(val(), 1);
        break;
      case '--inc-warmup':
        o.incWarmup = int(val(), 0);
        break;
      case '--inc-modes':
        o.incModes = val()
          .split(',')
          .filter(Boolean)
          .map((m) => {
            if (m !== 'one-shot' && m !== 'watch') throw new Error(`--inc-modes: unknown ${m} (one-shot, watch)`);
            return m;
          });
        if (o.incModes.length === 0) throw new Error('--inc-modes: at least one');
        break;
      case '--baselines':
        o.baselines = val()
          .split(',')
          .filter(Boolean)
          .map((b) => {
            if (b !== 'batch' && b !== 'batch6') throw new Error(`--baselines: unknown ${b}`);
            return b;
          });
        if (o.baselines.length === 0) throw new Error('--baselines: at least one');
        break;
      case '--concurrency':
        o.concurrency = int(val(), 1);
        break;
      case '--no-write':
        o.write = false;
        break;
      case '--doc':
        o.docPath = resolve(val());
        break;
      case '-h':
      case '--help':
        return usage();
      default:
        throw new Error(`unknown option ${a} (--help)`);
    }
  }
  return o;
}
