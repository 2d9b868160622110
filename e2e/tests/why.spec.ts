// Why? in the browser (issue 14, section 2), against the real server and kernel: a ping that fails in
// the ping panel → Why? → the path drawn on the canvas with the dead hop in red (its reason, detail
// and fix) and the hops in the Why? panel; the same question from a node's context menu, by keyboard,
// for a path that works (no red hop, "reachable"); a student asking on their exercise page, and a
// student not offered Why? where the scenario says `why: false`.
import { readFileSync } from 'node:fs';
import { expect, test, type APIRequestContext, type Browser, type Page } from '@playwright/test';
import { E2E } from '../e2e-env';
import { freshLab, labNamespaces, openEditor } from './steps';

const admin = { authorization: `Bearer ${E2E.token}` };
const LINK_DOWN = new URL('../../packages/scenarios/library/link-down.yaml', import.meta.url);

/** a — r — b, routed; b has no route back to a's subnet, so a's ping to b gets no reply. */
const LAB = 'e2e-why';
const lab = {
  name: LAB,
  nodes: {
    a: { kind: 'netns', routes: [{ to: 'default', via: '10.61.1.1' }] },
    r: { kind: 'router' },
    b: { kind: 'netns' },
  },
  links: [
    {
      a: { node: 'a', interface: 'eth0', addresses: ['10.61.1.2/24'] },
      b: { node: 'r', interface: 'eth0', addresses: ['10.61.1.1/24'] },
    },
    {
      a: { node: 'r', interface: 'eth1', addresses: ['10.61.2.1/24'] },
      b: { node: 'b', interface: 'eth0', addresses: ['10.61.2.2/24'] },
    },
  ],
};
const ar = 'a:eth0--r:eth0';
const rb = 'r:eth1--b:eth0';

async function runLab(request: APIRequestContext): Promise<void> {
  const r = await request.put(`/api/labs/${LAB}`, { headers: admin, data: lab });
  expect(r.ok(), await r.text()).toBe(true);
}

const hops = (page: Page, list: 'why-forward' | 'why-reverse') => page.getByTestId(list).getByTestId('why-hop');

test.describe('Why? in the editor', () => {
  test.beforeAll(async ({ request }) => {
    await freshLab(request, LAB);
    await runLab(request);
  });
  test.afterAll(async ({ request }) => {
    await freshLab(request, LAB);
    expect(labNamespaces(LAB)).toEqual([]);
  });

  test('a failed ping → Why? → the dead hop in red on the canvas, the hops in the panel', async ({ page }) => {
    const errors = await openEditor(page, LAB);
    await expect(page.getByTestId('lab-status')).toHaveText('running');

    await page.getByTestId('tab-ping').click();
    await page.getByTestId('ping-from').selectOption('a');
    await page.getByTestId('ping-target').fill('10.61.2.2');
    await page.getByTestId('ping-count').fill('2');
    await page.getByTestId('ping-interval').fill('200');
    // No Why? before a ping lost anything.
    await expect(page.getByTestId('ping-why')).toHaveCount(0);
    await page.getByTestId('ping-start').click();
    await expect(page.getByTestId('ping-summary')).toContainText('2 packets transmitted, 0 received', {
      timeout: 15_000,
    });

    // Why?, asked with the ping's own question.
    await page.getByTestId('ping-why').click();
    const dialog = page.getByTestId('why-dialog');
    await expect(dialog).toBeVisible();
    await expect(dialog.getByTestId('why-from')).toHaveValue('a');
    await expect(dialog.getByTestId('why-to')).toHaveValue('10.61.2.2');
    await expect(dialog.getByTestId('why-size')).toHaveValue('84');
    await dialog.getByTestId('why-ask').click();
    await expect(dialog).toHaveCount(0, { timeout: 15_000 });
    await expect(page.getByTestId('tab-why')).toHaveAttribute('aria-selected', 'true');

    // The canvas: the request's path a → r → b in order, the reply dead at b.
    await expect(page.getByTestId('why-step-a')).toHaveText('1');
    await expect(page.getByTestId('why-step-r')).toHaveText('2');
    await expect(page.getByTestId('node-b')).toHaveClass(/\bwhy-dead\b/);
    await expect(page.getByTestId('why-dead-b')).toHaveText('✕ no-route');
    const note = page.getByTestId('why-note-b');
    await expect(note).toContainText('no-route: no route to the destination');
    // (The kernel's words and the fix are the engine's: here only that they are shown.)
    await expect(note).toContainText('the reply dies at b: ');
    await expect(note).toContainText('Fix: ');
    await expect(page.locator('[data-testid^="why-dead-"]')).toHaveCount(1);
    await expect(page.getByTestId('node-r')).not.toHaveClass(/\bwhy-dead\b/);
    await expect(page.getByTestId(`why-edge-${ar}`)).toHaveAttribute('data-why', 'forward');
    await expect(page.getByTestId(`why-edge-${rb}`)).toHaveAttribute('data-why', 'forward');

    // The panel: the question, the hops in order, the verdict (announced) and the fix.
    await expect(page.getByTestId('why-question')).toHaveText(
      'Can a (10.61.1.2) reach 10.61.2.2? ICMP echo, 84-byte packets.',
    );
    await expect(hops(page, 'why-forward')).toHaveCount(3);
    expect(await hops(page, 'why-forward').evaluateAll((li) => li.map((l) => l.getAttribute('data-node')))).toEqual([
      'a',
      'r',
      'b',
    ]);
    await expect(hops(page, 'why-forward').nth(1)).toContainText('r eth0 → eth1 route');
    await expect(hops(page, 'why-reverse')).toHaveCount(1);
    await expect(hops(page, 'why-reverse').first()).toContainText('b drop');
    const verdict = page.getByTestId('why-verdict');
    await expect(verdict).toHaveAttribute('data-reachable', 'false');
    await expect(verdict).toContainText('Blocked: the reply dies at b — no-route');
    await expect(page.getByTestId('why-fix')).toContainText('Fix: ');
    await expect(page.getByTestId('why-verdict-live')).toHaveAttribute('aria-live', 'polite');

    // Clear: the path leaves the canvas.
    await page.getByTestId('why-clear').click();
    await expect(page.locator('.pb-node.why-dead, .pb-node.why-forward')).toHaveCount(0);
    await expect(page.locator('[data-testid^="why-edge-"]')).toHaveCount(0);
    await expect(page.getByTestId('why-verdict')).toHaveCount(0);
    expect(errors).toEqual([]);
  });

  test("from a node's menu, by keyboard: a path that works has no red hop and says reachable", async ({ page }) => {
    const errors = await openEditor(page, LAB);
    await expect(page.getByTestId('lab-status')).toHaveText('running');

    // The node's menu from the keyboard: the node focused, Shift+F10.
    await page.locator('.react-flow__node[data-id="a"]').focus();
    await page.keyboard.press('Shift+F10');
    const item = page.getByTestId('context-menu').getByRole('menuitem', { name: 'Why? From a to…' });
    // It opens under the node, not in the corner (a key press has no pointer position).
    const nodeBox = (await page.getByTestId('node-a').boundingBox())!;
    const menuBox = (await page.getByTestId('context-menu').boundingBox())!;
    expect(menuBox.x).toBeGreaterThan(nodeBox.x);
    expect(menuBox.y).toBeGreaterThan(nodeBox.y);
    // The menu takes the keyboard at once: its first item has the focus; ↓ moves to the others.
    await expect(page.getByTestId('context-menu').getByRole('menuitem').first()).toBeFocused();
    while (!(await item.evaluate((el) => el === document.activeElement))) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');

    const dialog = page.getByTestId('why-dialog');
    await expect(dialog.getByTestId('why-from')).toHaveValue('a');
    await expect(dialog.getByTestId('why-to')).toBeFocused();
    // Escape closes it, nothing asked.
    await page.keyboard.press('Escape');
    await expect(dialog).toHaveCount(0);

    await page.getByTestId('tab-why').click();
    await page.getByTestId('why-open').click();
    await expect(dialog.getByTestId('why-to')).toBeFocused();
    // A question with a problem is not sent: the field says what is wrong.
    await dialog.getByTestId('why-proto').selectOption('tcp');
    await dialog.getByTestId('why-to').fill('r');
    await dialog.getByTestId('why-ask').click();
    await expect(dialog.getByTestId('why-port-error')).toHaveText('tcp needs a port from 1 to 65535');
    await dialog.getByTestId('why-proto').selectOption('icmp');
    await dialog.getByTestId('why-to').press('Enter');
    await expect(dialog).toHaveCount(0, { timeout: 15_000 });

    const verdict = page.getByTestId('why-verdict');
    await expect(verdict).toHaveAttribute('data-reachable', 'true');
    await expect(verdict).toContainText('Reachable: the request gets to r (10.61.1.1) and the reply gets back to a.');
    await expect(page.locator('[data-testid^="why-dead-"]')).toHaveCount(0);
    await expect(page.locator('.pb-node.why-dead')).toHaveCount(0);
    await expect(page.getByTestId('why-step-a')).toHaveText('1');
    await expect(page.getByTestId('why-step-r')).toHaveText('2');
    await expect(page.getByTestId('why-step-b')).toHaveCount(0);
    await expect(page.getByTestId(`why-edge-${ar}`)).toHaveAttribute('data-why', 'forward');
    await expect(page.getByTestId(`why-edge-${rb}`)).toHaveCount(0);
    expect(await hops(page, 'why-forward').evaluateAll((li) => li.map((l) => l.getAttribute('data-node')))).toEqual([
      'a',
      'r',
    ]);
    expect(await hops(page, 'why-reverse').evaluateAll((li) => li.map((l) => l.getAttribute('data-node')))).toEqual([
      'r',
      'a',
    ]);
    expect(errors).toEqual([]);
  });
});

/**
 * Runs `body` with a student's page on a new session of `session` (a built-in id, or a scenario file);
 * the session (and so the student's lab) is ended afterwards, pass or fail.
 */
async function asStudent(
  browser: Browser,
  request: APIRequestContext,
  session: { scenario: string } | { text: string },
  body: (page: Page) => Promise<void>,
): Promise<void> {
  const created = await request.post('/api/sessions', { headers: admin, data: session });
  expect(created.status(), await created.text()).toBe(201);
  const { id, code } = (await created.json()) as { id: string; code: string };
  const context = await browser.newContext();
  let studentLab: string | undefined;
  try {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`/join/${code}`);
    await page.getByTestId('join-name').fill('Ada');
    await page.getByTestId('join-submit').click();
    await expect(page.getByTestId('exercise')).toBeVisible({ timeout: 30_000 });
    studentLab = decodeURIComponent(new URL(page.url()).pathname.split('/')[2]!);
    await expect(page.getByTestId('instructions')).toBeVisible();
    await body(page);
    expect(errors).toEqual([]);
  } finally {
    await context.close();
    await request.delete(`/api/sessions/${encodeURIComponent(id)}`, { headers: admin });
    if (studentLab) await expect.poll(() => labNamespaces(studentLab!), { timeout: 15_000 }).toEqual([]);
  }
}

test('a student asks Why? on their exercise page: the broken link is the red hop', async ({ browser, request }) => {
  await asStudent(browser, request, { scenario: 'link-down' }, async (page) => {
    await expect(page.getByTestId('tab-why')).toBeVisible();
    await page.getByTestId('node-web').click({ button: 'right' });
    await page.getByTestId('context-menu').getByRole('menuitem', { name: 'Why? From web to…' }).click();
    const dialog = page.getByTestId('why-dialog');
    await dialog.getByTestId('why-to').fill('db');
    await dialog.getByTestId('why-to').press('Enter');
    await expect(dialog).toHaveCount(0, { timeout: 15_000 });

    const verdict = page.getByTestId('why-verdict');
    await expect(verdict).toHaveAttribute('data-reachable', 'false');
    await expect(verdict).toContainText('Blocked: the request dies at db (eth0) — link-down');
    await expect(page.locator('[data-testid^="why-dead-"]')).toHaveCount(1);
    await expect(page.getByTestId('why-dead-db')).toHaveText('✕ link-down');
    await expect(page.getByTestId('why-note-db')).toContainText('the request dies at db (eth0): ');
    // The cable at fault is red; the one the request took to the bridge is on its path.
    await expect(page.getByTestId('why-edge-db:eth0--br0:veth-db')).toHaveAttribute('data-why', 'dead');
    await expect(page.getByTestId('why-edge-web:eth0--br0:veth-web')).toHaveAttribute('data-why', 'forward');
    await expect(page.getByTestId('why-step-br0')).toHaveText('2');
  });
});

test('an exercise whose scenario says why: false offers the student no Why?', async ({ browser, request }) => {
  const text = `${readFileSync(LINK_DOWN, 'utf8').replace(/^id: link-down$/m, 'id: link-down-no-why')}\nwhy: false\n`;
  await asStudent(browser, request, { text }, async (page) => {
    await expect(page.getByTestId('tab-tables')).toBeVisible();
    await expect(page.getByTestId('tab-why')).toHaveCount(0);
    await page.getByTestId('node-web').click({ button: 'right' });
    const menu = page.getByTestId('context-menu');
    await expect(menu).toContainText('Open a terminal in web');
    await expect(menu).not.toContainText('Why?');
  });
});
