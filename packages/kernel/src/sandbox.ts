// Student shells that cannot leave their node: network namespaces owned by their own user namespace
// (helpers/nsowner.py) and a bubblewrap sandbox entered through one fixed wrapper
// (helpers/sandbox-exec.sh). Background and measurements: shared research, kernel-and-sandbox-facts §1.
//
// WHY a userns-owned netns: CAP_NET_ADMIN in the init user namespace reaches other namespaces through
// rtnetlink (IFLA_TARGET_NETNSID needs no file or pid, only the netnsid every veth neighbour gets). With
// the node's netns owned by a dedicated userns, the student's NET_ADMIN/NET_RAW count only there.
// Namespaces for student nodes are created with `ownedNamespaceAdd` instead of `ip netns add`, and
// removed with `ownedNamespaceDel` (plain `ip netns del` would leak the userns pin and the host uid).
// Bridges, VXLAN and other tunnel devices must stay in backend-owned namespaces (research §1.6).
//
// THE ENTRY POINT (one design for pty and non-pty): `sandboxArgv(ns, {hostname, command})` returns
//   { file: '/bin/sh', args: [helpers/sandbox-exec.sh, NS, <bwrap policy args>, '--', <fd-closer>, ...command] }
// sandbox-exec.sh (fixed, root-run) validates NS, opens /run/patchbay/userns/NS as fd 3, and execs
//   env -i PATH=… TERM=xterm-256color nsenter --net=/run/netns/NS -- bwrap --userns 3 <policy args…>
// so the caller never has to pass an extra fd. That matters because node-pty cannot: a terminal does
//   const { file, args } = sandboxArgv(ns, { hostname });
//   const term = pty.spawn(file, args, { name: 'xterm-256color', cwd: '/', env: { TERM: 'xterm-256color' } });
//   …on close: await killSandbox(term.pid);  // certain, even if the student's shell ignores SIGHUP/EOF
// and non-tty users (tests, `patchbay shell` with a pipe) call `spawnSandbox`, which spawns the same argv.
// Nothing in the argv is a shell string built from input: the namespace name is checked by
// assertNamespaceName (and again by the script), the hostname by HOSTNAME_RE, and the command is
// passed as separate argv entries ("$@").
//
// The policy, and the pitfalls it handles (research §1.4):
// * bwrap runs as real root, so it would keep every capability: --cap-drop ALL, then add NET_ADMIN and
//   NET_RAW (they apply to the node's userns only; ping needs NET_RAW in the bounding set, tcpdump needs
//   it effective). The student is uid/gid 1000 inside (not 0: Debian's tcpdump drops to user tcpdump
//   when it runs as root, and fails). bwrap sets no_new_privs, so setuid binaries give nothing.
// * bwrap's pid-1 reaper (when used) keeps bwrap's environment, readable at /proc/1/environ: the script
//   starts bwrap under `env -i` anyway, and the child gets --clearenv plus a fixed set of variables.
// * the userns fd 3 is inherited by the command: `/bin/sh -c 'exec 3<&-; exec "$@"'` closes it first.
// * bwrap's --dev tmpfs is writable by the sandbox uid: /dev/shm gets its own size-limited tmpfs and
//   /dev is remounted read-only. /tmp, /run and /home/student are size-limited tmpfs; / is read-only.
// * /etc is curated: a few read-only host files the tools need (alternatives: iptables and nc are
//   alternatives symlinks) plus passwd/group/hosts generated under /run/patchbay/sandbox-etc (the host's
//   passwd, shadow and configuration are absent). /root, /var, /run/netns and other homes do not exist.
// * nested user namespaces are disabled by nsowner (user.max_user_namespaces=0 in the node's userns):
//   bwrap's --disable-userns would need --unshare-user, which cannot be combined with --userns.
//
// TEARDOWN: --die-with-parent does not work with --userns (the credential change clears the parent-
// death signal), and bwrap's default pid-1 reaper waits for ALL children, so `sleep &` or `setsid
// nohup …` kept a sandbox alive after its shell was gone (research §1.4.3; re-measured here: after a
// closed pty, both sleeps survived, reparented to the host's init). So we run bwrap with --as-pid-1:
// the student's program itself (normally bash) is pid 1 of the sandbox's pid namespace, and when it
// exits for any reason (exit, EOF, SIGHUP from a closed pty, a backend crash closing the pty) the
// kernel kills everything else in the namespace. Measured: job control and Ctrl-C work as usual, and
// the outer bwrap reaps pid 1 itself (with the reaper, bwrap exits first and every sandbox left a
// zombie for the host's init). Side effects, all harmless: pid 1 ignores signals it has no handler
// for when they come from inside (`kill 1`), and orphans are reaped by bash (a non-shell command run
// as pid 1 leaves its orphans as zombies until it exits). /proc/1/environ is then the student's own
// (--clearenv + --setenv) environment; bwrap itself still starts under `env -i`.
// Explicit close: `killSandbox(pid)` / `SandboxProcess.kill()` SIGKILLs the sandbox's pid 1 (found as
// bwrap's child), which takes the whole pid namespace with it, then lets bwrap exit. `pid` is the pid we spawned: the wrapper execs env → nsenter → bwrap
// without forking, so it is bwrap's. Per-session memory/pids limits need a cgroup (v2 `cgroup.kill`
// is the other robust teardown); this VM only has cgroup v1, so that is left to the engine.

import { spawn, type ChildProcess, type StdioNull, type StdioPipe } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import type { Stream } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { killProcessesIn } from './pids.js';
import { CHILD_ENV, assertNamespaceName, run } from './process.js';

export const NSOWNER_SCRIPT = fileURLToPath(new URL('../helpers/nsowner.py', import.meta.url));
export const SANDBOX_EXEC_SCRIPT = fileURLToPath(new URL('../helpers/sandbox-exec.sh', import.meta.url));
export const USERNS_DIR = '/run/patchbay/userns';
export const SANDBOX_ETC_DIR = '/run/patchbay/sandbox-etc';
/** The student's uid and gid inside the sandbox (nsowner maps it to a unique host uid per namespace). */
export const SANDBOX_UID = 1000;
export const SANDBOX_HOME = '/home/student';

/** A hostname for the sandbox: RFC 1123 labels, at most 64 characters. */
export const HOSTNAME_RE = /^(?=.{1,64}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** The pinned user namespace that owns the named network namespace. */
export function userNamespacePath(ns: string): string {
  assertNamespaceName(ns);
  return `${USERNS_DIR}/${ns}`;
}

// ---- namespaces owned by their own user namespace -------------------------------------------------

export interface OwnedNamespaceResult {
  name: string;
  ok: boolean;
  /** Host uid/gid that inside uid/gid 1000 maps to (add only). */
  uid?: number;
  error?: string;
}

const NSOWNER_BATCH = 200;

async function nsowner(cmd: 'add' | 'del', names: readonly string[]): Promise<OwnedNamespaceResult[]> {
  const unique = [...new Set(names)];
  unique.forEach(assertNamespaceName);
  const results: OwnedNamespaceResult[] = [];
  for (let i = 0; i < unique.length; i += NSOWNER_BATCH) {
    const batch = unique.slice(i, i + NSOWNER_BATCH);
    const r = await run('python3', [NSOWNER_SCRIPT, cmd, ...batch], { timeoutMs: 30_000 + 100 * batch.length });
    const byName = new Map<string, OwnedNamespaceResult>();
    for (const line of r.stdout.split('\n')) {
      if (!line.trim()) continue;
      try {
        const o = JSON.parse(line) as OwnedNamespaceResult;
        if (typeof o.name === 'string') byName.set(o.name, o);
      } catch {
        /* not ours: reported below as missing */
      }
    }
    const why = r.stderr.trim() || `nsowner exited with ${r.code}`;
    for (const name of batch) results.push(byName.get(name) ?? { name, ok: false, error: why });
  }
  return results;
}

/**
 * Creates each named network namespace owned by a new user namespace (inside uid/gid 1000 = a unique
 * unprivileged host uid; nested user namespaces disabled). An existing name fails and is left alone.
 */
export function ownedNamespaceAdd(names: readonly string[]): Promise<OwnedNamespaceResult[]> {
  return nsowner('add', names);
}

/**
 * Kills every process inside the namespaces (sandboxes included: a live process keeps a netns alive),
 * then removes the netns and userns pins and frees the host uids. A missing name is success.
 */
export async function ownedNamespaceDel(names: readonly string[]): Promise<OwnedNamespaceResult[]> {
  names.forEach(assertNamespaceName);
  await killProcessesIn(names);
  return nsowner('del', names);
}

/** The host uid of an owned namespace, or undefined when it has none. */
export async function ownedNamespaceUid(ns: string): Promise<number | undefined> {
  assertNamespaceName(ns);
  const r = await run('python3', [NSOWNER_SCRIPT, 'uid', ns], { timeoutMs: 10_000 });
  return r.code === 0 ? Number(r.stdout.trim()) : undefined;
}

// ---- the sandbox ------------------------------------------------------------------------------------

/** Host files shown read-only in the sandbox's /etc when they exist (--ro-bind-try). */
const ETC_FILES = [
  'alternatives', 'iproute2', 'protocols', 'services', 'ethertypes', 'networks', 'nsswitch.conf', 'host.conf',
  'gai.conf', 'ld.so.cache', 'ld.so.conf', 'ld.so.conf.d', 'localtime', 'bash.bashrc', 'inputrc',
  'terminfo', 'ssl', 'ca-certificates', 'vim', 'nanorc', 'python3', 'python3.11',
];
const PASSWD =
  'root:x:0:0:root:/root:/usr/sbin/nologin\n' +
  `student:x:${SANDBOX_UID}:${SANDBOX_UID}:student:${SANDBOX_HOME}:/bin/bash\n` +
  'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n';
const GROUP = `root:x:0:\nstudent:x:${SANDBOX_UID}:\nnogroup:x:65534:\n`;
const SANDBOX_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
// Our own /etc/profile, not the host's: Debian's resets PATH for every user but root to one
// without sbin, and the learner's tools (ip's friends: sysctl, iptables, nft, arping) live there.
const PROFILE =
  '# /etc/profile of a Patchbay sandbox: the network tools live in sbin too.\n' +
  `PATH=${SANDBOX_PATH}\nexport PATH\n` +
  'if [ "${PS1-}" ] && [ "${BASH-}" ] && [ "$BASH" != /bin/sh ] && [ -f /etc/bash.bashrc ]; then . /etc/bash.bashrc; fi\n';
const MiB = 1024 * 1024;

function writeIfChanged(path: string, content: string): void {
  try {
    if (readFileSync(path, 'utf8') === content) return;
  } catch {
    /* missing */
  }
  // rename: a sandbox starting concurrently sees the old file or the new one, never half of one
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode: 0o644 });
  renameSync(tmp, path);
}

/** Writes the generated /etc files (idempotent, cheap when they exist); returns their paths. */
export function prepareSandboxEtc(hostname: string): { passwd: string; group: string; hosts: string; profile: string } {
  if (!HOSTNAME_RE.test(hostname)) throw new Error(`invalid sandbox hostname ${JSON.stringify(hostname)}`);
  mkdirSync(`${SANDBOX_ETC_DIR}/hosts`, { recursive: true, mode: 0o755 });
  const paths = {
    passwd: `${SANDBOX_ETC_DIR}/passwd`,
    group: `${SANDBOX_ETC_DIR}/group`,
    hosts: `${SANDBOX_ETC_DIR}/hosts/${hostname}`,
    profile: `${SANDBOX_ETC_DIR}/profile`,
  };
  writeIfChanged(paths.passwd, PASSWD);
  writeIfChanged(paths.profile, PROFILE);
  writeIfChanged(paths.group, GROUP);
  writeIfChanged(paths.hosts, `127.0.0.1\tlocalhost\n127.0.1.1\t${hostname}\n::1\tlocalhost ip6-localhost ip6-loopback\n`);
  return paths;
}

export interface SandboxOptions {
  /** Hostname inside the sandbox (and in its prompt and /etc/hosts), e.g. the node name. */
  hostname: string;
  /** Command and arguments, run as the student. Default: an interactive login bash. */
  command?: readonly string[];
}

/**
 * The exact argv that starts a student sandbox in namespace `ns` (see the top of this file). Also
 * writes the generated /etc files it refers to (prepareSandboxEtc), so it is all a pty caller needs.
 */
export function sandboxArgv(ns: string, opts: SandboxOptions): { file: string; args: string[] } {
  assertNamespaceName(ns);
  const etc = prepareSandboxEtc(opts.hostname);
  const command = opts.command && opts.command.length > 0 ? [...opts.command] : ['/bin/bash', '--login'];
  if (command.some((a) => typeof a !== 'string' || a.includes('\0'))) throw new Error('invalid sandbox command');
  const h = opts.hostname;
  const bwrap = [
    // (sandbox-exec.sh prepends: env -i … nsenter --net=/run/netns/NS -- bwrap --userns 3)
    '--uid', String(SANDBOX_UID), '--gid', String(SANDBOX_UID),
    '--cap-drop', 'ALL', '--cap-add', 'CAP_NET_ADMIN', '--cap-add', 'CAP_NET_RAW',
    '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try', '--hostname', h,
    '--as-pid-1', // the command is the pid namespace's init: when it exits, everything inside dies
    '--clearenv',
    '--ro-bind', '/usr', '/usr',
    '--symlink', 'usr/bin', '/bin', '--symlink', 'usr/sbin', '/sbin',
    '--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64', '/lib64',
    ...ETC_FILES.flatMap((f) => ['--ro-bind-try', `/etc/${f}`, `/etc/${f}`]),
    '--ro-bind', etc.passwd, '/etc/passwd', '--ro-bind', etc.group, '/etc/group', '--ro-bind', etc.hosts, '/etc/hosts',
    '--ro-bind', etc.profile, '/etc/profile',
    '--proc', '/proc',
    '--dev', '/dev', '--perms', '1777', '--size', String(16 * MiB), '--tmpfs', '/dev/shm', '--remount-ro', '/dev',
    '--perms', '1777', '--size', String(64 * MiB), '--tmpfs', '/tmp',
    '--perms', '0755', '--size', String(1 * MiB), '--tmpfs', '/run',
    '--perms', '0700', '--size', String(64 * MiB), '--tmpfs', SANDBOX_HOME,
    '--remount-ro', '/',
    '--chdir', SANDBOX_HOME,
    '--setenv', 'HOME', SANDBOX_HOME, '--setenv', 'USER', 'student', '--setenv', 'LOGNAME', 'student',
    '--setenv', 'SHELL', '/bin/bash', '--setenv', 'TERM', 'xterm-256color', '--setenv', 'LANG', 'C.UTF-8',
    '--setenv', 'PATH', SANDBOX_PATH, '--setenv', 'PS1', `student@${h}:\\w\\$ `,
    '--',
    // close the userns fd before the student's program runs (a fixed string; the command is "$@")
    '/bin/sh', '-c', 'exec 3<&-; exec "$@"', 'sh', ...command,
  ];
  return { file: '/bin/sh', args: [SANDBOX_EXEC_SCRIPT, ns, ...bwrap] };
}

type StdioEntry = StdioNull | StdioPipe | number | Stream | null | undefined;

export interface SpawnSandboxOptions extends SandboxOptions {
  /** stdin, stdout, stderr only: any further fd would be inherited by the sandbox. Default pipes. */
  stdio?: [StdioEntry, StdioEntry, StdioEntry];
}

export interface SandboxProcess {
  /** The spawned process (the outer bwrap, running as root outside the sandbox). */
  child: ChildProcess;
  /** Kills everything the sandbox started (see killSandbox); resolves once it is all gone. */
  kill(): Promise<void>;
}

/** Starts a sandbox without a terminal (tests, piped use). For a pty, spawn sandboxArgv's argv yourself. */
export function spawnSandbox(ns: string, opts: SpawnSandboxOptions): SandboxProcess {
  const { file, args } = sandboxArgv(ns, opts);
  const stdio = opts.stdio ?? ['pipe', 'pipe', 'pipe'];
  if (stdio.length > 3) throw new Error('a sandbox gets stdin, stdout and stderr only');
  const child = spawn(file, args, { env: { ...CHILD_ENV }, stdio: [...stdio], shell: false, cwd: '/' });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  child.once('error', () => {}); // reported by the caller's own listeners; never crash here
  return {
    child,
    kill: async () => {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) await killSandbox(child.pid);
      await Promise.race([exited, sleep(2000)]);
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function statOf(pid: number): { state: string; ppid: number } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' '); // comm may contain spaces and ')'
    return { state: rest[0]!, ppid: Number(rest[1]) };
  } catch {
    return undefined;
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    if (statOf(Number(d))?.ppid === pid) out.push(Number(d));
  }
  return out;
}

function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/**
 * Kills the sandbox started as process `pid` (the pid spawnSandbox or pty.spawn returned) and
 * everything inside it, including background and setsid'd processes. bwrap is stopped first so the
 * set of its children cannot change while we look (it forks the sandbox's pid 1 once, at start);
 * its child is the sandbox's pid 1, and SIGKILL to a pid-namespace init kills the whole namespace.
 * bwrap is then let go so that it reaps its child and exits by itself (killing it first would leave
 * the init as a zombie for the host's pid 1 to collect); it is SIGKILLed if it has not after ~1 s.
 * Resolves when bwrap is gone (or a zombie, for its own parent to reap). Call it only while the
 * spawned process has not been reaped yet: a pid is reused after that.
 */
export async function killSandbox(pid: number): Promise<void> {
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`invalid sandbox pid ${pid}`);
  const gone = (p: number) => {
    const st = statOf(p)?.state;
    return st === undefined || st === 'Z' || st === 'X';
  };
  if (!signal(pid, 'SIGSTOP')) return;
  for (let i = 0; i < 200; i++) {
    const st = statOf(pid)?.state;
    if (st === undefined || st === 'T' || st === 't' || st === 'Z' || st === 'X') break;
    await sleep(5);
  }
  const inits = childrenOf(pid);
  for (const c of inits) signal(c, 'SIGKILL');
  signal(pid, 'SIGCONT');
  for (let i = 0; i < 100 && !gone(pid); i++) await sleep(10);
  if (!gone(pid)) signal(pid, 'SIGKILL');
  for (let i = 0; i < 200 && !(gone(pid) && inits.every(gone)); i++) await sleep(10);
}
