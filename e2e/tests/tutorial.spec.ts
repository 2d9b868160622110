// docs/tutorial.md, followed as a newcomer would: one `test.step` per numbered step of the doc, with
// the labels and names the doc gives (buttons, tabs, fields, node and lab names), so the doc cannot
// drift from the product without this failing. Change both together.
import { execFileSync } from 'node:child_process';
import { expect, test } from '@playwright/test';
import { E2E } from '../e2e-env';
import { canvasSettled, connect, freshLab, labNamespaces, namespaces, ns } from './steps';

const LAB = 'first-lab';
const macOf = (namespace: string, iface: string): string =>
  (
    JSON.parse(execFileSync('ip', ['-n', namespace, '-j', 'link', 'show', iface], { encoding: 'utf8' })) as {
      address: string;
    }[]
  )[0]!.address;

test('docs/tutorial.md: your first lab, two containers on a bridge', async ({ page, request }) => {
  await freshLab(request, LAB);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const toolbar = page.getByRole('toolbar', { name: 'Lab' });
  const panels = page.getByRole('region', { name: 'Panels' });

  try {
    await test.step('1. Create a lab', async () => {
      await page.goto(`/?token=${E2E.token}`);
      const open = page.getByRole('dialog', { name: 'Open a lab' });
      await expect(open).toBeVisible();
      await open.getByRole('tab', { name: 'Your labs' }).click();
      await open.getByLabel('New lab named').fill(LAB);
      await open.getByRole('button', { name: 'Create' }).click();
      await expect(open).toHaveCount(0);
      await expect(page.getByTestId('lab-name')).toHaveText(LAB);
      await expect(page.getByTestId('lab-status')).toHaveText('not applied');
      await canvasSettled(page);
    });

    await test.step('2. Draw two namespaces and a bridge', async () => {
      const palette = page.getByRole('complementary', { name: 'Node kinds' });
      await palette.getByRole('button', { name: 'Namespace' }).click();
      await palette.getByRole('button', { name: 'Namespace' }).click();
      await palette.getByRole('button', { name: 'Bridge' }).click();
      for (const n of ['ns1', 'ns2', 'br0']) await expect(page.getByTestId(`node-${n}`)).toBeVisible();
      await toolbar.getByRole('button', { name: 'Arrange' }).click();
      await canvasSettled(page);
    });

    await test.step('3. Connect them', async () => {
      await connect(page, 'ns1', 'br0');
      await connect(page, 'ns2', 'br0');
      await expect(page.getByTestId('edge-end-ns1-eth0')).toContainText('192.168.100.1/24');
      await expect(page.getByTestId('edge-end-ns2-eth0')).toContainText('192.168.100.2/24');
      await expect(page.getByTestId('edge-end-br0-br0-ns1')).toBeVisible();
      await expect(page.getByTestId('edge-end-br0-br0-ns2')).toBeVisible();
      // No problem left: the button is plain "Apply".
      await expect(toolbar.getByRole('button', { name: 'Apply', exact: true })).toBeEnabled();
    });

    await test.step('4. Apply', async () => {
      await toolbar.getByRole('button', { name: 'Apply', exact: true }).click();
      const dialog = page.getByRole('dialog', { name: `Apply ${LAB}` });
      await expect(dialog.getByTestId('apply-ops')).toBeVisible();
      await expect(
        dialog
          .getByTestId('apply-op')
          .locator('code')
          .filter({ hasText: `ip -n ${ns(LAB, 'ns1')} addr add 192.168.100.1/24 dev eth0` }),
      ).toHaveCount(1);
      await dialog.getByRole('button', { name: /^Apply \d+ operations?/ }).click();
      await expect(dialog.getByTestId('apply-result')).toBeVisible({ timeout: 30_000 });
      await dialog.getByRole('button', { name: 'Close' }).click();
      await expect(dialog).toHaveCount(0);
      await expect(page.getByTestId('lab-status')).toHaveText('running');
      expect(namespaces()).toEqual(expect.arrayContaining([ns(LAB, 'ns1'), ns(LAB, 'ns2'), ns(LAB, '_host')]));
    });

    await test.step('5. Ping', async () => {
      await panels.getByRole('tab', { name: 'Ping' }).click();
      const ping = page.getByRole('region', { name: 'Ping' });
      await ping.getByLabel('From').selectOption('ns1');
      await ping.getByLabel('Target', { exact: true }).fill('192.168.100.2');
      await ping.getByLabel('Count').fill('3');
      await ping.getByRole('button', { name: 'Start' }).click();
      await expect(ping.getByTestId('ping-reply')).toHaveCount(3, { timeout: 15_000 });
      await expect(ping.getByTestId('ping-summary')).toContainText('3 packets transmitted, 3 received, 0% packet loss');
    });

    await test.step('6. Capture', async () => {
      await panels.getByRole('tab', { name: 'Capture' }).click();
      const capture = page.getByRole('region', { name: 'Packet capture' });
      await capture.getByLabel('Node').selectOption('ns2');
      await capture.getByLabel('Interface').selectOption('eth0');
      await capture.getByLabel('Filter').fill('icmp');
      await capture.getByRole('button', { name: 'Start' }).click();
      // Listening once Stop is offered (the server answers the start once tcpdump listens).
      await expect(capture.getByRole('button', { name: 'Stop' })).toBeEnabled();
      await panels.getByRole('tab', { name: 'Ping' }).click();
      const ping = page.getByRole('region', { name: 'Ping' });
      await ping.getByRole('button', { name: 'Start' }).click();
      await expect(ping.getByTestId('ping-summary')).toHaveCount(0);
      await expect(ping.getByTestId('ping-summary')).toContainText('3 received', { timeout: 15_000 });
      await panels.getByRole('tab', { name: 'Capture' }).click();
      await expect(
        capture
          .getByTestId('capture-line')
          .filter({ hasText: '192.168.100.1 > 192.168.100.2: ICMP echo request' })
          .first(),
      ).toBeVisible();
      await expect(
        capture
          .getByTestId('capture-line')
          .filter({ hasText: '192.168.100.2 > 192.168.100.1: ICMP echo reply' })
          .first(),
      ).toBeVisible();
      await capture.getByRole('button', { name: 'Stop' }).click();
      await expect(capture.getByRole('button', { name: 'Start' })).toBeEnabled();
    });

    await test.step("7. Read the bridge's forwarding table", async () => {
      await page.getByTestId('node-br0').click();
      await panels.getByRole('tab', { name: 'Kernel tables' }).click();
      const fdb = page.getByTestId('fdb-table');
      for (const node of ['ns1', 'ns2']) {
        const mac = macOf(ns(LAB, node), 'eth0');
        await expect(
          fdb.getByTestId('fdb-row').filter({ has: page.getByTestId('fdb-mac').filter({ hasText: mac }) }),
        ).toContainText(`br0-${node}`);
      }
      // Next to the bridge's own entries.
      await expect(fdb.getByTestId('fdb-row').filter({ hasText: 'permanent' }).first()).toBeVisible();
    });

    await test.step('8. Destroy', async () => {
      page.once('dialog', (d) => void d.accept());
      await toolbar.getByRole('button', { name: 'Destroy' }).click();
      await expect(page.getByTestId('lab-status')).toHaveText('not applied');
      expect(labNamespaces(LAB)).toEqual([]);
      // The drawing stays.
      await expect(page.getByTestId('node-br0')).toBeVisible();
    });
  } finally {
    // Whatever happened above, the lab does not outlive the test.
    await request.delete(`/api/labs/${LAB}`, { headers: { authorization: `Bearer ${E2E.token}` } });
  }
  expect(errors).toEqual([]);
});
