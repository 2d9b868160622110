// `patchbay export --script` for IPv6 (prefix pbv6s-): the dual-stack example built from nothing by
// the script's plain ip/sysctl commands (nodad addresses, ::/0, a link-local gateway with its
// device, IPv6 forwarding on the host) behaves like the applied lab: ping -6 across the host.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deleteNamespaces, listNamespaces, run } from '@patchbay/kernel';
import { scriptFor } from './lab-export.js';
import { exampleLab, ping, rootSnapshot } from './test-support.js';

const PREFIX = 'pbv6s-';
let dir: string | undefined;
afterEach(async () => {
  await deleteNamespaces(await listNamespaces(PREFIX));
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('export --script with IPv6', () => {
  it('builds the dual-stack example; containers reach the upstream over IPv6 and back', async () => {
    const before = await rootSnapshot();
    const script = scriptFor(exampleLab('dual-stack-docker.yaml'), PREFIX);
    const ns = (n: string) => `${PREFIX}dual-stack.${n}`;
    for (const line of [
      `ip -n ${ns('a')} addr add 2001:db8:1::2/64 dev eth0 nodad`,
      `ip -n ${ns('a')} route replace ::/0 via 2001:db8:1::1`,
      `ip -n ${ns('upstream')} route replace 2001:db8:1::/64 via fe80::1 dev eth0`,
      `ip netns exec ${ns('host')} sysctl -w net/ipv6/conf/all/forwarding=1`,
    ])
      expect(script).toContain(line);
    dir = mkdtempSync(join(tmpdir(), 'pbv6-script-'));
    const file = join(dir, 'lab.sh');
    writeFileSync(file, script);
    const r = await run('sh', ['-e', file]);
    const complaints = r.stderr
      .split('\n')
      .filter((l) => /RTNETLINK|Cannot|rror|fail|not found|denied/.test(l) && !/fdb_max_learned/.test(l));
    expect(complaints).toEqual([]);
    expect(r.code).toBe(0);
    expect(await ping(ns('a'), '2001:db8:ff::1', 1, 3)).toBe(true);
    expect(await ping(ns('upstream'), '2001:db8:1::3', 1, 3)).toBe(true);
    await deleteNamespaces(await listNamespaces(PREFIX));
    expect(await rootSnapshot()).toBe(before);
  });
});
