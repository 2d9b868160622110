// Escape suite, syscall part: every call the sandbox's seccomp policy denies is attempted by a
// small program (test/syscall_probe.py, ctypes + syscall()) run as the student inside a sandbox,
// and must fail with the policy's errno; calls through another ABI (i386 int 0x80, x32) kill the
// process; what the learner's tools need (fork, threads, spawn) keeps working. The tool checks
// themselves (ping, tcpdump, ip, iptables, nft, nc, ...) run under the same filter in
// sandbox.kernel.test.ts. Namespace: pbksc-a (own userns), nothing else.
import { existsSync, readFileSync } from 'node:fs';
import { arch } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SANDBOX_EXEC_SCRIPT,
  SECCOMP_FILE_RE,
  listNamespaces,
  ownedNamespaceAdd,
  ownedNamespaceDel,
  run,
  sandboxArgv,
  seccompFilterFile,
  seccompPolicy,
} from './index.js';
import { isRoot } from '../test/helpers.js';
import { runInSandbox } from '../test/sandbox-run.js';

const A = 'pbksc-a';
const PROBE = readFileSync(fileURLToPath(new URL('../test/syscall_probe.py', import.meta.url)), 'utf8');
const SIGSYS = 31;

const probe = (mode: string) => runInSandbox(A, ['python3', '-c', PROBE, mode], { timeoutMs: 20_000 });

/** "name result" lines of the probe's `denied` mode, as a map. */
function results(stdout: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of stdout.trim().split('\n')) {
    const i = line.lastIndexOf(' ');
    if (i > 0) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

describe.skipIf(!isRoot || arch() !== 'x64')('sandbox syscall filter (seccomp)', () => {
  beforeAll(async () => {
    await ownedNamespaceDel([A]); // leftovers of an interrupted run
    const added = await ownedNamespaceAdd([A]);
    expect(added[0]?.ok, JSON.stringify(added)).toBe(true);
  });

  afterAll(async () => {
    await ownedNamespaceDel([A]);
    expect(await listNamespaces('pbksc-')).toEqual([]);
  });

  it('the filter file is built once and has the shape the wrapper accepts', () => {
    const file = seccompFilterFile();
    expect(file).toMatch(SECCOMP_FILE_RE);
    expect(existsSync(file)).toBe(true);
    const size = readFileSync(file).length;
    expect(size % 8).toBe(0); // struct sock_filter: 8 bytes each
    expect(size).toBeGreaterThan(8 * 40);
    expect(seccompFilterFile()).toBe(file);
  });

  it('the wrapper refuses a filter path of any other shape', async () => {
    const bad = await run('sh', [SANDBOX_EXEC_SCRIPT, A, 'node.x', '64', '1024', '/etc/passwd', '--', 'true']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid seccomp filter file/);
    const traversal = await run('sh', [
      SANDBOX_EXEC_SCRIPT,
      A,
      'node.x',
      '64',
      '1024',
      '/run/patchbay/seccomp/sandbox-../../../e.bpf',
      '--',
      'true',
    ]);
    expect(traversal.code).toBe(2);
  });

  it('the sandbox runs under a seccomp filter (Seccomp: 2)', async () => {
    const r = await runInSandbox(A, ['grep', '-E', '^Seccomp(_filters)?:', '/proc/self/status']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Seccomp:\s+2$/m);
    expect(r.stdout).toMatch(/^Seccomp_filters:\s+1$/m);
  });

  it('no fd but 0-2 reaches the student: not the userns (3), the filter (4), nor one the server inherited', async () => {
    // fd 9 stands for an fd the server got from its parent without close-on-exec
    // (`; true`: bash would otherwise exec ls in its place; ls lists the fds of the shell, pid 1)
    const { file, args } = sandboxArgv(A, { hostname: 'node', command: ['bash', '-c', 'ls /proc/$$/fd; true'] });
    const r = await run('sh', ['-c', 'exec 9</etc/hostname; exec "$@"', 'sh', file, ...args]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split(/\s+/).sort()).toEqual(['0', '1', '2']);
  });

  describe('every denied call fails with the policy errno', () => {
    let got = new Map<string, string>();
    beforeAll(async () => {
      const r = await probe('denied');
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^seccomp: 2$/m);
      got = results(r.stdout);
    }, 30_000);

    const policy = isRoot ? seccompPolicy() : [];
    const denied = policy.filter((p) => p.syscall !== 'clone' && !p.when);
    // The probe tries every denied call it has an x86_64 number for; the policy's host-wide
    // administration calls (reboot, swapon, ...) are not tried: the sandbox lacks their capability anyway.
    const tried = new Set([...PROBE.matchAll(/"([a-z0-9_]+)": \d+/g)].map((m) => m[1]!));
    const single = denied.filter((p) => tried.has(p.syscall) && p.syscall !== 'unshare'); // unshare: below
    it.each(single.map((p) => [p.syscall, p.errno] as const))('%s -> %s', (syscall, errno) => {
      expect(got.get(syscall), `probe output: ${[...got].join('; ')}`).toBe(errno);
    });

    it.each([
      'CLONE_NEWNS',
      'CLONE_NEWCGROUP',
      'CLONE_NEWUTS',
      'CLONE_NEWIPC',
      'CLONE_NEWUSER',
      'CLONE_NEWPID',
      'CLONE_NEWNET',
    ])('clone(%s) -> EPERM', (flag) => {
      expect(got.get(`clone(${flag})`)).toBe('EPERM');
    });

    it('unshare and setns fail whatever their arguments (a no-op unshare(0) included)', () => {
      for (const k of ['unshare(0)', 'unshare(CLONE_NEWNET)', 'unshare(CLONE_NEWUSER)', 'setns']) {
        expect(got.get(k), k).toBe('EPERM');
      }
    });

    it('the policy covers what the issue lists', () => {
      const names = new Set(policy.map((p) => p.syscall));
      for (const s of [
        'keyctl',
        'add_key',
        'request_key',
        'bpf',
        'perf_event_open',
        'userfaultfd',
        'io_uring_setup',
        'io_uring_enter',
        'io_uring_register',
        'ptrace',
        'process_vm_readv',
        'process_vm_writev',
        'mount',
        'umount2',
        'pivot_root',
        'move_mount',
        'open_tree',
        'fsopen',
        'fsmount',
        'fsconfig',
        'fspick',
        'mount_setattr',
        'unshare',
        'setns',
        'clone',
        'clone3',
        'kexec_load',
        'kexec_file_load',
        'init_module',
        'finit_module',
        'delete_module',
      ]) {
        expect(names.has(s), s).toBe(true);
      }
      expect(policy.find((p) => p.syscall === 'clone3')?.errno).toBe('ENOSYS');
    });
  });

  it('another ABI cannot bypass the filter: i386 int 0x80 kills the process (SIGSYS)', async () => {
    const r = await probe('int80');
    expect(r.stdout).toMatch(/^seccomp: 2$/m);
    expect(r.stdout).not.toMatch(/returned/);
    expect(r.code, r.stdout + r.stderr).toBe(128 + SIGSYS);
  });

  it('another ABI cannot bypass the filter: x32 numbers kill the process (SIGSYS)', async () => {
    const r = await probe('x32');
    expect(r.stdout).not.toMatch(/returned/);
    expect(r.code, r.stdout + r.stderr).toBe(128 + SIGSYS);
  });

  it("what the learner's tools need keeps working: fork, clone, threads (clone3 -> clone), spawn", async () => {
    const r = await probe('allowed');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    for (const k of ['fork', 'clone', 'thread', 'subprocess', 'unshare-less getpid']) {
      expect(r.stdout, k).toMatch(new RegExp(`^${k} ok$`, 'm'));
    }
  });

  it('tc (tbf, htb), a bridge and a veth pair, nft sets and tcpdump -w work under the filter', async () => {
    const r = await runInSandbox(A, [
      'bash',
      '-ec',
      [
        'ip link set lo up',
        'ip link add t0 type veth peer name t1',
        'ip link set t0 up; ip link set t1 up',
        'tc qdisc add dev t0 root tbf rate 1mbit burst 32kbit latency 400ms',
        'tc qdisc show dev t0',
        'tc qdisc del dev t0 root',
        'tc qdisc add dev t0 root handle 1: htb',
        'tc class add dev t0 parent 1: classid 1:1 htb rate 1mbit',
        'tc class show dev t0',
        'ip link add b0 type bridge; ip link set t1 master b0; bridge link show dev t1',
        "nft add table inet pbk; nft add set inet pbk s '{ type ipv4_addr; }'",
        "nft add element inet pbk s '{ 10.0.0.1 }'; nft list set inet pbk s",
        // pings until tcpdump has its packet and ends (a loaded machine may start it late)
        'timeout 8 tcpdump -i lo -c1 -w /tmp/p.pcap icmp 2>/dev/null & td=$!',
        'while kill -0 $td 2>/dev/null; do ping -c1 -W1 127.0.0.1 >/dev/null; sleep 0.1; done',
        'test -s /tmp/p.pcap && echo pcap-written',
      ].join('\n'),
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/qdisc tbf \S+ root .*rate 1Mbit/);
    expect(r.stdout).toMatch(/class htb 1:1 root .*rate 1Mbit/);
    expect(r.stdout).toMatch(/t1.*master b0/);
    expect(r.stdout).toContain('10.0.0.1');
    expect(r.stdout).toContain('pcap-written');
  });

  it('bash job control, pipes and a background job still work under the filter', async () => {
    const r = await runInSandbox(A, [
      'bash',
      '-ic',
      'sleep 5 & jobs; kill %1; wait; echo done | tr a-z A-Z; python3 -c "import threading; t=threading.Thread(target=print, args=(\'th\',)); t.start(); t.join()"',
    ]);
    expect(r.stdout).toMatch(/\[1\]\+\s+Running\s+sleep 5 &/);
    expect(r.stdout).toContain('DONE');
    expect(r.stdout).toContain('th');
  });
});
