// Firewall rules and NetworkPolicies in the editor: a pod labelled and given a default-deny policy in
// the inspector (the policy is listed on the pod it selects), a firewall rule built from fields with
// its iptables line shown as it is edited, both applied (the plan loads Calico-style chains with
// iptables-restore --noflush) and enforced on the real kernel; the tables view lists the chains.
import { expect, test } from '@playwright/test';
import { apply, destroy, ns, openStar, pings } from './steps';

test('a default-deny policy on a pod and a firewall rule, edited in the inspector, apply and hold', async ({
  page,
  request,
}) => {
  const LAB = 'e2e-fw';
  const errors = await openStar(page, request, LAB, 2);
  await apply(page);
  expect(pings(ns(LAB, 'ns2'), '192.168.100.1')).toBe(true);

  // The pod: labels, then a policy that selects it, listed on it.
  await page.getByTestId('node-ns1').click();
  await page.getByTestId('inspector-labels').fill('app=web');
  await page.getByTestId('inspector-labels').press('Enter');
  await expect(page.getByTestId('inspector-policies')).toContainText('none');
  await page.getByTestId('inspector-policy-add').click();
  await expect(page.getByTestId('inspector-policy')).toHaveText(/ns1-ingress \(Ingress\)/);

  // A rule on ns2, from fields: its iptables line follows each edit.
  await page.getByTestId('node-ns2').click();
  await page.getByTestId('inspector-firewall-add').click();
  await expect(page.getByTestId('inspector-firewall-line')).toHaveText('-A INPUT -j DROP');
  await page.getByLabel('Rule 1 protocol').selectOption('icmp');
  await page.getByLabel('Rule 1 source').fill('192.168.100.1');
  await page.getByLabel('Rule 1 source').press('Enter');
  await expect(page.getByTestId('inspector-firewall-line')).toHaveText('-A INPUT -s 192.168.100.1/32 -p icmp -j DROP');
  await expect(page.getByTestId('save-state')).toHaveText('saved');

  const commands = await apply(page);
  const host = ns(LAB, '_host');
  expect(
    commands.some((c) => c.startsWith(`ip netns exec ${host} iptables-restore --noflush`) && c.includes('cali-tw-')),
  ).toBe(true);
  expect(commands.some((c) => c.startsWith(`ip netns exec ${ns(LAB, 'ns2')} iptables-restore --noflush`))).toBe(true);
  // ns1 is isolated for ingress (bridged ping from ns2 dropped); ns2 drops ns1's pings itself.
  expect(pings(ns(LAB, 'ns2'), '192.168.100.1')).toBe(false);
  expect(pings(ns(LAB, 'ns1'), '192.168.100.2')).toBe(false);

  await destroy(page, LAB);
  expect(errors).toEqual([]);
});
