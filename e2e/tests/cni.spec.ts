// CNI attachments in the editor: two containers given a CNI attachment in the inspector (the bridge
// plugin on a host, host-local IPAM), applied (the plan shows the exact plugin call: nsenter into
// the host's namespace, CNI_NETNS the container's, the config on stdin), the node's inspector
// showing the config passed and the result the plugin returned; the containers ping each other.
import { execFileSync } from 'node:child_process';
import { expect, test } from '@playwright/test';
import { apply, destroy, freshLab, ns, openEditor } from './steps';

test('containers attached by the bridge plugin from the inspector: the plan, the config and result, a ping', async ({
  page,
  request,
}) => {
  const LAB = 'e2e-cni';
  await freshLab(request, LAB);
  const errors = await openEditor(page, LAB);
  for (const kind of ['host', 'netns', 'netns']) await page.getByTestId(`palette-${kind}`).click();
  for (const node of ['ns1', 'ns2']) {
    await page.getByTestId(`node-${node}`).click();
    await page.getByTestId('cni-add').click();
    await expect(page.getByTestId('cni-plugin')).toHaveValue('bridge');
    await expect(page.getByTestId('cni-host')).toHaveValue('host1');
    await expect(page.getByTestId('cni-subnet')).toHaveValue('10.22.0.0/24');
  }
  await expect(page.getByTestId('cni-badge-ns1')).toHaveText('CNI bridge');
  await expect(page.getByTestId('save-state')).toHaveText('saved');

  const commands = await apply(page);
  const adds = commands.filter((c) =>
    c.startsWith(
      `nsenter --net=/run/netns/${ns(LAB, 'host1')} env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin CNI_COMMAND=ADD`,
    ),
  );
  expect(adds).toHaveLength(2);
  expect(adds[0]).toContain(
    `CNI_NETNS=/run/netns/${ns(LAB, 'ns1')} CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni /usr/lib/cni/bridge`,
  );
  expect(adds[0]).toContain('"type": "host-local"');

  // The node's inspector: what was passed, and what came back.
  await page.getByTestId('node-ns2').click();
  const section = page.getByTestId('cni-section');
  await expect(section.getByTestId('cni-state')).toContainText('attached by bridge on host1: 10.22.0.');
  await expect(section.getByTestId('cni-config')).toContainText('"name": "podnet"');
  await expect(section.getByTestId('cni-result')).toContainText('"gateway": "10.22.0.1"');
  const ns2Ip = /"address": "(10\.22\.0\.\d+)\/24"/.exec(
    (await section.getByTestId('cni-result').textContent()) ?? '',
  )![1]!;
  execFileSync('ip', ['netns', 'exec', ns(LAB, 'ns1'), 'ping', '-c', '1', '-W', '2', ns2Ip]);

  await destroy(page, LAB);
  expect(errors).toEqual([]);
});
