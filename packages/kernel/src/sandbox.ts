// Student shells that cannot leave their node: a bubblewrap sandbox entered through one fixed
// wrapper (helpers/sandbox-exec.sh), inside a network namespace owned by its own user namespace
// (owned-namespaces.ts), with a curated /etc (sandbox-etc.ts); killSandbox (sandbox-kill.ts) ends
// one with everything it started. Background and measurements: shared research,
// kernel-and-sandbox-facts §1.
//
// THE ENTRY POINT (one design for pty and non-pty): `sandboxArgv(ns, {hostname, command, limits})` returns
//   { file: '/bin/sh', args: [helpers/sandbox-exec.sh, NS, GROUP, NPROC, NOFILE, SECCOMP-FILE,
//                             <bwrap policy args>, '--', <fd-closer>, ...command] }
// after creating the limits' cgroup (sandbox-limits.ts) and the syscall filter (sandbox-seccomp.ts).
// sandbox-exec.sh (fixed, root-run) validates its arguments, joins the cgroup, opens
// /run/patchbay/userns/NS as fd 3 and the filter as fd 4, and execs
//   prlimit --nproc=NPROC --nofile=NOFILE -- env -i PATH=… TERM=xterm-256color \
//     nsenter --net=/run/netns/NS -- bwrap --userns 3 --seccomp 4 <policy args…>
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
// * the userns fd 3 (and the filter's fd 4) would be inherited by the command, and so would any fd
//   the server inherited without close-on-exec: FD_CLOSER (`bash -c 'for f in /proc/self/fd/*; …
//   exec {n}>&-; …; exec "$@"'`) closes every fd but 0-2 first.
// * limits: every sandbox is in a cgroup (pids, memory, CPU weight) and has RLIMIT_NPROC/NOFILE; a
//   seccomp filter denies the kernel surface no learner's tool needs (docs/isolation.md).
// * bwrap's --dev tmpfs is writable by the sandbox uid: /dev/shm gets its own size-limited tmpfs and
//   /dev is remounted read-only. /tmp, /run and /home/student are size-limited tmpfs; / is read-only.
// * /etc is curated: a few read-only host files the tools need (alternatives: iptables and nc are
//   alternatives symlinks) plus passwd/group/hosts generated under /run/patchbay/sandbox-etc (the host's
//   passwd, shadow and configuration are absent). /root, /var, /run/netns and other homes do not exist.
// * nested user namespaces are disabled by nsowner (user.max_user_namespaces=0 in the node's userns):
//   bwrap's --disable-userns would need --unshare-user, which cannot be combined with --userns.
//
// SCENARIO STEPS (`userns: 'init'`, step-sandbox.ts): a scenario's setup/solution steps and command
// checks run in this same sandbox, non-interactively. In a netns or router node that is exactly a
// student's sandbox. A host node's namespace (where bridges and tunnels live, and where a bridge's
// steps run) is owned by the init user namespace, so NET_ADMIN only counts there when held in the
// init userns: sandbox-exec.sh --init-userns starts bwrap without --userns (as root: bwrap then
// keeps the bounding set and cannot --uid), with the same mounts, pid/ipc/uts namespaces, /etc and
// no_new_privs, and the command starts under setpriv, which switches to SANDBOX_HOST_UID (an
// unprivileged host uid that owns no file) with NET_ADMIN/NET_RAW as its only capabilities,
// effective, ambient and bounding. SETUID/SETGID/SETPCAP are added to bwrap's set for setpriv alone
// and are gone before the command runs. Not root: root owns the machine's files and processes, so a
// uid-0 step would rely on the mounts alone; and Debian's tcpdump fails as a capless root. What it
// still reaches is written in docs/isolation.md (netnsids: the namespaces this lab's links touch).
//
// Teardown is sandbox-kill.ts's: --as-pid-1 makes the student's program the sandbox's init, so
// everything inside dies with it.

import { spawn, type ChildProcess, type StdioNull, type StdioPipe } from 'node:child_process';
import type { Stream } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { CHILD_ENV, assertNamespaceName } from './process.js';
import {
  SANDBOX_ETC_FILES,
  SANDBOX_HOME,
  SANDBOX_HOST_UID,
  SANDBOX_PATH,
  SANDBOX_UID,
  prepareSandboxEtc,
} from './sandbox-etc.js';
import { resolvConfFile } from './resolv-files.js';
import { killSandbox } from './sandbox-kill.js';
import {
  DEFAULT_SANDBOX_LIMITS,
  assertSandboxLimits,
  nodeSandboxGroup,
  prepareSandboxGroup,
  type SandboxLimits,
} from './sandbox-limits.js';
import { seccompFilterFile } from './sandbox-seccomp.js';

export const SANDBOX_EXEC_SCRIPT = fileURLToPath(new URL('../helpers/sandbox-exec.sh', import.meta.url));
const MiB = 1024 * 1024;
const FD_CLOSER =
  'for f in /proc/self/fd/*; do n=${f##*/}; if [[ $n =~ ^[0-9]+$ ]] && (( n > 2 )); then exec {n}>&-; fi; done; ' +
  'export PS1=$1; shift; exec "$@"';

export interface SandboxOptions {
  /** Hostname inside the sandbox (and in its prompt and /etc/hosts), e.g. the node name. */
  hostname: string;
  /** Command and arguments, run as the student. Default: an interactive login bash. */
  command?: readonly string[];
  /**
   * Who owns `ns`: 'own' (default) — its own user namespace (a netns or router node,
   * owned-namespaces.ts); 'init' — the init user namespace (a host node's namespace), for scenario
   * steps only (see SCENARIO STEPS above): never give a student a shell this way.
   */
  userns?: 'own' | 'init';
  /**
   * The group whose budget this sandbox shares, and the budget (sandbox-limits.ts). Default: a group
   * of its own per node namespace (`node.<ns>`, removed with the namespace by ownedNamespaceDel) with
   * DEFAULT_SANDBOX_LIMITS. The engine passes its lab's group, so a student's shells share one.
   */
  limits?: SandboxLimits;
  /**
   * Also NET_BIND_SERVICE (ports below 1024 in the node's namespace: a `run:` web server on port 80,
   * as a Docker container may since it sets ip_unprivileged_port_start=0). Bind is per network
   * namespace, so it reaches nothing outside the node. Default false (shells and steps).
   */
  bindLowPorts?: boolean;
}

/** The command runs as an unprivileged host uid with NET_ADMIN/NET_RAW only ('init' sandboxes; NET_BIND_SERVICE with bindLowPorts). */
const setprivToStepUser = (bindLowPorts: boolean): readonly string[] => {
  const caps = `-all,+net_admin,+net_raw${bindLowPorts ? ',+net_bind_service' : ''}`;
  return [
    '/usr/bin/setpriv',
    `--reuid=${SANDBOX_HOST_UID}`,
    `--regid=${SANDBOX_HOST_UID}`,
    '--clear-groups',
    `--inh-caps=${caps}`,
    `--ambient-caps=${caps}`,
    `--bounding-set=${caps}`,
    '--',
  ];
};

/**
 * The exact argv that starts a student sandbox in namespace `ns` (see the top of this file). Also
 * writes the generated /etc files it refers to (prepareSandboxEtc), creates and configures the
 * limits' cgroup (prepareSandboxGroup) and builds the syscall filter once (seccompFilterFile), so it
 * is all a pty caller needs. Throws, with nothing started, when any of them cannot be made.
 */
export function sandboxArgv(ns: string, opts: SandboxOptions): { file: string; args: string[] } {
  assertNamespaceName(ns);
  const limits = opts.limits ?? { group: nodeSandboxGroup(ns), ...DEFAULT_SANDBOX_LIMITS };
  assertSandboxLimits(limits);
  const command = opts.command && opts.command.length > 0 ? [...opts.command] : ['/bin/bash', '--login'];
  if (command.some((a) => typeof a !== 'string' || a.includes('\0'))) throw new Error('invalid sandbox command');
  const etc = prepareSandboxEtc(opts.hostname);
  prepareSandboxGroup(limits);
  const seccomp = seccompFilterFile();
  const h = opts.hostname;
  const init = opts.userns === 'init';
  const bwrap = [
    // (sandbox-exec.sh prepends: env -i … nsenter --net=/run/netns/NS -- bwrap --userns 3)
    // ('init': no --userns, so no --uid either: setpriv below switches uid)
    ...(init ? [] : ['--uid', String(SANDBOX_UID), '--gid', String(SANDBOX_UID)]),
    '--cap-drop',
    'ALL',
    '--cap-add',
    'CAP_NET_ADMIN',
    '--cap-add',
    'CAP_NET_RAW',
    ...(opts.bindLowPorts ? ['--cap-add', 'CAP_NET_BIND_SERVICE'] : []),
    ...(init ? ['--cap-add', 'CAP_SETUID', '--cap-add', 'CAP_SETGID', '--cap-add', 'CAP_SETPCAP'] : []),
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    '--hostname',
    h,
    '--as-pid-1', // the command is the pid namespace's init: when it exits, everything inside dies
    '--clearenv',
    '--ro-bind',
    '/usr',
    '/usr',
    // bwrap without a userns creates the parents of its mount points 0700 (root's): say 0755
    '--perms',
    '0755',
    '--dir',
    '/etc',
    '--perms',
    '0755',
    '--dir',
    '/home',
    '--symlink',
    'usr/bin',
    '/bin',
    '--symlink',
    'usr/sbin',
    '/sbin',
    '--symlink',
    'usr/lib',
    '/lib',
    '--symlink',
    'usr/lib64',
    '/lib64',
    ...SANDBOX_ETC_FILES.flatMap((f) => ['--ro-bind-try', `/etc/${f}`, `/etc/${f}`]),
    '--ro-bind',
    etc.passwd,
    '/etc/passwd',
    '--ro-bind',
    etc.group,
    '/etc/group',
    '--ro-bind',
    etc.hosts,
    '/etc/hosts',
    '--ro-bind',
    etc.profile,
    '/etc/profile',
    // the node's resolver settings (lab `dns:`), where `ip netns exec` takes them from; writable by
    // the node's user, as a container's resolv.conf is (resolv-files.ts owns it to that user)
    '--bind-try',
    resolvConfFile(ns),
    '/etc/resolv.conf',
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--perms',
    '1777',
    '--size',
    String(16 * MiB),
    '--tmpfs',
    '/dev/shm',
    '--remount-ro',
    '/dev',
    '--perms',
    '1777',
    '--size',
    String(64 * MiB),
    '--tmpfs',
    '/tmp',
    '--perms',
    '0755',
    '--size',
    String(1 * MiB),
    '--tmpfs',
    '/run',
    '--perms',
    // 'init': bwrap (root, no userns) makes the tmpfs root's; the step user is alone in its sandbox
    init ? '1777' : '0700',
    '--size',
    String(64 * MiB),
    '--tmpfs',
    SANDBOX_HOME,
    '--remount-ro',
    '/',
    '--chdir',
    SANDBOX_HOME,
    '--setenv',
    'HOME',
    SANDBOX_HOME,
    '--setenv',
    'USER',
    'student',
    '--setenv',
    'LOGNAME',
    'student',
    '--setenv',
    'SHELL',
    '/bin/bash',
    '--setenv',
    'TERM',
    'xterm-256color',
    '--setenv',
    'LANG',
    'C.UTF-8',
    '--setenv',
    'PATH',
    SANDBOX_PATH,
    '--',
    // close every fd but 0-2 before the student's program runs: the userns (3) and filter (4) fds,
    // and any fd the server itself inherited without close-on-exec (bash: dash cannot close fds
    // above 9). A fixed string; the prompt is $1 (a non-interactive bash drops an inherited PS1,
    // so it is exported here, never --setenv), the command "$@".
    '/bin/bash',
    '-c',
    FD_CLOSER,
    'sandbox',
    `student@${h}:\\w\\$ `,
    ...(init ? setprivToStepUser(!!opts.bindLowPorts) : []),
    ...command,
  ];
  const wrapper = [ns, limits.group, String(limits.processes), String(limits.openFiles), seccomp];
  return { file: '/bin/sh', args: [SANDBOX_EXEC_SCRIPT, ...(init ? ['--init-userns'] : []), ...wrapper, ...bwrap] };
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
