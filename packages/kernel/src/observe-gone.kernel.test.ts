// A namespace being deleted, read at that moment: between the unmount of its pin and the unlink, the
// pin is a plain file that `setns` refuses (EINVAL). A state read racing a destroy answered 500 for
// it (an e2e run's server log); the read now says the namespace is gone. Prefix pbkgone-.
import { rmSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { executePlan, isMissingNamespace, observeNamespaces } from './index.js';
import { cleanup, isRoot, netnsAdd } from '../test/helpers.js';

const P = 'pbkgone-';
const HALF = `/run/netns/${P}half`;

describe.skipIf(!isRoot)('observeNamespaces: a namespace half deleted', () => {
  afterEach(async () => {
    rmSync(HALF, { force: true });
    await cleanup(P);
  });

  it('reads a pin that is no longer a namespace as gone, and the others as they are', async () => {
    expect((await executePlan([netnsAdd(`${P}live`)])).failed).toBeUndefined();
    writeFileSync(HALF, ''); // what `ip netns del` leaves for an instant: the pin, unmounted
    const state = await observeNamespaces([`${P}half`, `${P}live`]);
    expect(Object.keys(state.namespaces)).toEqual([`${P}live`]);
  });

  it('tells a namespace gone from other failures by the message', () => {
    expect(isMissingNamespace(`patchbay-spawner: reassociate to namespace ${HALF} failed: Invalid argument\n`)).toBe(
      true,
    );
    expect(isMissingNamespace(`nsenter: cannot open /run/netns/${P}x: No such file or directory`)).toBe(true);
    expect(isMissingNamespace('Error: argument "x" is wrong: Invalid argument')).toBe(false);
  });
});
