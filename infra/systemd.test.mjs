// The systemd units (infra/systemd/) are valid, and their hardening leaves Patchbay what it needs:
// a lab is applied, pinged across and entered through a sandboxed shell, then destroyed, by the
// built CLI running under exactly the units' capability bounding set and no-new-privileges
// (`setpriv`, which sets the same two process attributes systemd does). Without any one of
// SYS_ADMIN, NET_ADMIN, SETUID, SETGID or NET_RAW the same lab fails, which shows the restriction
// is real. Needs root and the build (infra/test.sh
// runs it after `pnpm run build`). Its own prefix and data folder; the lab is destroyed even when a
// step fails.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const UNITS = join(ROOT, 'infra', 'systemd');
const CLI = join(ROOT, 'apps', 'cli', 'dist', 'main.js');
const PREFIX = 'pbsdt-';
const LAB = 'unit-caps';

/** `Key=value` lines of a unit's [Service] section (a key given twice keeps each value). */
function serviceSettings(unit) {
  const text = readFileSync(join(UNITS, unit), 'utf8');
  const section = text.split(/^\[Service\]$/m)[1].split(/^\[/m)[0];
  /** @type {Map<string, string[]>} */
  const settings = new Map();
  for (const line of section.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) settings.set(m[1], [...(settings.get(m[1]) ?? []), m[2]]);
  }
  return settings;
}

const serve = serviceSettings('patchbay-serve.service');
const agent = serviceSettings('patchbay-agent@.service');
/** CAP_SYS_ADMIN CAP_NET_ADMIN … → setpriv's `-all,+sys_admin,+net_admin,…` */
const capabilities = serve.get('CapabilityBoundingSet')[0].split(/\s+/);
const boundingSet = (caps) => ['-all', ...caps.map((c) => `+${c.replace(/^CAP_/, '').toLowerCase()}`)].join(',');

let data = '';
/** The CLI under the units' restrictions (or `caps` instead of the units' set). */
function restricted(args, { caps = capabilities, input } = {}) {
  return spawnSync('setpriv', ['--bounding-set', boundingSet(caps), '--no-new-privs', '--', 'node', CLI, ...args], {
    encoding: 'utf8',
    input,
    timeout: 60_000,
    env: { ...process.env, PATCHBAY_PREFIX: PREFIX, PATCHBAY_DATA: data },
  });
}
const destroyLab = () =>
  spawnSync('node', [CLI, 'destroy', LAB], {
    encoding: 'utf8',
    env: { ...process.env, PATCHBAY_PREFIX: PREFIX, PATCHBAY_DATA: data },
  });

describe('infra/systemd units', () => {
  it.each(['patchbay-serve.service', 'patchbay-agent@.service'])('%s passes systemd-analyze verify', (unit) => {
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', join(UNITS, unit)], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    // verify exits 0 on an unknown key or a bad value; it only prints them
    expect(`${r.stdout}${r.stderr}`).toBe('');
  });

  it('a misspelt setting is reported by the same check', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pb-unit-'));
    try {
      const text = readFileSync(join(UNITS, 'patchbay-serve.service'), 'utf8').replace(
        'NoNewPrivileges',
        'NoNewPrivilege',
      );
      writeFileSync(join(dir, 'patchbay-serve.service'), text);
      const r = spawnSync('systemd-analyze', ['verify', '--man=no', join(dir, 'patchbay-serve.service')], {
        encoding: 'utf8',
      });
      expect(r.stderr).toContain("Unknown key 'NoNewPrivilege'");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('both units harden alike, run the documented command lines and never namespace their mounts', () => {
    for (const key of ['CapabilityBoundingSet', 'NoNewPrivileges', 'RestrictAddressFamilies', 'KillMode', 'UMask'])
      expect(agent.get(key), key).toEqual(serve.get(key));
    expect(serve.get('NoNewPrivileges')).toEqual(['yes']);
    expect(serve.get('ExecStart')).toEqual(['/usr/local/bin/patchbay serve --host 127.0.0.1 --port 7070']);
    expect(agent.get('ExecStart')).toEqual([
      '/usr/local/bin/patchbay agent --coordinator ${PATCHBAY_COORDINATOR} --name %i',
    ]);
    // each of these gives the service its own mount namespace: the labs' /run/netns mounts would
    // stay inside it (docs/deploy.md)
    const mountNamespacing = ['PrivateTmp', 'ProtectSystem', 'ProtectHome', 'PrivateDevices', 'PrivateMounts'];
    for (const key of [...mountNamespacing, 'ProtectKernelTunables', 'ProtectControlGroups', 'ProtectHostname'])
      expect([serve.has(key), agent.has(key)], key).toEqual([false, false]);
  });
});

// Real processes on the real kernel: each step can take seconds on a busy 2-core machine.
describe("a lab under the units' capability set and no-new-privileges (real kernel)", { timeout: 120_000 }, () => {
  beforeAll(() => {
    data = mkdtempSync(join(tmpdir(), 'pb-unit-data-'));
    const lab = readFileSync(join(ROOT, 'examples', 'two-containers.yaml'), 'utf8').replace(
      /^name: two-containers$/m,
      `name: ${LAB}`,
    );
    writeFileSync(join(data, 'lab.yaml'), lab);
  });

  afterAll(() => {
    destroyLab();
    rmSync(data, { recursive: true, force: true });
  });

  /** The lab's life under `caps`: the first step that failed (with its output), or undefined. */
  function labSteps(caps) {
    const steps = [
      ['apply', () => restricted(['apply', join(data, 'lab.yaml')], { caps })],
      [
        'ping',
        () => restricted(['exec', LAB, 'ns-web', '--', 'ping', '-c', '1', '-W', '2', '192.168.100.20'], { caps }),
      ],
      ['shell', () => restricted(['shell', LAB, 'ns-db'], { caps, input: 'ip -br addr show veth-db\nexit\n' })],
      ['destroy', () => restricted(['destroy', LAB], { caps })],
    ];
    try {
      for (const [step, run] of steps) {
        const r = run();
        if (r.status !== 0) return `${step}: ${r.stdout}${r.stderr}`;
        if (step === 'ping' && !r.stdout.includes('1 received')) return `ping: ${r.stdout}`;
        if (step === 'shell' && !/192\.168\.100\.20\/24/.test(r.stdout)) return `shell: ${r.stdout}`;
      }
      return undefined;
    } finally {
      destroyLab();
    }
  }

  it('applies, pings across the bridge, opens a sandboxed shell and destroys', () => {
    expect(labSteps(capabilities)).toBeUndefined();
    const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
    expect(left.split('\n').filter((l) => l.startsWith(PREFIX))).toEqual([]);
  });

  // Each of these, taken away alone, breaks the lab (the restriction is real, and the set is not
  // larger than it looks); the unit keeps the others for paths this lab does not take (killing and
  // inspecting sandboxed processes of other uids, files of the sandbox uids, rlimits, low ports).
  it.each([
    ['CAP_SYS_ADMIN', 'apply'],
    ['CAP_NET_ADMIN', 'apply'],
    ['CAP_SETUID', 'apply'],
    ['CAP_SETGID', 'apply'],
    ['CAP_NET_RAW', 'ping'],
  ])('without %s the lab fails at %s', (cap, step) => {
    expect(capabilities).toContain(cap);
    expect(labSteps(capabilities.filter((c) => c !== cap))).toMatch(new RegExp(`^${step}: `));
  });
});
