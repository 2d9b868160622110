// The bridge FDB attributes iproute2 6.1 cannot show or set, on the real kernel: a plan operation
// (tool `netlink`) sets the cap inside the bridge's namespace, the long-lived reader and `observe`
// read cap and count back. Namespaces pbbat-… by exact name.
import { afterEach, describe, expect, it } from 'vitest';
import {
  closeBridgeAttrReader,
  executePlan,
  observeNamespaces,
  readBridgeFdbAttrs,
  run,
  runInNamespace,
  validateOp,
} from './index.js';
import { cleanup, isRoot, op } from '../test/helpers.js';

const P = 'pbbat-';
const NS = `${P}a`;
const cap = (dev: string, n: string) =>
  op('configure', 'netlink', NS, ['link', 'set', 'dev', dev, 'type', 'bridge', 'fdb_max_learned', n]);

describe('netlink operations', () => {
  it('take exactly the fdb_max_learned line', () => {
    expect(() => validateOp(cap('br0', '64'))).not.toThrow();
    expect(() => validateOp(cap('br0', '-1'))).toThrow(/unsafe argument|netlink ops are/);
    expect(() =>
      validateOp(op('configure', 'netlink', NS, ['link', 'set', 'dev', 'br0', 'type', 'bridge', 'stp_state', '1'])),
    ).toThrow(/netlink ops are/);
  });
});

describe.skipIf(!isRoot)('bridge FDB attributes on the real kernel', () => {
  afterEach(async () => {
    closeBridgeAttrReader();
    await cleanup(P);
  });

  it('a plan sets the cap; the reader and observe read it back; a missing namespace is undefined', async () => {
    expect((await run('ip', ['netns', 'add', NS])).code).toBe(0);
    expect((await runInNamespace(NS, 'ip', ['link', 'add', 'br0', 'type', 'bridge'])).code).toBe(0);
    expect(await readBridgeFdbAttrs(NS)).toEqual({ br0: { fdbMaxLearned: 0, fdbLearned: 0 } });

    const ok = await executePlan([cap('br0', '77')]);
    expect(ok.ok).toBe(true);
    expect(await readBridgeFdbAttrs(NS)).toEqual({ br0: { fdbMaxLearned: 77, fdbLearned: 0 } });
    const seen = await observeNamespaces([NS]);
    expect(seen.namespaces[NS]!.links.br0!.bridge).toEqual({
      stp: false,
      vlanFiltering: false,
      fdbMaxLearned: 77,
      fdbLearned: 0,
    });

    const failed = await executePlan([cap('nobr', '5')]);
    expect(failed.ok).toBe(false);
    expect(failed.failed!.error).toMatch(/Cannot find device "nobr"/);

    expect(await readBridgeFdbAttrs(`${P}missing`)).toBeUndefined();
    // Many reads at once go through one helper, answered in order.
    const all = await Promise.all(Array.from({ length: 20 }, () => readBridgeFdbAttrs(NS)));
    expect(new Set(all.map((a) => a?.br0?.fdbMaxLearned))).toEqual(new Set([77]));
  });
});
