// Escape suite for student sandboxes. Topology (all inside lab namespaces, never the root netns):
//   pbk7-a (student, own userns) eth0 10.99.0.1/24 ─┐
//                                                    br0 in pbk7-s (switch, plain `ip netns add`)
//   pbk7-b (student, own userns) eth0 10.99.0.2/24 ─┘
// Commands run as a student inside a sandbox in pbk7-a, non-interactively (bash -c).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHILD_ENV,
  SANDBOX_EXEC_SCRIPT,
  killSandbox,
  listNamespaces,
  ownedNamespaceAdd,
  ownedNamespaceDel,
  ownedNamespaceUid,
  pidsInNamespaces,
  run,
  sandboxArgv,
  spawnSandbox,
  userNamespacePath,
  type SandboxProcess,
} from './index.js';
import { cleanup, isRoot } from '../test/helpers.js';
import { runInSandbox } from '../test/sandbox-run.js';

const P = 'pbk7-';
const A = 'pbk7-a';
const B = 'pbk7-b';
const S = 'pbk7-s';
const SECRET_VALUE = 'xyz-pbk7-secret';
const NSID_ATTACK = readFileSync(fileURLToPath(new URL('../test/nsid_attack.py', import.meta.url)), 'utf8');

interface Out {
  code: number;
  stdout: string;
  stderr: string;
}

const live = new Set<SandboxProcess>();

/** Runs argv as the student in a sandbox in `ns`; collects output; always tears the sandbox down. */
async function inSandbox(ns: string, command: string[], timeoutMs = 15_000): Promise<Out> {
  const hostname = ns === A ? 'node-a' : 'node-b';
  const { timedOut, ...r } = await runInSandbox(ns, command, { hostname, timeoutMs, live });
  if (timedOut) throw new Error(`sandbox command timed out: ${command.join(' ')}\n${r.stdout}\n${r.stderr}`);
  return r;
}

const bash = (script: string, timeoutMs?: number) => inSandbox(A, ['bash', '-c', script], timeoutMs);
const hostTool = (name: string) => ['/usr/bin/', '/usr/sbin/'].some((d) => existsSync(d + name));

async function must(p: Promise<{ code: number; stderr: string; stdout: string }>): Promise<string> {
  const r = await p;
  if (r.code !== 0) throw new Error(`setup failed: ${r.stderr || r.stdout}`);
  return r.stdout;
}

async function linksIn(ns: string): Promise<string[]> {
  const out = await must(run('ip', ['-j', '-n', ns, 'link', 'show']));
  return (JSON.parse(out) as { ifname: string }[]).map((l) => l.ifname);
}

let serverB: SandboxProcess | undefined; // another student's process (an http server in B)
let serverBPid = 0;
let rootVictim: ChildProcess | undefined; // a root-owned process in the switch netns
let nsidOfSwitch = -1;
let uidA = 0;
let uidB = 0;

async function teardown(): Promise<void> {
  for (const sb of [...live, ...(serverB ? [serverB] : [])]) await sb.kill().catch(() => {});
  live.clear();
  serverB = undefined;
  if (rootVictim?.pid && rootVictim.exitCode === null) rootVictim.kill('SIGKILL');
  await ownedNamespaceDel([A, B]);
  await cleanup(P); // the switch (plain ip netns), and anything else left with our prefix
}

describe.skipIf(!isRoot)('student sandbox (userns-owned netns + bwrap)', () => {
  beforeAll(async () => {
    await teardown(); // leftovers of an interrupted run
    process.env['PATCHBAY_SECRET'] = SECRET_VALUE; // must never be visible inside
    const added = await ownedNamespaceAdd([A, B]);
    expect(
      added.map((r) => r.ok),
      JSON.stringify(added),
    ).toEqual([true, true]);
    uidA = added[0]!.uid!;
    uidB = added[1]!.uid!;
    await must(run('ip', ['netns', 'add', S]));
    await must(
      run('ip', ['-n', S, '-batch', '-'], {
        input:
          [
            'link set lo up',
            'link add br0 type bridge',
            'link set br0 up',
            `link add sa type veth peer name eth0 netns ${A}`,
            `link add sb type veth peer name eth0 netns ${B}`,
            'link set sa master br0 up',
            'link set sb master br0 up',
          ].join('\n') + '\n',
      }),
    );
    for (const [ns, addr] of [
      [A, '10.99.0.1/24'],
      [B, '10.99.0.2/24'],
    ] as const) {
      await must(
        run('ip', ['-n', ns, '-batch', '-'], {
          input: `link set lo up\naddr add ${addr} dev eth0\nlink set eth0 up\n`,
        }),
      );
    }
    const eth0 = JSON.parse(await must(run('ip', ['-j', '-n', A, 'link', 'show', 'eth0']))) as {
      link_netnsid?: number;
    }[];
    nsidOfSwitch = eth0[0]!.link_netnsid ?? -1;
    expect(nsidOfSwitch).toBeGreaterThanOrEqual(0);

    serverB = spawnSandbox(B, {
      hostname: 'node-b',
      command: ['bash', '-c', 'echo hello-from-b > index.html; exec python3 -m http.server --bind 10.99.0.2 8080'],
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    for (let i = 0; i < 300; i++) {
      const ss = await run('nsenter', [`--net=/run/netns/${B}`, '--', 'ss', '-ltnp']);
      if (ss.stdout.includes('10.99.0.2:8080')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const inB = await pidsInNamespaces([B]);
    serverBPid = [...inB.keys()].find((pid) => readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('python3')) ?? 0;
    expect(serverBPid).toBeGreaterThan(0);

    rootVictim = spawn('nsenter', [`--net=/run/netns/${S}`, '--', 'sleep', '1000'], {
      env: { ...CHILD_ENV },
      stdio: 'ignore',
    });
    await new Promise((r) => setTimeout(r, 100));
  }, 60_000);

  afterAll(async () => {
    await teardown();
    delete process.env['PATCHBAY_SECRET'];
    expect(await listNamespaces(P)).toEqual([]);
    expect(existsSync(userNamespacePath(A)) || existsSync(userNamespacePath(B))).toBe(false);
    expect(existsSync(`/run/patchbay/uids/${uidA}`) || existsSync(`/run/patchbay/uids/${uidB}`)).toBe(false);
  }, 60_000);

  describe('nsowner', () => {
    it('maps inside uid 1000 to a unique unprivileged host uid per namespace', async () => {
      expect(uidA).not.toBe(uidB);
      for (const u of [uidA, uidB]) expect(u >= 300_000 && u < 1_300_000).toBe(true);
      expect(await ownedNamespaceUid(A)).toBe(uidA);
      expect(readFileSync(`/run/patchbay/uids/${uidA}`, 'utf8')).toBe(A);
      // the other student's server runs as B's host uid, seen from the host
      expect(readFileSync(`/proc/${serverBPid}/status`, 'utf8')).toMatch(new RegExp(`^Uid:\\s+${uidB}\\s`, 'm'));
    });

    it('refuses to add an existing namespace and changes nothing', async () => {
      const before = (await run('stat', ['-L', '-c', '%i', `/run/netns/${A}`])).stdout;
      const r = await ownedNamespaceAdd([A]);
      expect(r[0]).toMatchObject({ name: A, ok: false });
      expect(r[0]!.error).toMatch(/already exists/);
      expect((await run('stat', ['-L', '-c', '%i', `/run/netns/${A}`])).stdout).toBe(before);
      expect(await ownedNamespaceUid(A)).toBe(uidA);
      expect(await linksIn(A)).toContain('eth0');
    });

    it('frees a uid file an add killed mid-way left empty (older than 10 s), never one being written', async () => {
      // An add creates the file empty (O_EXCL) and writes its namespace's name at once; SIGKILL in
      // between left it empty, and nothing would ever free it. Any delete's scan frees it.
      const orphan = '/run/patchbay/uids/1299998';
      const fresh = '/run/patchbay/uids/1299999';
      expect(existsSync(orphan) || existsSync(fresh)).toBe(false);
      try {
        writeFileSync(orphan, '');
        writeFileSync(fresh, '');
        const old = new Date(Date.now() - 60_000);
        utimesSync(orphan, old, old);
        expect(await ownedNamespaceDel(['pbk7-never-existed'])).toEqual([{ name: 'pbk7-never-existed', ok: true }]);
        expect(existsSync(orphan)).toBe(false);
        expect(existsSync(fresh)).toBe(true);
      } finally {
        rmSync(orphan, { force: true });
        rmSync(fresh, { force: true });
      }
    });

    it('deletes a missing namespace without error; rejects invalid names', async () => {
      expect(await ownedNamespaceDel(['pbk7-never-existed'])).toEqual([{ name: 'pbk7-never-existed', ok: true }]);
      await expect(ownedNamespaceAdd(['pbk7-A/../x'])).rejects.toThrow(/invalid namespace name/);
      const direct = await run('python3', [
        fileURLToPath(new URL('../helpers/nsowner.py', import.meta.url)),
        'add',
        'pbk7-ok',
        '../etc',
      ]);
      expect(direct.code).toBe(2);
      expect(existsSync('/run/netns/pbk7-ok')).toBe(false);
    });

    it('the wrapper script and sandboxArgv validate their inputs', async () => {
      const bad = await run('sh', [SANDBOX_EXEC_SCRIPT, '../x', '--', 'true']);
      expect(bad.code).toBe(2);
      const missing = await run('sh', [SANDBOX_EXEC_SCRIPT, 'pbk7-missing', '--', 'true']);
      expect(missing.code).not.toBe(0);
      expect(() => sandboxArgv('pbk7-a;x', { hostname: 'h' })).toThrow(/invalid namespace/);
      expect(() => sandboxArgv(A, { hostname: 'a b' })).toThrow(/invalid sandbox hostname/);
      expect(() => sandboxArgv(A, { hostname: '$(id)' })).toThrow(/invalid sandbox hostname/);
    });
  });

  describe("the learner's tools work", () => {
    it('is uid 1000 named student, with its hostname and prompt', async () => {
      const r = await bash('id -un; id -u; hostname; pwd');
      expect(r.stdout.split('\n').slice(0, 4)).toEqual(['student', '1000', 'node-a', '/home/student']);
      // (a non-interactive bash unsets PS1, so ask printenv directly; an interactive bash keeps it)
      expect((await inSandbox(A, ['printenv', 'PS1'])).stdout).toBe('student@node-a:\\w\\$ \n');
    });

    it('a login shell (what a terminal opens) finds the sbin tools by name', async () => {
      const r = await inSandbox(A, [
        '/bin/bash',
        '--login',
        '-c',
        'echo "$PATH"; command -v ip sysctl iptables nft arping tcpdump',
      ]);
      expect(r.code, r.stderr).toBe(0);
      const [path, ...tools] = r.stdout.trim().split('\n');
      expect(path!.split(':')).toEqual(expect.arrayContaining(['/usr/sbin', '/usr/bin', '/sbin', '/bin']));
      expect(tools).toHaveLength(6);
    });

    it('ip addr', async () => {
      const r = await bash('ip -br addr show eth0');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('10.99.0.1/24');
    });

    it('ip link set eth0 down / up', async () => {
      const r = await bash(
        'ip link set eth0 down && ip -br link show eth0 && ip link set eth0 up && ip -br link show eth0',
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/eth0@\S+\s+DOWN[\s\S]*eth0@\S+\s+(UP|LOWERLAYERDOWN|UNKNOWN)/);
    });

    it('ip addr add / del', async () => {
      const r = await bash(
        'ip addr add 10.99.1.1/24 dev eth0 && ip -br addr show eth0 && ip addr del 10.99.1.1/24 dev eth0',
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('10.99.1.1/24');
    });

    it('ip route add / del', async () => {
      const r = await bash(
        'ip route add 10.98.0.0/24 via 10.99.0.2 && ip route show 10.98.0.0/24 && ip route del 10.98.0.0/24',
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('10.98.0.0/24 via 10.99.0.2');
    });

    it('ping the neighbour', async () => {
      const r = await bash('ping -c1 -W2 10.99.0.2 || ping -c1 -W2 10.99.0.2');
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/1 received/);
    });

    it.each(['eth0', 'any'])('tcpdump -c 1 -i %s while a ping runs', async (dev) => {
      const r = await bash(
        // pings until the capture has one (on a loaded machine tcpdump may start late)
        `(while :; do ping -c1 -W1 10.99.0.2 >/dev/null; sleep 0.2; done) & p=$!; timeout 8 tcpdump -nn -l -c1 -i ${dev} icmp; s=$?; kill $p; exit $s`,
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/ICMP echo/);
    });

    it('ss -tan', async () => {
      const r = await bash('ss -tan');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^State/);
    });

    it('curl to the other student (TCP A -> B)', async (ctx) => {
      if (!hostTool('curl')) ctx.skip(); // package curl
      const r = await bash('curl -s -m5 http://10.99.0.2:8080/index.html');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('hello-from-b');
    });

    it('nc -l / nc between A and B', async (ctx) => {
      if (!hostTool('nc')) {
        console.warn('skipped: nc is not installed (Debian package netcat-openbsd)');
        ctx.skip();
      }
      const listener = inSandbox(B, ['bash', '-c', 'timeout 8 nc -l -N 10.99.0.2 7777'], 12_000);
      // until the listener is up (refused before): a loaded machine may start it late
      const r = await bash(
        'for i in $(seq 40); do echo hi-over-nc | nc -N -w3 10.99.0.2 7777 2>/dev/null && exit 0; sleep 0.2; done; exit 1',
      );
      expect(r.code, r.stderr).toBe(0);
      expect((await listener).stdout).toContain('hi-over-nc');
    });

    it('iptables -L / -A / -D', async () => {
      const r = await bash(
        'iptables -L -n >/dev/null && iptables -A INPUT -p icmp -j ACCEPT && iptables -S INPUT && iptables -D INPUT -p icmp -j ACCEPT',
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('-A INPUT -p icmp -j ACCEPT');
    });

    it('nft list ruleset / add table', async () => {
      const r = await bash('nft add table inet pbk7 && nft list ruleset && nft delete table inet pbk7');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('table inet pbk7');
    });

    it('sysctl -w net.ipv4.ip_forward=1 (own netns only)', async () => {
      const r = await bash('sysctl -w net.ipv4.ip_forward=1 && sysctl -n net.ipv4.ip_forward');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/1\s*$/);
      expect(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim()).not.toBe(''); // the host value is its own
      const inB = await run('nsenter', [`--net=/run/netns/${B}`, '--', 'sysctl', '-n', 'net.ipv4.ip_forward']);
      expect(inB.stdout.trim()).toBe('0');
    });

    for (const [tool, pkg, script] of [
      ['traceroute', 'traceroute', 'traceroute -n -q1 -w1 -m2 10.99.0.2'],
      ['tracepath', 'iputils-tracepath', 'tracepath -n -m2 10.99.0.2'],
      ['arping', 'arping (or iputils-arping)', 'arping -c1 -w2 -I eth0 10.99.0.2'],
    ] as const) {
      it(`${tool} (if installed)`, async (ctx) => {
        if (!hostTool(tool)) {
          console.warn(`skipped: ${tool} is not installed (Debian package ${pkg})`);
          ctx.skip();
        }
        const r = await bash(script);
        expect(r.code, r.stdout + r.stderr).toBe(0);
        expect(r.stdout).toContain('10.99.0.2');
      });
    }
  });

  describe('escape attempts fail', () => {
    // [name, script]: the script must exit non-zero. Each one prints what it got, for the failure message.
    const mustFail: [string, () => string][] = [
      ['list /run/netns', () => 'ls /run/netns'],
      ['ip netns exec the other student', () => `ip netns exec ${B} ip link`],
      ['ip netns exec the switch', () => `ip netns exec ${S} ip link`],
      ['nsenter -n into a root process in the switch netns', () => `nsenter -t ${rootVictim!.pid} -n ip link`],
      ['nsenter -n into the test runner (root netns)', () => `nsenter -t ${process.pid} -n ip link`],
      ['nsenter -n into the other student', () => `nsenter -t ${serverBPid} -n ip link`],
      ['nsenter --net=/proc/1/ns/net (needs CAP_SYS_ADMIN)', () => 'nsenter --net=/proc/1/ns/net true'],
      ['nsenter --user=/proc/1/ns/user', () => 'nsenter --user=/proc/1/ns/user true'],
      ['ip link set eth0 netns <root pid in the switch>', () => `ip link set eth0 netns ${rootVictim!.pid}`],
      ['ip link set eth0 netns <other student pid>', () => `ip link set eth0 netns ${serverBPid}`],
      ['ip link set eth0 netns <name of other student>', () => `ip link set eth0 netns ${B}`],
      ['ip link set eth0 netns /run/netns/<switch>', () => `ip link set eth0 netns /run/netns/${S}`],
      [
        'veth with its peer in the switch (by name)',
        () => `ip link add x0 type veth peer name y0 netns ${S}; r=$?; ip link del x0 2>/dev/null; exit $r`,
      ],
      [
        'veth with its peer in a root process netns (by pid)',
        () =>
          `ip link add x0 type veth peer name y0 netns ${rootVictim!.pid}; r=$?; ip link del x0 2>/dev/null; exit $r`,
      ],
      ['ip link del the switch bridge br0 (not visible)', () => 'ip link del br0'],
      ['ip link add a link in the switch via -n', () => `ip -n ${S} link add pwn0 type bridge`],
      ['ip netns add', () => 'ip netns add pbk7-evil'],
      ['unshare -Ur (nested user namespace)', () => 'unshare -Ur id'],
      ['unshare -Urn (nested userns + netns)', () => 'unshare -Urn ip link'],
      ['unshare -n', () => 'unshare -n true'],
      ['mount a tmpfs (setuid mount, no_new_privs)', () => 'mount -t tmpfs none /tmp'],
      ['read /etc/shadow', () => 'cat /etc/shadow'],
      ['read the server data dir /var/lib/patchbay', () => 'ls /var/lib/patchbay'],
      ['read /root', () => 'ls -a /root'],
      ['read the host /home', () => 'ls -A /home | grep -vx student'],
      ['write to /', () => 'touch /pbk7-evil'],
      ['write to /usr', () => 'touch /usr/pbk7-evil'],
      ['write to /etc', () => 'touch /etc/pbk7-evil'],
      ['write to /dev', () => 'touch /dev/pbk7-evil'],
      ['write into /proc/sys/kernel', () => 'echo 1 > /proc/sys/kernel/pid_max'],
      ['chroot', () => 'chroot / /bin/true'],
      ['sudo', () => 'sudo -n id'],
      ['su to root (setuid, no_new_privs)', () => 'su -c id root </dev/null'],
      ['sysctl -w kernel.pid_max (host sysctl)', () => 'sysctl -w kernel.pid_max=$(cat /proc/sys/kernel/pid_max)'],
      [
        'sysctl -w kernel.printk_ratelimit (host sysctl)',
        () => 'sysctl -w kernel.printk_ratelimit=$(cat /proc/sys/kernel/printk_ratelimit)',
      ],
      [
        'sysctl -w vm.overcommit_memory (host sysctl)',
        () => 'sysctl -w vm.overcommit_memory=$(cat /proc/sys/vm/overcommit_memory)',
      ],
      ['sysrq trigger', () => 'echo h > /proc/sysrq-trigger'],
      ['dmesg', () => 'dmesg'],
      ['kill -9 a root process in the switch netns', () => `kill -9 ${rootVictim!.pid}`],
      ['signal the test runner (kill -0)', () => `kill -0 ${process.pid}`],
      ['kill -9 the other student', () => `kill -9 ${serverBPid}`],
      ['the userns fd 3 is not inherited', () => 'ls -l /proc/$$/fd/3 || ls -l /proc/1/fd/3'],
      [
        'load a kernel module (init_module / finit_module)',
        () =>
          `python3 -c 'import ctypes,os,sys
libc=ctypes.CDLL(None,use_errno=True)
r1=libc.syscall(175,None,0,b""); e1=ctypes.get_errno()
r2=libc.syscall(313,0,b"",0); e2=ctypes.get_errno()
print(r1,os.strerror(e1),r2,os.strerror(e2)); sys.exit(0 if 0 in (r1,r2) else 1)'`,
      ],
    ];
    it.each(mustFail)('%s', async (_name, script) => {
      const r = await bash(`${script()}; rc=$?; echo "rc=$rc"; exit $rc`);
      expect(r.code, `${r.stdout}${r.stderr}`).not.toBe(0);
    });

    it('nothing was created or deleted in the switch or the other student', async () => {
      expect((await linksIn(S)).sort()).toEqual(['br0', 'lo', 'sa', 'sb']);
      expect((await linksIn(B)).sort()).toEqual(['eth0', 'lo']);
      expect(await linksIn(A)).not.toContain('x0');
      expect(rootVictim!.exitCode).toBeNull();
      expect(readFileSync(`/proc/${rootVictim!.pid}/stat`, 'utf8')).toBeTruthy();
      expect(readFileSync(`/proc/${serverBPid}/stat`, 'utf8')).toBeTruthy();
    });

    describe('netnsid (IFLA_TARGET_NETNSID) against the switch: EPERM/EACCES', () => {
      it.each([
        ['list links', ['list']],
        ['create a bridge', ['create', 'pwn0']],
        ['delete the bridge br0', ['delete', 'br0']],
        ['set an alias on br0', ['alias', 'br0', 'pwned']],
      ])('%s', async (_name, args) => {
        const r = await inSandbox(A, ['python3', '-c', NSID_ATTACK, args[0]!, String(nsidOfSwitch), ...args.slice(1)]);
        expect(r.code, r.stdout + r.stderr).toBe(1);
        expect(r.stdout).toMatch(/-> (EPERM|EACCES) /); // not capable in the switch's user namespace
      });

      it('the switch is untouched', async () => {
        expect((await linksIn(S)).sort()).toEqual(['br0', 'lo', 'sa', 'sb']);
        const br0 = JSON.parse(await must(run('ip', ['-j', '-n', S, 'link', 'show', 'br0']))) as { ifalias?: string }[];
        expect(br0[0]!.ifalias).toBeUndefined();
      });
    });

    it("ps and /proc show only the sandbox's own processes", async () => {
      const r = await bash('ps -e -o pid=,user=,comm=; echo; ls /proc | grep -c "^[0-9]"');
      expect(r.code, r.stderr).toBe(0);
      const rows = r.stdout
        .trim()
        .split('\n')
        .filter((l) => /^\s*\d+\s/.test(l));
      expect(rows.length).toBeLessThanOrEqual(4); // bwrap's pid 1, bash, ps (and maybe a subshell)
      expect(r.stdout).not.toMatch(/node|vitest|python3|sleep|init/);
      for (const row of rows) expect(row).toMatch(/\sstudent\s/);
    });

    it('/proc/1/environ and the environment hold nothing of the backend', async () => {
      expect(process.env['PATCHBAY_SECRET']).toBe(SECRET_VALUE);
      const r = await bash('tr "\\0" "\\n" < /proc/1/environ; echo ---; env');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).not.toContain('PATCHBAY_SECRET');
      expect(r.stdout).not.toContain(SECRET_VALUE);
      // pid 1 is the student's shell (--as-pid-1): exactly the variables sandboxArgv sets
      const names = r.stdout
        .split('---')[0]!
        .trim()
        .split('\n')
        .map((l) => l.split('=')[0])
        .sort();
      // PWD and SHLVL: added by the bash fd-closer (sandboxArgv's FD_CLOSER) that execs the command
      expect(names).toEqual(['HOME', 'LANG', 'LOGNAME', 'PATH', 'PS1', 'PWD', 'SHELL', 'SHLVL', 'TERM', 'USER']);
    });

    it('the wrapper cleans the environment even when a caller passes its whole env (pty style)', async () => {
      const { file, args } = sandboxArgv(A, {
        hostname: 'node-a',
        command: ['bash', '-c', 'cat /proc/1/environ; echo; env'],
      });
      const child = spawn(file, args, { env: { ...process.env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      const code = await new Promise<number | null>((r) => child.on('close', r));
      expect(code).toBe(0);
      expect(out).toContain('TERM=xterm-256color');
      expect(out).not.toContain(SECRET_VALUE);
    });

    it('capabilities: only NET_ADMIN and NET_RAW, no_new_privs', async () => {
      const r = await bash('grep -E "^(Cap|NoNewPrivs)" /proc/self/status; capsh --print');
      expect(r.code, r.stderr).toBe(0);
      for (const k of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) {
        expect(r.stdout).toMatch(new RegExp(`^${k}:\\s+0000000000003000$`, 'm'));
      }
      expect(r.stdout).toMatch(/^NoNewPrivs:\s+1$/m);
      expect(r.stdout).toMatch(/^Bounding set =cap_net_admin,cap_net_raw$/m);
    });

    it('setuid binaries do not give root', async () => {
      const r = await bash(
        'for f in /usr/bin/su /usr/bin/mount /usr/bin/passwd /usr/bin/newgrp; do [ -u "$f" ] && echo "setuid $f"; done; newgrp root -c "id -u" </dev/null; mount 2>&1 >/dev/null | head -1; id -u',
      );
      expect(r.stdout).toMatch(/setuid \/usr\/bin\/mount/);
      expect(r.stdout).not.toMatch(/^0$/m);
      expect(r.stdout.trim().split('\n').at(-1)).toBe('1000');
    });

    it('writes stay in the private, size-limited tmpfs: /tmp cannot grow beyond 64 MiB', async () => {
      const r = await bash(
        'dd if=/dev/zero of=/tmp/big bs=1M count=80 2>&1; echo "dd=$?"; du -m /tmp/big; df -m /tmp | tail -1',
      );
      expect(r.stdout).toMatch(/dd=1/);
      expect(r.stdout).toMatch(/No space left on device/);
      expect(Number(/^(\d+)\s+\/tmp\/big/m.exec(r.stdout)?.[1])).toBeLessThanOrEqual(64);
      // and nothing reached the host
      expect(existsSync('/tmp/big')).toBe(false);
    });

    it('/dev/shm is limited to 16 MiB, and files written inside are gone with the sandbox', async () => {
      const r = await bash(
        'dd if=/dev/zero of=/dev/shm/big bs=1M count=20 2>&1; echo "dd=$?"; echo x > ~/f && echo home-ok',
      );
      expect(r.stdout).toMatch(/dd=1/);
      expect(r.stdout).toContain('home-ok');
      const again = await bash('ls -A ~ /tmp /dev/shm');
      expect(again.stdout).not.toMatch(/\bf\b|big/);
    });
  });

  describe('teardown', () => {
    it('kill() ends everything the shell started, including background and setsid processes', async () => {
      const sb = spawnSandbox(A, {
        hostname: 'node-a',
        command: ['bash', '-c', 'sleep 1000 & setsid nohup sleep 1001 >/dev/null 2>&1 & sleep 0.2; echo started; wait'],
      });
      live.add(sb);
      let out = '';
      sb.child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
      for (let i = 0; i < 100 && !out.includes('started'); i++) await new Promise((r) => setTimeout(r, 50));
      expect(out).toContain('started');
      const before = await pidsInNamespaces([A]);
      const sleeps = [...before.keys()].filter((pid) => {
        try {
          return /^sleep 100[01]/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' '));
        } catch {
          return false;
        }
      });
      expect(sleeps.length).toBe(2);
      sb.child.stdin!.end(); // bash does not read it: still running
      await new Promise((r) => setTimeout(r, 200));
      expect(sb.child.exitCode).toBeNull();

      await sb.kill();
      live.delete(sb);
      for (const pid of sleeps) expect(existsSync(`/proc/${pid}`)).toBe(false);
      expect((await pidsInNamespaces([A])).size).toBe(0);
      expect(sb.child.exitCode !== null || sb.child.signalCode !== null).toBe(true);
    });

    it('when the shell exits (EOF, as on a closed terminal), everything it started dies with it', async () => {
      const sb = spawnSandbox(A, {
        hostname: 'node-a',
        command: [
          'bash',
          '-c',
          'sleep 1000 & setsid nohup sleep 1001 >/dev/null 2>&1 & sleep 0.2; echo started; read -r line; echo "bye $line"',
        ],
      });
      live.add(sb);
      let out = '';
      sb.child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
      for (let i = 0; i < 100 && !out.includes('started'); i++) await new Promise((r) => setTimeout(r, 50));
      expect((await pidsInNamespaces([A])).size).toBeGreaterThanOrEqual(3);
      const closed = new Promise((r) => sb.child.on('close', r));
      sb.child.stdin!.end('eof\n');
      await closed; // no kill(): bash is the pid namespace's init
      expect(out).toContain('bye eof');
      for (let i = 0; i < 50 && (await pidsInNamespaces([A])).size > 0; i++)
        await new Promise((r) => setTimeout(r, 20));
      expect((await pidsInNamespaces([A])).size).toBe(0);
      live.delete(sb);
    });

    it('killSandbox works from the pid alone (what a pty user has)', async () => {
      const { file, args } = sandboxArgv(A, {
        hostname: 'node-a',
        command: ['bash', '-c', 'sleep 1002 & exec sleep 1003'],
      });
      const child = spawn(file, args, { env: { TERM: 'xterm-256color' }, stdio: 'ignore' });
      const closed = new Promise((r) => child.on('close', r));
      for (let i = 0; i < 100; i++) {
        if ((await pidsInNamespaces([A])).size >= 3) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect((await pidsInNamespaces([A])).size).toBeGreaterThanOrEqual(3);
      await killSandbox(child.pid!);
      await closed;
      expect((await pidsInNamespaces([A])).size).toBe(0);
    });
  });
});
