// The editor against the real server and kernel, driven as a user would: draw two namespaces and a
// bridge on an empty canvas, connect them (addresses are proposed), apply, ping from the ping panel,
// capture the ICMP lines, read both MACs in the bridge's FDB table, change an address on the running
// lab and see only that change planned, undo/redo; then import an example, apply it and destroy it.
import { execFileSync } from 'node:child_process';
import { expect, test } from '@playwright/test';
import { apply, canvasSettled, connect, destroy, freshLab, labNamespaces, namespaces, ns, openEditor } from './steps';

const macOf = (namespace: string, iface: string): string =>
  (
    JSON.parse(execFileSync('ip', ['-n', namespace, '-j', 'link', 'show', iface], { encoding: 'utf8' })) as {
      address: string;
    }[]
  )[0]!.address;

test('draw, connect, apply, ping, capture, FDB, change an address, undo/redo, destroy', async ({ page, request }) => {
  const LAB = 'e2e-draw';
  await freshLab(request, LAB);
  const errors = await openEditor(page, LAB);

  // Draw: a namespace dragged from the palette, the others clicked in.
  await page.getByTestId('palette-netns').dragTo(page.getByTestId('canvas'), { targetPosition: { x: 200, y: 120 } });
  await page.getByTestId('palette-netns').click();
  await page.getByTestId('palette-bridge').click();
  for (const n of ['ns1', 'ns2', 'br0']) await expect(page.getByTestId(`node-${n}`)).toBeVisible();
  await page.getByTestId('auto-layout').click();
  await canvasSettled(page);

  await connect(page, 'ns1', 'br0');
  await connect(page, 'ns2', 'br0');
  await expect(page.getByTestId('edge-end-ns1-eth0')).toContainText('192.168.100.1/24');
  await expect(page.getByTestId('edge-end-ns2-eth0')).toContainText('192.168.100.2/24');
  await expect(page.getByTestId('apply')).toHaveText('Apply');

  const commands = await apply(page);
  expect(commands).toContain(`ip -n ${ns(LAB, 'ns1')} addr add 192.168.100.1/24 dev eth0`);
  expect(namespaces()).toEqual(expect.arrayContaining([ns(LAB, 'ns1'), ns(LAB, 'ns2'), ns(LAB, '_host')]));

  // Ping from the ping panel.
  await page.getByTestId('tab-ping').click();
  await page.getByTestId('ping-from').selectOption('ns1');
  await page.getByTestId('ping-target').fill('192.168.100.2');
  await page.getByTestId('ping-count').fill('3');
  await page.getByTestId('ping-start').click();
  await expect(page.getByTestId('ping-reply')).toHaveCount(3, { timeout: 15_000 });
  await expect(page.getByTestId('ping-summary')).toContainText('3 packets transmitted, 3 received, 0% packet loss');

  // Capture on ns2's `any` while pinging again: the ICMP lines appear, each with the interface the
  // packet crossed as ns2 names it (not `?`, nor a name of the server's own namespace).
  await page.getByTestId('tab-capture').click();
  await page.getByTestId('capture-node').selectOption('ns2');
  await page.getByTestId('capture-iface').selectOption('any');
  await page.getByTestId('capture-filter').fill('icmp');
  await page.getByTestId('capture-start').click();
  await expect(page.getByTestId('capture-stop')).toBeEnabled();
  await page.getByTestId('tab-ping').click();
  await page.getByTestId('ping-start').click();
  // The new run replaces the first one's lines: wait for its own summary, not the first one's.
  await expect(page.getByTestId('ping-summary')).toHaveCount(0);
  await expect(page.getByTestId('ping-summary')).toContainText('3 received', { timeout: 15_000 });
  await expect(page.getByTestId('ping-reply')).toHaveCount(3);
  await page.getByTestId('tab-capture').click();
  const captured = page.getByTestId('capture-line');
  await expect(
    captured.filter({ hasText: /eth0\s+In\s+IP 192\.168\.100\.1 > 192\.168\.100\.2: ICMP echo request/ }).first(),
  ).toBeVisible();
  await expect(
    captured.filter({ hasText: /eth0\s+Out\s+IP 192\.168\.100\.2 > 192\.168\.100\.1: ICMP echo reply/ }).first(),
  ).toBeVisible();
  await expect(captured.filter({ hasText: /\?\s+(In|Out)\s/ })).toHaveCount(0);
  await page.getByTestId('capture-stop').click();

  // Both MACs in the bridge's FDB table.
  await page.getByTestId('node-br0').click();
  await page.getByTestId('tab-tables').click();
  const fdb = page.getByTestId('fdb-table');
  for (const mac of [macOf(ns(LAB, 'ns1'), 'eth0'), macOf(ns(LAB, 'ns2'), 'eth0')]) {
    await expect(fdb.getByTestId('fdb-mac').filter({ hasText: mac })).toHaveCount(1);
  }

  // Change ns2's address on the running lab: only that change is planned.
  await page.getByTestId('edge-end-ns2-eth0').click();
  const addr = page.getByTestId('inspector-link-a-addresses').getByTestId('address-input').first();
  await addr.fill('192.168.100.22/24');
  await addr.press('Enter');
  await expect(page.getByTestId('edge-end-ns2-eth0')).toContainText('192.168.100.22/24');
  const changed = await apply(page);
  // ns1 only forgets any old MAC of the new address (the neighbours' flush of the plan).
  const flushes = changed.filter((c) => c.includes(' neigh flush '));
  expect(flushes).toEqual([`ip -n ${ns(LAB, 'ns1')} neigh flush to 192.168.100.22 dev eth0`]);
  expect(changed.filter((c) => !flushes.includes(c)).every((c) => c.includes(ns(LAB, 'ns2')))).toBe(true);
  expect(changed.some((c) => c.includes('addr add 192.168.100.22/24'))).toBe(true);
  const addrs = execFileSync('ip', ['-n', ns(LAB, 'ns2'), '-br', 'addr', 'show', 'eth0'], { encoding: 'utf8' });
  expect(addrs).toContain('192.168.100.22/24');

  // Undo brings the old address back on the canvas; redo the new one.
  await page.getByTestId('canvas').click({ position: { x: 5, y: 5 } });
  await page.getByTestId('undo').click();
  await expect(page.getByTestId('edge-end-ns2-eth0')).toContainText('192.168.100.2/24');
  await page.getByTestId('redo').click();
  await expect(page.getByTestId('edge-end-ns2-eth0')).toContainText('192.168.100.22/24');

  await destroy(page, LAB);
  expect(errors).toEqual([]);
});

test('import an example from the gallery, apply it, destroy it', async ({ page, request }) => {
  await freshLab(request, 'docker-bridge');
  const errors = await openEditor(page, 'e2e-empty');
  await page.getByTestId('open').click();
  await page.getByTestId('open-tab-gallery').click();
  await page.getByTestId('example-docker-bridge').click();
  await expect(page.getByTestId('lab-name')).toHaveText('docker-bridge');
  await expect(page.locator('.react-flow__node')).not.toHaveCount(0);
  await canvasSettled(page);
  // The plan's iptables-restore shows the rules it loads, one per line (not run together on one).
  await page.getByTestId('apply').click();
  const restore = page
    .getByTestId('apply-dialog')
    .getByTestId('apply-op')
    .locator('code')
    .filter({ hasText: 'iptables-restore' });
  await expect(restore).toHaveCount(1);
  expect((await restore.innerText()).split('\n')).toContain(
    '-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE',
  );
  await page.getByTestId('apply-close').click();
  await apply(page);
  expect(labNamespaces('docker-bridge')).not.toEqual([]);

  // Node a's routes as the kernel has them: the connected route with its source, the local table
  // folded; its eth0's peer named.
  await page.getByTestId('node-a').click();
  await page.getByTestId('tab-tables').click();
  const main = page.locator('[data-testid="routes-table"][data-table="main"]');
  await expect(main.locator('tr').filter({ hasText: '172.17.0.0/16' })).toContainText('kernel');
  await expect(main.locator('tr').filter({ hasText: '172.17.0.0/16' })).toContainText('172.17.0.2');
  const local = page.getByTestId('routes-folded');
  await expect(local).not.toHaveAttribute('open');
  await expect(local.locator('tr').filter({ hasText: '172.17.0.2/32' })).toBeHidden();
  await local.locator('summary').click();
  await expect(local.locator('tr').filter({ hasText: '172.17.0.2/32' })).toContainText('local');
  await expect(page.getByTestId('rules-list')).toContainText('32766: from all lookup main');
  await expect(page.getByTestId('interfaces-table').locator('tr').filter({ hasText: 'eth0' })).toContainText(
    'docker0:veth-a',
  );
  await destroy(page, 'docker-bridge');
  expect(errors).toEqual([]);
});

test('an overlay drawn between bridges on two hosts; the drawing survives a reload; it applies as VXLAN', async ({
  page,
  request,
}) => {
  const LAB = 'e2e-vx';
  await freshLab(request, LAB);
  const errors = await openEditor(page, LAB);
  for (const kind of ['host', 'host', 'bridge', 'bridge']) await page.getByTestId(`palette-${kind}`).click();
  // Each bridge in its own host.
  await page.getByTestId('node-br0').click();
  await page.getByTestId('inspector-bridge-host').selectOption('host1');
  await page.getByTestId('node-br1').click();
  await page.getByTestId('inspector-bridge-host').selectOption('host2');
  await connect(page, 'host1', 'host2');
  await expect(page.getByTestId('edge-end-host1-eth0')).toContainText('10.0.0.1/24');
  await connect(page, 'br0', 'br1');
  await page.getByTestId('context-menu').getByText('VXLAN overlay (VNI 42)').click();
  await expect(page.getByText('ov42 · VNI 42')).toBeVisible();
  await expect(page.getByTestId('save-state')).toHaveText('saved');

  await page.reload();
  await expect(page.getByTestId('lab-name')).toHaveText(LAB);
  await canvasSettled(page);
  await expect(page.getByText('ov42 · VNI 42')).toBeVisible();
  await expect(page.getByTestId('edge-end-host2-eth0')).toContainText('10.0.0.2/24');

  await apply(page);
  const vx = execFileSync('ip', ['-n', ns(LAB, 'host1'), '-d', '-j', 'link', 'show', 'type', 'vxlan'], {
    encoding: 'utf8',
  });
  expect(
    (JSON.parse(vx) as { linkinfo: { info_data: { id: number; local: string } } }[])[0]!.linkinfo.info_data,
  ).toMatchObject({ id: 42, local: '10.0.0.1' });
  await destroy(page, LAB);
  expect(errors).toEqual([]);
});
