// A NetworkPolicy edited in the inspector and drawn on the canvas: a policy made for a pod shows as
// a shield badge on it; its rule is given peers (a label) in the inspector, and while the pod is
// selected the peer pod is marked on the canvas; applied, the kernel lets the peer through and
// keeps the other pod out (Calico-style chains on the bridge's host).
import { execFileSync } from 'node:child_process';
import { expect, test } from '@playwright/test';
import { apply, destroy, ns, openStar, pings } from './steps';

test('a policy edited in the inspector: badge on its pod, peers marked, enforced after apply', async ({
  page,
  request,
}) => {
  const LAB = 'e2e-pol';
  const errors = await openStar(page, request, LAB, 3);

  // ns2 is the API: labelled, so a policy can name it.
  await page.getByTestId('node-ns2').click();
  await page.getByTestId('inspector-labels').fill('app=api');
  await page.getByTestId('inspector-labels').press('Enter');

  // ns1 gets a default-deny policy: a shield on the canvas.
  await page.getByTestId('node-ns1').click();
  await expect(page.getByTestId('policy-badge-ns1')).toHaveCount(0);
  await page.getByTestId('inspector-policy-add').click();
  await expect(page.getByTestId('policy-badge-ns1')).toHaveText(/ns1-ingress/);

  // Its rule, in the inspector: allow ingress from app=api.
  await page.getByTestId('inspector-policy-edit').locator('summary').click();
  await expect(page.getByTestId('policy-ingress-deny')).toBeVisible();
  await page.getByTestId('policy-ingress-add').click();
  await page.getByTestId('policy-ingress-peers').fill('app=api');
  await page.getByTestId('policy-ingress-peers').press('Enter');
  await expect(page.getByTestId('policy-ingress-deny')).toHaveCount(0);
  // A port text that is no port is refused and changes nothing.
  await page.getByTestId('policy-ingress-ports').fill('postgres');
  await page.getByTestId('policy-ingress-ports').press('Enter');
  await expect(page.getByText('ports: TCP 80, UDP 53, 8000-8080')).toBeVisible();
  await page.getByTestId('policy-ingress-ports').fill('');
  await page.getByTestId('policy-ingress-ports').press('Enter');

  // ns1 selected: its allowed peer ns2 is marked, ns3 is not.
  await expect(page.getByTestId('policy-peer-ns2')).toBeVisible();
  await expect(page.getByTestId('policy-peer-ns3')).toHaveCount(0);
  await expect(page.getByTestId('save-state')).toHaveText('saved');

  // A firewall rule for both families on ns3: its line says it goes to iptables and ip6tables.
  await page.getByTestId('node-ns3').click();
  await page.getByTestId('inspector-firewall-add').click();
  await page.getByLabel('Rule 1 protocol').selectOption('tcp');
  await page.getByLabel('Rule 1 family').selectOption('both');
  await expect(page.getByTestId('inspector-firewall-line')).toHaveText('ip{,6}tables -A INPUT -p tcp -j DROP');
  await expect(page.getByTestId('save-state')).toHaveText('saved');

  const commands = await apply(page);
  expect(commands.some((c) => c.includes('policy ns1-ingress ingress[0]'))).toBe(true);
  expect(commands.some((c) => c.startsWith(`ip netns exec ${ns(LAB, 'ns3')} ip6tables-restore --noflush`))).toBe(true);
  // The address the editor gave ns1, read from the kernel.
  const addr = execFileSync('ip', ['-n', ns(LAB, 'ns1'), '-4', '-o', 'addr', 'show', 'eth0'], { encoding: 'utf8' })
    .split(/\s+/)
    .find((w) => /^\d+\.\d+\.\d+\.\d+\//.test(w))!
    .split('/')[0]!;
  expect(pings(ns(LAB, 'ns2'), addr)).toBe(true); // the peer the policy names
  expect(pings(ns(LAB, 'ns3'), addr)).toBe(false); // default deny for anyone else

  await destroy(page, LAB);
  expect(errors).toEqual([]);
});
