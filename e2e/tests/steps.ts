// Steps shared by the specs, each waiting for what it needs before it acts, never for a fixed time:
// the canvas settled before a drag is aimed at a handle, the drop target confirmed before the mouse
// is released, the apply dialog's plan shown before it is confirmed, a shell's echo before Enter.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { expect, type APIRequestContext, type Page } from '@playwright/test';
import { E2E } from '../e2e-env';

const admin = { authorization: `Bearer ${E2E.token}` };

/** The namespace of `node` in `lab`. */
export const ns = (lab: string, node: string): string => `${E2E.prefix}${lab}.${node}`;

// The names under /run/netns, read directly: `ip netns list` also asks the kernel for each one's
// id, and one being deleted meanwhile makes it print "Error: Peer netns reference is invalid."
export const namespaces = (): string[] => (existsSync('/run/netns') ? readdirSync('/run/netns') : []);

export const labNamespaces = (lab: string): string[] =>
  namespaces().filter((n) => n.startsWith(`${E2E.prefix}${lab}.`));

/**
 * Forgets what an earlier run of the same test left on the server (its draft, its running lab), so a
 * test starts from an empty canvas also when repeated against one server (`--repeat-each`).
 */
export async function freshLab(request: APIRequestContext, lab: string): Promise<void> {
  const path = encodeURIComponent(lab);
  const draft = await request.delete(`/api/drafts/${path}`, { headers: admin });
  expect([204, 404]).toContain(draft.status());
  const labs = (await (await request.get('/api/labs', { headers: admin })).json()) as { labs: { name: string }[] };
  if (labs.labs.some((l) => l.name === lab))
    expect((await request.delete(`/api/labs/${path}`, { headers: admin })).ok()).toBe(true);
}

/** Opens the editor on `lab` with the instructor token; returns the page errors seen (checked at the end). */
export async function openEditor(page: Page, lab: string): Promise<string[]> {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`/?token=${E2E.token}#lab=${lab}`);
  await expect(page.getByTestId('lab-name')).toHaveText(lab);
  // The token was taken from the address and removed from it.
  expect(page.url()).not.toContain('token=');
  await canvasSettled(page);
  return errors;
}

/**
 * A fresh lab opened in the editor with `namespaces` netns nodes (ns1, ns2, …) and a bridge br0
 * added from the palette, each namespace connected to br0; returns the page errors seen.
 */
export async function openStar(page: Page, request: APIRequestContext, lab: string, namespaces: number) {
  await freshLab(request, lab);
  const errors = await openEditor(page, lab);
  for (let i = 0; i < namespaces; i++) await page.getByTestId('palette-netns').click();
  await page.getByTestId('palette-bridge').click();
  for (let i = 1; i <= namespaces; i++) await connect(page, `ns${i}`, 'br0');
  return errors;
}

/** Whether one ping from namespace `from` to `to` is answered within a second. */
export function pings(from: string, to: string): boolean {
  try {
    execFileSync('ip', ['netns', 'exec', from, 'ping', '-c', '1', '-W', '1', to]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Waits until the drawing stands still: the canvas says no fit of the view is pending
 * (`data-layout="settled"`, set by the app once React Flow has fitted the view it was asked to),
 * and the viewport and every node are where they were one animation frame pair before.
 */
export async function canvasSettled(page: Page): Promise<void> {
  await expect(page.getByTestId('canvas')).toHaveAttribute('data-layout', 'settled');
  await expect
    .poll(
      () =>
        page.evaluate(
          () =>
            new Promise<boolean>((resolve) => {
              const snapshot = () =>
                [
                  document.querySelector('.react-flow__viewport')?.getAttribute('style') ?? '',
                  ...[...document.querySelectorAll('.react-flow__node')].map((n) => {
                    const r = n.getBoundingClientRect();
                    return `${n.getAttribute('data-id')}:${r.x},${r.y},${r.width},${r.height}`;
                  }),
                ].join('|');
              const before = snapshot();
              requestAnimationFrame(() => requestAnimationFrame(() => resolve(snapshot() === before)));
            }),
        ),
      { message: 'the drawing keeps moving' },
    )
    .toBe(true);
}

/**
 * Drags from a node's `side` handle to another node's left handle: a veth pair (or, between bridges
 * on two hosts, the overlay menu). The drop is released only once React Flow shows the connection
 * would end on `to` (its handle marked `connectingto valid`): a drag aimed at a drawing that moved
 * fails here, naming the node, instead of connecting another one.
 */
export async function connect(page: Page, from: string, to: string): Promise<void> {
  await canvasSettled(page);
  const start = page.locator(`[data-testid="node-${from}"] .react-flow__handle-right`);
  const end = page.locator(`[data-testid="node-${to}"] .react-flow__handle-left`);
  await expect(start).toBeVisible();
  await expect(end).toBeVisible();
  const a = (await start.boundingBox())!;
  const b = (await end.boundingBox())!;
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 12 });
  await expect(end, `the drag from ${from} does not end on ${to}`).toHaveClass(
    /\bconnectingto\b.*\bvalid\b|\bvalid\b.*\bconnectingto\b/,
  );
  await page.mouse.up();
}

/** Apply → the plan shown → Apply for real → the result → Close; returns the planned commands. */
export async function apply(page: Page): Promise<string[]> {
  await page.getByTestId('apply').click();
  const dialog = page.getByTestId('apply-dialog');
  await expect(dialog.getByTestId('apply-ops')).toBeVisible();
  const commands = await dialog.getByTestId('apply-op').locator('code').allTextContents();
  await dialog.getByTestId('apply-confirm').click();
  await expect(dialog.getByTestId('apply-result')).toBeVisible({ timeout: 30_000 });
  await dialog.getByTestId('apply-close').click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByTestId('lab-status')).toHaveText('running');
  return commands;
}

/** Destroy, confirmed in the browser's dialog; the lab's namespaces are gone. */
export async function destroy(page: Page, lab: string): Promise<void> {
  page.once('dialog', (d) => void d.accept());
  await page.getByTestId('destroy').click();
  await expect(page.getByTestId('lab-status')).toHaveText('not applied');
  expect(labNamespaces(lab)).toEqual([]);
}

/**
 * Types a command into the focused terminal at a person's pace and presses Enter only once the
 * shell has echoed the whole line (keys typed while the shell starts would otherwise race its
 * line editor).
 */
export async function runInTerminal(page: Page, command: string): Promise<void> {
  const rows = page.getByTestId('terminal-screen').filter({ visible: true }).locator('.xterm-rows');
  const echoes = async () => ((await rows.textContent()) ?? '').split(command).length - 1;
  const before = await echoes();
  await page.keyboard.type(command, { delay: 25 });
  await expect.poll(echoes, { message: `the shell did not echo "${command}"` }).toBeGreaterThan(before);
  await page.keyboard.press('Enter');
}
