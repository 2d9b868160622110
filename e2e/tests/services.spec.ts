// Kubernetes Services in the editor: a Service added from the palette with the selected pod as its
// endpoint, drawn as its own object linked to it; a second endpoint ticked in the inspector; applied,
// the plan's iptables-restore on the host carries kube-proxy's chains and the kernel has them; an
// endpoint unticked rewrites the host's nat table without it; the tables view lists the chains.
import { execFileSync } from 'node:child_process';
import { expect, test } from '@playwright/test';
import { apply, connect, destroy, freshLab, ns, openEditor } from './steps';

const natOf = (netns: string) =>
  execFileSync('ip', ['netns', 'exec', netns, 'iptables-save', '-t', 'nat'], { encoding: 'utf8' });

test('a Service drawn with its endpoints applies as kube-proxy chains; an endpoint removed leaves them', async ({
  page,
  request,
}) => {
  const LAB = 'e2e-svc';
  await freshLab(request, LAB);
  const errors = await openEditor(page, LAB);
  for (const kind of ['host', 'netns', 'netns']) await page.getByTestId(`palette-${kind}`).click();
  await connect(page, 'ns1', 'host1');
  await connect(page, 'ns2', 'host1');
  await page.getByTestId('context-menu').getByText('Connect ns2 and host1 with a veth pair').click();

  await page.getByTestId('node-ns1').click();
  await page.getByTestId('palette-service').click();
  await expect(page.getByTestId('service-svc')).toContainText('10.96.0.10');
  await expect(page.getByTestId('inspector-service')).toBeVisible();
  await expect(page.getByTestId('inspector-service-endpoint-ns1')).toBeChecked();
  await expect(page.locator('.react-flow__edge-serviceEndpoint')).toHaveCount(1);
  await page.getByTestId('inspector-service-endpoint-ns2').check();
  await expect(page.locator('.react-flow__edge-serviceEndpoint')).toHaveCount(2);
  await expect(page.getByTestId('service-svc')).toContainText('2 endpoints');
  await expect(page.getByTestId('save-state')).toHaveText('saved');

  const commands = await apply(page);
  const restore = commands.find((c) => c.startsWith(`ip netns exec ${ns(LAB, 'host1')} iptables-restore`));
  expect(restore).toContain(':KUBE-SERVICES - [0:0]');
  expect(restore).toContain('-m statistic --mode random --probability 0.50000000000');
  const nat = natOf(ns(LAB, 'host1'));
  expect(nat).toContain('-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment "default/svc cluster IP"');
  expect((nat.match(/-j DNAT --to-destination/g) ?? []).length).toBe(2);

  // The tables view of the host lists the chains, kube-proxy's marked.
  await page.getByTestId('node-host1').click();
  await page.getByTestId('tab-tables').click();
  await expect(page.getByTestId('iptables-section')).toContainText('KUBE-SERVICES');
  await expect(page.getByTestId('iptables-section')).toContainText('kube-proxy');

  // One endpoint unticked: the host's nat table is rewritten with one DNAT, no random pick.
  await page.getByTestId('service-svc').click();
  await page.getByTestId('inspector-service-endpoint-ns1').uncheck();
  await expect(page.locator('.react-flow__edge-serviceEndpoint')).toHaveCount(1);
  const again = await apply(page);
  expect(again.filter((c) => c.includes('iptables-restore')).length).toBe(1);
  const after = natOf(ns(LAB, 'host1'));
  expect((after.match(/-j DNAT --to-destination/g) ?? []).length).toBe(1);
  expect(after).not.toContain('statistic');
  await destroy(page, LAB);
  expect(errors).toEqual([]);
});
