// `patchbay export --script` for macvlans and bridge ports (prefix pbmvs-): the script builds the
// lab from nothing with plain ip/ebtables commands, and the result behaves like an applied lab.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deleteNamespaces, listNamespaces, run } from '@patchbay/kernel';
import { parseLabText } from '@patchbay/topology';
import { scriptFor } from './lab-export.js';
import { exampleLab, ping, rootSnapshot } from './test-support.js';

const PREFIX = 'pbmvs-';
let dir: string | undefined;
afterEach(async () => {
  await deleteNamespaces(await listNamespaces(PREFIX));
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function runScript(script: string): Promise<void> {
  dir = mkdtempSync(join(tmpdir(), 'pbmv-script-'));
  const file = join(dir, 'lab.sh');
  writeFileSync(file, script);
  const r = await run('sh', ['-e', file]);
  // The only complaint allowed: this iproute2 lacks the FDB cap's keyword (the script says so, prints
  // ip's usage text and goes on). Anything else that failed says so in one of these words.
  const complaints = r.stderr
    .split('\n')
    .filter((l) => /RTNETLINK|Cannot|rror|fail|not found|denied/.test(l) && !/fdb_max_learned/.test(l));
  expect(complaints).toEqual([]);
  expect(r.code).toBe(0);
}

describe('export --script with macvlans and bridge ports', () => {
  it('the macvlan example: made in the parent namespace, placed in the container; the shim works', async () => {
    const before = await rootSnapshot();
    const script = scriptFor(exampleLab('macvlan.yaml'), PREFIX);
    expect(script).toContain(
      `ip -n ${PREFIX}macvlan.host link add link eth0 name eth0 netns ${PREFIX}macvlan.c1 type macvlan mode bridge`,
    );
    await runScript(script);
    expect(await ping(`${PREFIX}macvlan.c1`, '192.168.50.11')).toBe(true);
    expect(await ping(`${PREFIX}macvlan.host`, '192.168.50.10')).toBe(true);
    await deleteNamespaces(await listNamespaces(PREFIX));
    expect(await rootSnapshot()).toBe(before);
  });

  it('port flags and anti-spoofing: one bridge_slave line and one ebtables-restore', async () => {
    const { lab } = parseLabText(`name: ports
nodes:
  sw: { kind: bridge }
  a: { kind: netns }
  b: { kind: netns }
links:
  - a: { node: a, interface: eth0, mac: "02:00:00:00:55:0a", addresses: [10.55.0.1/24] }
    b: { node: sw, interface: pa, bridgePort: { antiSpoof: true, isolated: true } }
  - a: { node: b, interface: eth0, addresses: [10.55.0.2/24] }
    b: { node: sw, interface: pb }
`);
    const script = scriptFor(lab!, PREFIX);
    expect(script).toContain(`ip -n ${PREFIX}ports._host link set dev pa type bridge_slave isolated on`);
    expect(script).toContain(`ip netns exec ${PREFIX}ports._host ebtables-restore <<'EOF'`);
    await runScript(script);
    expect(await ping(`${PREFIX}ports.a`, '10.55.0.2')).toBe(true);
    const saved = await run('ip', ['netns', 'exec', `${PREFIX}ports._host`, 'ebtables-save']);
    expect(saved.stdout).toContain('-A PB-pa -s ! 02:00:00:00:55:0a -j DROP');
  });
});
