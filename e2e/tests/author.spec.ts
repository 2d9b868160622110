// The authoring page against the real server and kernel: start from the built-in link-down
// exercise, add a ping check whose nodes are picked by clicking them on the canvas, validate it on
// the kernel (the proof shows sound), export the scenario file, and find the draft again after a
// reload. Then a scenario file imported through the editor's Open dialog opens in the authoring page.
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { E2E } from '../e2e-env';
import { canvasSettled, openEditor } from './steps';

test('author an exercise: built-in, pick on the canvas, validate, export, reload', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`/author?token=${E2E.token}`);
  await expect(page.getByTestId('author-start')).toBeVisible();
  await page.getByTestId('start-builtin').click();
  await page.getByTestId('builtin-link-down').click();
  await expect(page.getByTestId('author-id')).toHaveText('Exercise link-down');
  await expect(page.getByTestId('author-problem-count')).toHaveText('no problems');
  await expect(page.getByTestId('check-2')).toBeVisible();
  // The built-in's lab is drawn and the view fitted to it before its nodes are clicked.
  await canvasSettled(page);

  // Add a ping: its `from` is the field a canvas click fills right away.
  await page.getByTestId('add-check-ping').click();
  await expect(page.getByTestId('pick-banner')).toContainText('checks[3].from');
  await expect(page.getByTestId('author-problem-count')).not.toHaveText('no problems');
  await page.getByTestId('node-db').click();
  await expect(page.getByTestId('field-checks[3].from')).toHaveValue('db');
  // An address field: a click fills the node's first address.
  await page.getByTestId('pick-checks[3].to').click();
  await page.getByTestId('node-web').click();
  await expect(page.getByTestId('field-checks[3].to')).toHaveValue('192.168.100.10');
  await expect(page.getByTestId('field-checks[3].title')).toHaveValue('db reaches 192.168.100.10');
  await expect(page.getByTestId('author-problem-count')).toHaveText('no problems');
  await page.getByTestId('field-checks[3].id').fill('db-to-web');

  // Validate on the kernel: fresh fails, the solution passes every check (the new one too), reset fails.
  await page.getByTestId('validate').click();
  await expect(page.getByTestId('proof-running')).toBeVisible();
  await expect(page.getByTestId('proof-verdict')).toHaveText('sound', { timeout: 60_000 });
  for (const stage of ['fresh', 'solution', 'reset'])
    await expect(page.getByTestId(`stage-${stage}`)).toHaveClass(/ok/);
  await expect(page.getByTestId('result-solution-db-to-web')).toHaveClass(/pass/);
  await expect(page.getByTestId('stage-solution')).toContainText('ip link set eth0 up');
  await page.screenshot({ path: 'test-results/author-proof.png' });

  // Export: <id>.yaml with the new check.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-scenario').click()]);
  expect(download.suggestedFilename()).toBe('link-down.scenario.yaml');
  const exported = readFileSync(await download.path(), 'utf8');
  expect(exported).toMatch(/^id: link-down$/m);
  // The new check, last, as scenarioToYaml writes it (one field a line).
  expect(exported).toMatch(
    /- id: db-to-web\n\s+title: db reaches 192\.168\.100\.10\n\s+type: ping\n\s+from: db\n\s+to: 192\.168\.100\.10\nhints:/,
  );

  // A reload keeps the working draft.
  await page.reload();
  await expect(page.getByTestId('field-checks[3].id')).toHaveValue('db-to-web');
  expect(errors).toEqual([]);
});

test('a scenario file imported in the editor opens in the authoring page, problems shown', async ({ page }) => {
  const errors = await openEditor(page, 'e2e-author');
  await page.getByTestId('open').click();
  await page.getByTestId('open-tab-labs').click();
  const text = readFileSync('../packages/scenarios/library/link-down.yaml', 'utf8').replace(
    'to: 192.168.100.20 }',
    'to: nowhere }',
  );
  await page
    .getByTestId('open-file')
    .setInputFiles({ name: 'broken.yaml', mimeType: 'application/yaml', buffer: Buffer.from(text) });
  await expect(page).toHaveURL(/\/author$/);
  await expect(page.getByTestId('author-notice')).toContainText('opened broken.yaml');
  await expect(page.getByTestId('problems-checks[1].to')).toBeVisible();
  await page.getByTestId('field-checks[1].to').fill('192.168.100.20');
  await expect(page.getByTestId('author-problem-count')).toHaveText('no problems');
  expect(errors).toEqual([]);
});

test('"Make exercise" in the editor opens its lab on /author, and again keeps what was written', async ({ page }) => {
  const errors = await openEditor(page, 'e2e-author-make');
  await page.getByTestId('open').click();
  await page.getByTestId('example-docker-bridge').click();
  const lab = 'docker-bridge';
  await expect(page.getByTestId('lab-name')).toHaveText(lab);
  await canvasSettled(page);
  await page.getByTestId('make-exercise').click();
  await expect(page).toHaveURL(/\/author$/);
  await expect(page.getByTestId('author-notice')).toContainText(`new exercise around lab ${lab}`);
  await expect(page.getByTestId('field-id')).toHaveValue(lab);
  await page.getByTestId('field-title').fill('Containers on a bridge');
  await page.getByTestId('add-check-interface').click();
  await expect(page.getByTestId('pick-banner')).toContainText('checks[0].node');
  await canvasSettled(page);
  await page.locator('.pb-au-canvas .react-flow__node').first().click();
  await expect(page.getByTestId('field-checks[0].node')).not.toHaveValue('');

  // Back in the editor and "Make exercise" again: same lab, so the exercise written so far stays.
  await page.goBack();
  await expect(page.getByTestId('lab-name')).toHaveText(lab);
  await page.getByTestId('make-exercise').click();
  await expect(page.getByTestId('author-notice')).toContainText('the exercise written so far is kept');
  await expect(page.getByTestId('field-title')).toHaveValue('Containers on a bridge');
  await expect(page.getByTestId('check-0')).toBeVisible();
  expect(errors).toEqual([]);
});
