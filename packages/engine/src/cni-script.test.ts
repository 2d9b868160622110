// `patchbay export --script` for CNI attachments (prefix pbcnis-): the script of examples/cni.yaml
// builds the lab from nothing and calls the plugins itself (nsenter into the host's namespace, the
// config on stdin); the pods then reach each other as in an applied lab. Cleans up its namespaces
// and host-local's directory even when it fails.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deleteNamespaces, listNamespaces, run } from '@patchbay/kernel';
import { scriptFor, scriptIpamDir } from './lab-export.js';
import { exampleLab, ping, rootSnapshot } from './test-support.js';

const PREFIX = 'pbcnis-';
let dir: string | undefined;
afterEach(async () => {
  await deleteNamespaces(await listNamespaces(PREFIX));
  rmSync(scriptIpamDir(PREFIX, 'cni'), { recursive: true, force: true });
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('export --script with CNI attachments', () => {
  it('the cni example: the script runs the plugins; the pods reach each other', async () => {
    const before = await rootSnapshot();
    const script = scriptFor(exampleLab('cni.yaml'), PREFIX);
    expect(script).toContain(`rm -rf ${scriptIpamDir(PREFIX, 'cni')}`);
    expect(script).toContain(
      `nsenter --net=/run/netns/${PREFIX}cni.node1 env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin CNI_COMMAND=ADD CNI_CONTAINERID=${PREFIX}cni.pod-a CNI_NETNS=/run/netns/${PREFIX}cni.pod-a CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni /usr/lib/cni/bridge <<'EOF'`,
    );
    dir = mkdtempSync(join(tmpdir(), 'pbcni-script-'));
    const file = join(dir, 'lab.sh');
    writeFileSync(file, script);
    const r = await run('sh', ['-e', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // host-local handed out the pool in order: pod-a .2, pod-b .3; pod-c is ptp's 10.23.0.2.
    expect(await ping(`${PREFIX}cni.pod-a`, '10.22.0.3')).toBe(true);
    expect(await ping(`${PREFIX}cni.pod-a`, '10.23.0.2')).toBe(true);
    await deleteNamespaces(await listNamespaces(PREFIX));
    expect(await rootSnapshot()).toBe(before);
  }, 60_000);
});
