// `run:` in the editor: the inspector adds a process line to a node (checked as typed), the canvas
// marks the node, the plan shows the start, and once applied the node's tables panel shows the
// process running and its output; destroy ends it.
import { readFileSync, readdirSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { apply, canvasSettled, destroy, freshLab, ns, openEditor } from './steps';

/** Processes on the machine whose command line contains `text`. */
const processesMentioning = (text: string): number[] =>
  readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    });

test('the inspector adds a run line, apply starts it, the node panel shows its output', async ({ page, request }) => {
  const LAB = 'e2e-run';
  const LINE = 'echo hello-from-run-e2e; exec sleep 600';
  await freshLab(request, LAB);
  const errors = await openEditor(page, LAB);
  try {
    await page.getByTestId('palette-netns').click();
    await expect(page.getByTestId('node-ns1')).toBeVisible();
    await canvasSettled(page);
    await page.getByTestId('node-ns1').click();

    // Add a line: a blank one is refused as typed, then the real command.
    const run = page.getByTestId('inspector-run');
    await run.getByTestId('run-add').click();
    const input = run.getByTestId('run-input');
    await input.fill(LINE);
    await input.press('Enter');
    await expect(page.getByTestId('run-badge-ns1')).toHaveText('▶ 1');
    await run.getByTestId('run-add').click();
    await run.getByTestId('run-input').nth(1).fill(LINE);
    await run.getByTestId('run-input').nth(1).press('Enter');
    await expect(run).toContainText('the same command as nodes.ns1.run[0]');
    await run
      .getByRole('button', { name: `Remove process ${LINE}` })
      .nth(1)
      .click();
    await expect(run.getByTestId('run-input')).toHaveCount(1);
    await expect(run).not.toContainText('the same command');

    const commands = await apply(page);
    expect(commands.some((c) => c.startsWith(`ip netns exec ${ns(LAB, 'ns1')} setsid sh -c '${LINE}'`))).toBe(true);
    await expect(page.getByTestId('run-badge-ns1')).toHaveText('▶ 1/1');

    await page.getByTestId('tab-tables').click();
    const section = page.getByTestId('processes-section');
    await expect(section.getByTestId('process-state')).toContainText('running');
    await expect(section.getByTestId('process-output')).toContainText('hello-from-run-e2e');
    expect(processesMentioning('hello-from-run-e2e').length).toBeGreaterThan(0);

    await destroy(page, LAB);
    expect(processesMentioning('hello-from-run-e2e')).toEqual([]);
    expect(errors).toEqual([]);
  } finally {
    await freshLab(request, LAB); // destroyed even when a step failed
  }
});
