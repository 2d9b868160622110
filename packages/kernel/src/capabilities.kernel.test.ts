import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { detectCapabilities, listNamespaces, loadOrDetectCapabilities } from './index.js';
import { cleanup, isRoot } from '../test/helpers.js';

const P = 'pbk4-';

describe.skipIf(!isRoot)('capabilities on the real kernel', () => {
  afterEach(() => cleanup(P));

  it('detects what this kernel can do and removes its scratch namespace', async () => {
    const caps = await detectCapabilities(P);
    expect(caps.kernel).toBe(release());
    expect(caps.features).toEqual({
      veth: true,
      bridge: true,
      'bridge-vlan-filtering': false,
      'bridge-stp': true,
      vxlan: true,
      'iptables-nat': true,
      macvlan: true,
      ebtables: true,
      'cni-plugins': true, // infra/setup.sh installs containernetworking-plugins
      ip6tables: true,
    });
    expect(caps.errors?.['bridge-vlan-filtering']).toMatch(/Operation not supported/);
    expect(await listNamespaces(P)).toEqual([]);
  });

  it('caches per kernel release', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pbk4-caps-'));
    try {
      const file = join(dir, 'sub', 'caps.json');
      const first = await loadOrDetectCapabilities(P, file);
      expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ [release()]: first });
      // A doctored cache entry is returned as is: no detection on a hit.
      const doctored = { ...first, features: { ...first.features, vxlan: false } };
      await writeFile(file, JSON.stringify({ [release()]: doctored, 'other-kernel': first }));
      expect(await loadOrDetectCapabilities(P, file)).toEqual(doctored);
      expect(await listNamespaces(P)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
