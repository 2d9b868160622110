// Scenario steps in a sandbox (step-sandbox.ts), on the real kernel. Topology (lab namespaces only):
//   pbkx-o (a netns node: owned by its own userns) eth0 10.98.0.2/24 ─ ho ─ br0 in pbkx-h
//   pbkx-h (a host node's namespace, owned by the init userns: bridges live here)
//   pbkx-x (another lab's namespace: not linked to either)
// Each command runs as a step would: runSandboxed(ns, ['sh', '-c', RUN]).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHILD_ENV,
  ProcessError,
  SANDBOX_EXEC_SCRIPT,
  SANDBOX_HOST_UID,
  listNamespaces,
  ownedNamespaceAdd,
  ownedNamespaceDel,
  pidsInNamespaces,
  run,
  runSandboxed,
  sandboxArgv,
  sandboxUsernsOf,
  seccompFilterFile,
} from './index.js';
import { cleanup, isRoot } from '../test/helpers.js';

const P = 'pbkx-';
const H = 'pbkx-h';
const O = 'pbkx-o';
const X = 'pbkx-x';
const SECRET = 'pbkx-sentinel-3f9a1c';

const step = (ns: string, script: string, timeoutMs = 15_000) =>
  runSandboxed(ns, ['sh', '-c', script], { hostname: ns === H ? 'hostnode' : 'node-o', timeoutMs });

async function must(p: Promise<{ code: number; stderr: string; stdout: string }>): Promise<string> {
  const r = await p;
  if (r.code !== 0) throw new Error(`setup failed: ${r.stderr || r.stdout}`);
  return r.stdout;
}

const linksIn = async (ns: string) =>
  (JSON.parse(await must(run('ip', ['-j', '-n', ns, 'link', 'show']))) as { ifname: string }[])
    .map((l) => l.ifname)
    .sort();
const rootState = async () =>
  (await Promise.all([run('ip', ['-br', 'link']), run('ip', ['-br', 'addr']), run('ip', ['route'])]))
    .map((r) => r.stdout)
    .join('\n');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let victimInH: ChildProcess | undefined; // a root process in the host namespace itself
let victimInRoot: ChildProcess | undefined; // a root process in the machine's namespace
let hostDir = ''; // a root-only directory on the host, with a sentinel file
let rootBefore = '';

async function teardown(): Promise<void> {
  for (const v of [victimInH, victimInRoot]) if (v?.pid && v.exitCode === null) v.kill('SIGKILL');
  await ownedNamespaceDel([O]);
  await cleanup(P);
  if (hostDir) rmSync(hostDir, { recursive: true, force: true });
}

describe.skipIf(!isRoot)('scenario steps in a sandbox', () => {
  beforeAll(async () => {
    await teardown();
    rootBefore = await rootState();
    process.env['PATCHBAY_SECRET'] = SECRET;
    expect((await ownedNamespaceAdd([O]))[0]?.ok).toBe(true);
    for (const ns of [H, X]) await must(run('ip', ['netns', 'add', ns]));
    await must(
      run('ip', ['-n', H, '-batch', '-'], {
        input: [
          'link set lo up',
          'link add br0 type bridge',
          'link set br0 up',
          `link add ho type veth peer name eth0 netns ${O}`,
          'link set ho master br0 up',
          'addr add 10.98.0.1/24 dev br0',
          '',
        ].join('\n'),
      }),
    );
    await must(
      run('ip', ['-n', O, '-batch', '-'], {
        input: 'link set lo up\naddr add 10.98.0.2/24 dev eth0\nlink set eth0 up\n',
      }),
    );
    hostDir = mkdtempSync(join(tmpdir(), 'pbkx-data-'));
    writeFileSync(join(hostDir, 'sentinel'), SECRET, { mode: 0o600 });
    victimInH = spawn('nsenter', [`--net=/run/netns/${H}`, '--', 'sleep', '1000'], {
      env: { ...CHILD_ENV },
      stdio: 'ignore',
    });
    victimInRoot = spawn('sleep', ['1000'], { env: { ...CHILD_ENV }, stdio: 'ignore' });
    await sleep(100);
  }, 60_000);

  afterAll(async () => {
    await teardown();
    delete process.env['PATCHBAY_SECRET'];
    expect(await listNamespaces(P)).toEqual([]);
    expect(await rootState()).toBe(rootBefore);
  }, 60_000);

  it('picks the sandbox by who owns the namespace', () => {
    expect(sandboxUsernsOf(O)).toBe('own');
    expect(sandboxUsernsOf(H)).toBe('init');
  });

  describe('results come back as from any command', () => {
    it.each([H, O])('in %s: exit status, stdout and stderr; a signal is 128+n', async (ns) => {
      expect(await step(ns, 'echo out; echo err >&2; exit 7')).toEqual({ code: 7, stdout: 'out\n', stderr: 'err\n' });
      expect((await step(ns, 'kill -TERM $$')).code).toBe(143);
    });

    it.each([H, O])('in %s: a command that outlives its time is killed with all it started', async (ns) => {
      const t0 = Date.now();
      const r = step(ns, 'echo started; sleep 100 & setsid sleep 101 & sleep 102', 1500);
      await expect(r).rejects.toThrow(ProcessError);
      await expect(r).rejects.toThrow(/timed out after 1500 ms/);
      const err = await r.catch((e: ProcessError) => e);
      expect((err as ProcessError).stdout).toBe('started\n');
      expect(Date.now() - t0).toBeLessThan(6000);
      const left = [...(await pidsInNamespaces([ns])).keys()].filter((p) => p !== victimInH?.pid);
      expect(left).toEqual([]);
    });

    it('too much output kills it', async () => {
      await expect(
        runSandboxed(H, ['sh', '-c', 'yes'], { hostname: 'h', timeoutMs: 10_000, maxOutputBytes: 100_000 }),
      ).rejects.toThrow(/printed more than 100000 bytes/);
      expect([...(await pidsInNamespaces([H])).keys()].filter((p) => p !== victimInH?.pid)).toEqual([]);
    });

    it('what a step leaves in the background ends with it', async () => {
      const r = await step(O, 'sleep 100 >/dev/null 2>&1 & echo bg');
      expect(r).toEqual({ code: 0, stdout: 'bg\n', stderr: '' });
      for (let i = 0; i < 50 && (await pidsInNamespaces([O])).size > 0; i++) await sleep(20);
      expect((await pidsInNamespaces([O])).size).toBe(0);
    });
  });

  describe("a step has the node's network privileges", () => {
    it('in a netns node: the student, uid 1000 with NET_ADMIN/NET_RAW in its own userns', async () => {
      const r = await step(
        O,
        'id -u; hostname; sysctl -w net.ipv4.ip_forward=1 >/dev/null && sysctl -n net.ipv4.ip_forward; ip addr add 10.98.1.2/24 dev eth0 && ip route add 10.97.0.0/24 via 10.98.0.1 && iptables -A INPUT -p icmp -j ACCEPT && iptables -S INPUT | tail -1; ping -c1 -W2 10.98.0.1 >/dev/null && echo ping-ok',
      );
      expect(r.stderr).toBe('');
      expect(r.stdout.split('\n')).toEqual(['1000', 'node-o', '1', '-A INPUT -p icmp -j ACCEPT', 'ping-ok', '']);
    });

    it("in a host's namespace: an unprivileged host uid, NET_ADMIN/NET_RAW only (bounding set too), no_new_privs", async () => {
      const r = await step(H, 'id -u; id -un; hostname; grep -E "^(Cap|NoNewPrivs)" /proc/self/status');
      expect(r.code, r.stderr).toBe(0);
      const [uid, name, host, ...status] = r.stdout.trim().split('\n');
      expect([uid, name, host]).toEqual([String(SANDBOX_HOST_UID), 'student', 'hostnode']);
      for (const k of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb'])
        expect(status).toContain(`${k}:\t0000000000003000`);
      expect(status).toContain('NoNewPrivs:\t1');
    });

    it("in a host's namespace: what the built-in scenarios do there works (sysctl, ip, bridge, iptables, tcpdump)", async () => {
      const r = await step(
        H,
        [
          'sysctl -qw net.ipv4.ip_forward=1 && sysctl -n net.ipv4.ip_forward',
          'sysctl -qw net.ipv4.neigh.br0.proxy_delay=0 && echo neigh-ok',
          'ip link add vx0 type vxlan id 42 local 10.98.0.1 dstport 4789 nolearning && bridge fdb append 00:00:00:00:00:00 dev vx0 dst 10.98.0.9 && bridge fdb show dev vx0 | grep -c 10.98.0.9',
          'ip link set vx0 master br0 && ip link set vx0 nomaster && ip link del vx0 && echo vx-ok',
          'iptables -t nat -A POSTROUTING -s 10.98.0.0/24 -j MASQUERADE && iptables -t nat -S POSTROUTING | tail -1',
          '(while :; do ping -c1 -W1 10.98.0.2 >/dev/null; sleep 0.2; done) & p=$!; timeout 8 tcpdump -nn -c1 -i br0 icmp 2>/dev/null | grep -c ICMP; kill $p',
        ].join('; '),
      );
      expect(r.stdout.split('\n'), r.stderr).toEqual([
        '1',
        'neigh-ok',
        '1',
        'vx-ok',
        '-A POSTROUTING -s 10.98.0.0/24 -j MASQUERADE',
        '1',
        '',
      ]);
      // and only in that namespace
      expect((await run('ip', ['netns', 'exec', X, 'sysctl', '-n', 'net.ipv4.ip_forward'])).stdout.trim()).toBe('0');
    });
  });

  describe('a step reaches nothing of the machine', () => {
    // [name, script]: each must fail in both kinds of sandbox; each prints what it got (the failure message)
    const mustFail: [string, () => string][] = [
      ['read /etc/shadow', () => 'cat /etc/shadow'],
      ['read the data directory', () => `cat ${hostDir}/sentinel`],
      ['list the data directory', () => `ls ${hostDir}`],
      ['read /root', () => 'ls -a /root'],
      ['read /run/netns', () => 'ls /run/netns'],
      ['read the host /home', () => 'ls -A /home | grep -vx student'],
      ['write /', () => 'touch /pbkx-evil'],
      ['write /usr', () => 'touch /usr/pbkx-evil'],
      ['write /etc', () => 'touch /etc/pbkx-evil'],
      ['write a kernel sysctl', () => 'echo $(cat /proc/sys/kernel/pid_max) > /proc/sys/kernel/pid_max'],
      [
        'sysctl -w kernel.printk_ratelimit',
        () => 'sysctl -w kernel.printk_ratelimit=$(cat /proc/sys/kernel/printk_ratelimit)',
      ],
      ['sysrq', () => 'echo h > /proc/sysrq-trigger'],
      ['see host processes', () => `ps -e -o pid=,comm= | grep -E "sleep|node|vitest|init"`],
      ['signal a root process in the same netns', () => `kill -0 ${victimInH!.pid}`],
      ['signal the test runner', () => `kill -0 ${process.pid}`],
      ['signal a root process in the root netns', () => `kill -9 ${victimInRoot!.pid}`],
      ['ip netns add', () => 'ip netns add pbkx-evil'],
      ['ip netns exec another namespace', () => `ip netns exec ${X} ip link`],
      ['move a link into another namespace by name', () => `ip link add e0 type veth peer name e1 netns ${X}`],
      [
        'move a link into another namespace by path',
        () => `ip link add e0 type veth peer name e1 netns /run/netns/${X}`,
      ],
      [
        'move a link to the root netns by host pid',
        () => `ip link add e0 type veth peer name e1 netns ${victimInRoot!.pid}`,
      ],
      [
        'nsenter the machine netns via /proc/1/ns/net',
        () => 'nsenter --net=/proc/1/ns/net ip addr add 198.51.100.77/32 dev lo',
      ],
      ['nsenter a host process', () => `nsenter -t ${victimInRoot!.pid} -n ip link`],
      ['unshare -n (a namespace of its own)', () => 'unshare -n true'],
      ['mount', () => 'mount -t tmpfs none /tmp'],
      ['chroot', () => 'chroot / true'],
      ['su', () => 'su -c id root </dev/null'],
      ['dmesg', () => 'dmesg'],
    ];
    for (const ns of [H, O]) {
      it.each(mustFail)(`in ${ns}: %s`, async (_name, script) => {
        const r = await step(ns, `${script()}; rc=$?; echo "rc=$rc"; exit $rc`);
        expect(r.code, `${r.stdout}${r.stderr}`).not.toBe(0);
        expect(r.stdout + r.stderr).not.toContain(SECRET);
      });
    }

    it.each([H, O])(
      'in %s: writes land in a private tmpfs; kill -9 -1 kills only the step; the environment is clean',
      async (ns) => {
        const r = await step(
          ns,
          `echo pwned > /tmp/pbkx-pwned; echo pwned > ${hostDir}/pwned; cat /proc/1/environ; env; kill -9 -1; echo after-kill`,
        );
        expect(r.stdout + r.stderr).not.toContain(SECRET);
        expect(existsSync('/tmp/pbkx-pwned') || existsSync(join(hostDir, 'pwned'))).toBe(false);
        expect(readFileSync(join(hostDir, 'sentinel'), 'utf8')).toBe(SECRET);
        expect(victimInH!.exitCode).toBeNull();
        expect(victimInRoot!.exitCode).toBeNull();
        expect(statSync(`/proc/${victimInRoot!.pid}`).isDirectory()).toBe(true);
      },
    );

    it("in a host's namespace, NET_ADMIN reaches through netnsids only the namespaces its links touch", async () => {
      // from the machine's view: every netnsid in H names a lab namespace (the root netns has none)
      const ids = await must(run('ip', ['-n', H, 'netns', 'list-id']));
      const lines = ids.trim().split('\n').filter(Boolean);
      expect(lines.length).toBeGreaterThanOrEqual(1);
      for (const l of lines) expect(l).toMatch(new RegExp(`\\(iproute2 netns name: ${P}`));
      // nothing a step does adds one: the only netns it can name is its own (pid 1 and /proc/self are the sandbox's)
      await step(H, 'ip netns set self 200; ip netns set /proc/1/ns/net 201; ip link set lo netns 1; true');
      expect(await must(run('ip', ['-n', H, 'netns', 'list-id']))).toBe(ids);
    });

    it('the namespaces and the machine are as they were', async () => {
      expect(await linksIn(H)).toEqual(['br0', 'ho', 'lo']);
      expect(await linksIn(O)).toEqual(['eth0', 'lo']);
      expect(await linksIn(X)).toEqual(['lo']);
      expect(await listNamespaces('pbkx-evil')).toEqual([]);
      expect(await rootState()).toBe(rootBefore);
    });
  });

  describe('the wrapper', () => {
    it('--init-userns validates the name and refuses a namespace that has its own userns', async () => {
      for (const [args, why] of [
        [['--init-userns', '../x'], /invalid namespace name/],
        [['--init-userns', O], /has its own user namespace/],
        [['--init-userns', 'pbkx-missing'], /no namespace/],
        [['--init-userns'], /invalid namespace name/],
      ] as const) {
        const rest = args.length > 1 ? ['node.pbkx-h', '256', '1024', seccompFilterFile()] : [];
        const r = await run('sh', [SANDBOX_EXEC_SCRIPT, ...args, ...rest, '--', 'true']);
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(why);
      }
    });

    it('sandboxArgv builds the init sandbox only when asked', () => {
      const own = sandboxArgv(O, { hostname: 'h' }).args;
      const init = sandboxArgv(H, { hostname: 'h', userns: 'init' }).args;
      expect(own.slice(0, 2)).toEqual([SANDBOX_EXEC_SCRIPT, O]);
      expect(own).not.toContain('/usr/bin/setpriv');
      expect(own).not.toContain('CAP_SETUID');
      expect(init.slice(0, 3)).toEqual([SANDBOX_EXEC_SCRIPT, '--init-userns', H]);
      expect(init).not.toContain('--uid');
      expect(init.indexOf('/usr/bin/setpriv')).toBeGreaterThan(init.indexOf('--'));
    });
  });
});
