// macvlans and bridge port flags in the editor: a macvlan drawn from a container to a host (its
// parent one of the host's interfaces), applied (the plan shows `type macvlan mode bridge`), its
// mode changed in the inspector (the macvlan is made again); a bridge end's hairpin flag and
// anti-spoofing switched on in the inspector and applied as one bridge_slave line and ebtables,
// which the bridge's kernel tables then show.
import { execFileSync } from 'node:child_process';
import { expect, test } from '@playwright/test';
import { apply, connect, destroy, freshLab, ns, openEditor } from './steps';

const linkInfo = (netns: string, dev: string) =>
  (
    JSON.parse(execFileSync('ip', ['-n', netns, '-d', '-j', 'link', 'show', dev], { encoding: 'utf8' })) as {
      linkinfo: { info_kind: string; info_data?: { mode?: string }; info_slave_data?: { hairpin?: boolean } };
    }[]
  )[0]!.linkinfo;

test('a macvlan drawn from a container to a host applies as `type macvlan mode bridge`; its mode changes', async ({
  page,
  request,
}) => {
  const LAB = 'e2e-mv';
  await freshLab(request, LAB);
  const errors = await openEditor(page, LAB);
  for (const kind of ['host', 'router', 'netns', 'netns']) await page.getByTestId(`palette-${kind}`).click();
  await connect(page, 'host1', 'r1');
  await expect(page.getByTestId('edge-end-host1-eth0')).toContainText('10.0.0.1/24');

  // Drawn to a host with an interface: a veth pair, or a macvlan on that interface.
  await connect(page, 'ns1', 'host1');
  await page.getByTestId('context-menu').getByText('macvlan in ns1 on host1 eth0 (bridge mode)').click();
  await expect(page.getByTestId('edge-macvlan-ns1-eth0')).toContainText('eth0 · macvlan bridge');
  await expect(page.getByTestId('inspector-macvlan')).toBeVisible();
  await expect(page.getByTestId('inspector-macvlan-mode')).toHaveValue('bridge');
  await connect(page, 'ns2', 'host1');
  await page.getByTestId('context-menu').getByText('macvlan in ns2 on host1 eth0 (bridge mode)').click();
  await expect(page.getByTestId('edge-macvlan-ns2-eth0')).toBeVisible();
  await expect(page.getByTestId('save-state')).toHaveText('saved');

  const commands = await apply(page);
  expect(commands).toContain(
    `ip -n ${ns(LAB, 'host1')} link add link eth0 name eth0 netns ${ns(LAB, 'ns1')} type macvlan mode bridge`,
  );
  expect(linkInfo(ns(LAB, 'ns1'), 'eth0')).toMatchObject({ info_kind: 'macvlan', info_data: { mode: 'bridge' } });
  // Bridge mode: the two containers reach each other over the host's eth0 (ns2 was proposed the
  // next address of the parent's subnet: host1 .1, r1 .2, ns1 .3, ns2 .4).
  execFileSync('ip', ['netns', 'exec', ns(LAB, 'ns1'), 'ping', '-c', '1', '-W', '2', '10.0.0.4']);

  // The mode, changed in the inspector: the macvlan is deleted and made again in private mode.
  await page.getByTestId('edge-macvlan-ns1-eth0').click();
  await page.getByTestId('inspector-macvlan-mode').selectOption('private');
  await expect(page.getByTestId('edge-macvlan-ns1-eth0')).toContainText('eth0 · macvlan private');
  const again = await apply(page);
  expect(again).toContain(`ip -n ${ns(LAB, 'ns1')} link del dev eth0`);
  expect(again).toContain(
    `ip -n ${ns(LAB, 'host1')} link add link eth0 name eth0 netns ${ns(LAB, 'ns1')} type macvlan mode private`,
  );
  expect(linkInfo(ns(LAB, 'ns1'), 'eth0').info_data?.mode).toBe('private');
  await destroy(page, LAB);
  expect(errors).toEqual([]);
});

test("a bridge end's hairpin and anti-spoofing, switched on in the inspector, apply in place", async ({
  page,
  request,
}) => {
  const LAB = 'e2e-ports';
  await freshLab(request, LAB);
  const errors = await openEditor(page, LAB);
  for (const kind of ['netns', 'bridge']) await page.getByTestId(`palette-${kind}`).click();
  await connect(page, 'ns1', 'br0');
  await apply(page);

  await page.getByTestId('edge-end-br0-br0-ns1').click();
  const portEnd = page.getByTestId('inspector-link-b');
  await expect(portEnd.getByTestId('inspector-link-b-bridgeport')).toBeVisible();
  // Not on the container's end: only bridge ports have port flags.
  await expect(page.getByTestId('inspector-link-a-bridgeport')).toHaveCount(0);
  await portEnd.getByTestId('inspector-link-b-hairpin').check();
  const hairpin = await apply(page);
  expect(hairpin).toEqual([`ip -n ${ns(LAB, '_host')} link set dev br0-ns1 type bridge_slave hairpin on`]);
  expect(linkInfo(ns(LAB, '_host'), 'br0-ns1').info_slave_data?.hairpin).toBe(true);

  // Anti-spoofing needs the container's MAC: the problem says so until it is given.
  await page.getByTestId('edge-end-br0-br0-ns1').click();
  await page.getByTestId('inspector-link-b-antispoof').check();
  await expect(page.getByText('that end needs a mac')).toBeVisible();
  await page.getByTestId('inspector-link-a-mac').fill('02:00:00:00:00:0a');
  await page.getByTestId('inspector-link-a-mac').press('Enter');
  await expect(page.getByText('that end needs a mac')).toHaveCount(0);
  const guard = await apply(page);
  expect(guard.some((c) => c.startsWith(`ip netns exec ${ns(LAB, '_host')} ebtables-restore`))).toBe(true);

  // The bridge's tables show the guard as the kernel has it: the jump from the port and its chain.
  await page.getByTestId('node-br0').click();
  await page.getByTestId('tab-tables').click();
  const ebtables = page.getByTestId('ebtables-section');
  await expect(ebtables.getByTestId('ebtables-chain').filter({ hasText: 'FORWARD · policy ACCEPT' })).toContainText(
    '-i br0-ns1 -j PB-br0-ns1',
  );
  await expect(ebtables.locator('[data-chain="PB-br0-ns1"]')).toContainText('-s ! 02:00:00:00:00:0a -j DROP');
  await destroy(page, LAB);
  expect(errors).toEqual([]);
});
