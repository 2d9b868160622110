// Engine settings from options and the environment (CLI.md: PATCHBAY_PREFIX, PATCHBAY_DATA; the
// student* fields of PATCHBAY_LIMITS, docs/server.md).
import type { SandboxLimitValues } from '@patchbay/kernel';
import { DEFAULT_PREFIX, PREFIX_RE } from '@patchbay/topology';
import { EngineError } from './errors.js';
import { sandboxLimitsFromEnv } from './sandbox-groups.js';

export const DEFAULT_DATA_DIR = '/var/lib/patchbay';

export interface EngineSettings {
  /** Start of every namespace name this engine creates; two prefixes never see each other's labs. */
  prefix: string;
  /** Folder of journals, locks and cached kernel capabilities. */
  dataDir: string;
  /** Processes run at once when a stage touches many namespaces. */
  concurrency: number;
  /** Largest lab accepted. */
  maxNodes: number;
  maxLabBytes: number;
  /**
   * What each lab's student sandboxes may use together (processes, memory, CPU weight) and each of
   * their processes (open files). Default: PATCHBAY_LIMITS's student* fields over the kernel's defaults.
   */
  sandboxLimits: SandboxLimitValues;
}

export function resolveSettings(
  opts: Partial<EngineSettings> = {},
  env: NodeJS.ProcessEnv = process.env,
): EngineSettings {
  const prefix = opts.prefix ?? env.PATCHBAY_PREFIX ?? DEFAULT_PREFIX;
  if (!PREFIX_RE.test(prefix)) {
    throw new EngineError(
      'invalid',
      `PATCHBAY_PREFIX ${JSON.stringify(prefix)} is not allowed: use 1 to 16 characters, a lowercase letter first, then lowercase letters, digits or "-"`,
    );
  }
  return {
    prefix,
    dataDir: opts.dataDir ?? env.PATCHBAY_DATA ?? DEFAULT_DATA_DIR,
    concurrency: opts.concurrency ?? 4,
    maxNodes: opts.maxNodes ?? 2000,
    maxLabBytes: opts.maxLabBytes ?? 1024 * 1024,
    sandboxLimits: opts.sandboxLimits ?? sandboxLimitsFromEnv(env.PATCHBAY_LIMITS),
  };
}
