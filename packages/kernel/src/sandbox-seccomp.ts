// The student sandbox's syscall filter (seccomp): a classic-BPF program written by
// helpers/seccomp-filter.py (Debian's libseccomp through ctypes) and handed to bwrap by the wrapper
// (helpers/sandbox-exec.sh opens it as fd 4: `bwrap --seccomp 4`). The policy and why: the helper's
// header and docs/isolation.md.
//
// Built at first use and cached under /run/patchbay/seccomp (a tmpfs: rebuilt after a reboot),
// named by the hash of the helper's text, so a changed policy is never served from an old file.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CHILD_ENV } from './process.js';

export const SECCOMP_FILTER_SCRIPT = fileURLToPath(new URL('../helpers/seccomp-filter.py', import.meta.url));
export const SECCOMP_DIR = '/run/patchbay/seccomp';
/** What the wrapper accepts as a filter file (it checks the same shape). */
export const SECCOMP_FILE_RE = /^\/run\/patchbay\/seccomp\/sandbox-[0-9a-f]{16}\.bpf$/;

let cached: string | undefined;

/** The path of the compiled filter, building it first when it is missing. Throws when it cannot. */
export function seccompFilterFile(): string {
  if (cached && existsSync(cached)) return cached;
  const hash = createHash('sha256').update(readFileSync(SECCOMP_FILTER_SCRIPT)).digest('hex').slice(0, 16);
  const file = `${SECCOMP_DIR}/sandbox-${hash}.bpf`;
  if (!existsSync(file)) {
    mkdirSync(SECCOMP_DIR, { recursive: true, mode: 0o755 });
    try {
      // Once per boot and policy; ~50 ms. Synchronous because sandboxArgv is.
      execFileSync('python3', [SECCOMP_FILTER_SCRIPT, file], {
        env: { ...CHILD_ENV },
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: 30_000,
      });
    } catch (e) {
      const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim();
      throw new Error(
        `the sandbox's syscall filter could not be built (is libseccomp2 installed? infra/setup.sh installs it): ${stderr || (e as Error).message}`,
        { cause: e },
      );
    }
  }
  cached = file;
  return file;
}

export interface SeccompRule {
  syscall: string;
  action: 'errno';
  errno: string;
  /** For clone: the namespace flag whose presence makes the call fail. */
  when?: string;
}

/** The policy as the helper states it (for docs and tests). */
export function seccompPolicy(): SeccompRule[] {
  const out = execFileSync('python3', [SECCOMP_FILTER_SCRIPT, '--list'], { env: { ...CHILD_ENV }, timeout: 30_000 });
  return out
    .toString()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as SeccompRule);
}
