// The web app's polish and accessibility (issue 13, items 8, 9 and 17), against the real server:
// primary buttons keep their contrast on hover, the minimap draws the nodes (and never sits on
// them), the Apply dialog's buttons stay in view over a long plan, a bridge's kernel-dependent
// checkboxes say when this kernel cannot run them, a node not applied says so, canvas nodes and
// links show keyboard focus, the dashboard's check-dot reasons are reachable by keyboard, `/` sends
// a student to their exercise (and says what works without a token), and `#lab=` follows the open lab.
import { expect, test, type APIRequestContext, type Locator, type Page } from '@playwright/test';
import { E2E } from '../e2e-env';
import { canvasSettled, freshLab, labNamespaces, openEditor } from './steps';

const admin = { authorization: `Bearer ${E2E.token}` };

type Lab = { name: string; nodes: Record<string, { kind: string }>; links: unknown[] };

/** `count` namespaces on one bridge, each with an address: a plan of many operations. */
function starLab(name: string, count: number): Lab {
  const nodes: Lab['nodes'] = { br0: { kind: 'bridge' } };
  const links: unknown[] = [];
  for (let i = 1; i <= count; i++) {
    nodes[`ns${i}`] = { kind: 'netns' };
    links.push({
      a: { node: `ns${i}`, interface: 'eth0', addresses: [`10.13.0.${i}/24`] },
      b: { node: 'br0', interface: `p${i}` },
    });
  }
  return { name, nodes, links };
}

async function saveDraft(request: APIRequestContext, lab: Lab): Promise<void> {
  const r = await request.put(`/api/drafts/${encodeURIComponent(lab.name)}`, {
    headers: admin,
    data: { document: lab, layout: { positions: {} } },
  });
  expect(r.ok(), await r.text()).toBe(true);
}

async function runLab(request: APIRequestContext, lab: Lab): Promise<void> {
  const r = await request.put(`/api/labs/${encodeURIComponent(lab.name)}`, { headers: admin, data: lab });
  expect(r.ok(), await r.text()).toBe(true);
}

/** WCAG contrast ratio of two `rgb(…)` colours (alpha ignored: the buttons are opaque). */
function contrast(fg: string, bg: string): number {
  const lum = (c: string) => {
    const [r, g, b] = (c.match(/[\d.]+/g) ?? []).slice(0, 3).map((v) => {
      const x = Number(v) / 255;
      return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  };
  const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
  return (a! + 0.05) / (b! + 0.05);
}

const colours = (l: Locator) =>
  l.evaluate((el) => {
    const s = getComputedStyle(el);
    return { color: s.color, background: s.backgroundColor };
  });

/** Presses Tab until the focused element matches `selector` (at most `max` times); returns it. */
async function tabTo(page: Page, selector: string, max = 80): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((sel) => document.activeElement?.matches(sel) ?? false, selector)) return;
  }
  throw new Error(`Tab never reached ${selector}`);
}

const boxesOverlap = (a: { x: number; y: number; width: number; height: number }, b: typeof a) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

// One running lab (two namespaces on a bridge) for the editor's tests; the others make their own.
const LAB = 'e2e-polish';
test.describe('the editor on a running lab', () => {
  test.beforeAll(async ({ request }) => {
    await freshLab(request, LAB);
    await runLab(request, starLab(LAB, 2));
  });
  test.afterAll(async ({ request }) => {
    await freshLab(request, LAB);
    expect(labNamespaces(LAB)).toEqual([]);
  });

  test('primary buttons keep their contrast on hover', async ({ page }) => {
    const errors = await openEditor(page, LAB);
    await expect(page.getByTestId('lab-status')).toHaveText('running');
    // White on a dark blue, hovered or not (it was white on the grey every button gets on hover).
    await page.getByTestId('tab-ping').click();
    const start = page.getByTestId('ping-start');
    await page.getByTestId('ping-target').fill('10.13.0.2');
    await expect(start).toBeEnabled();
    await start.hover();
    const hovered = await colours(start);
    expect(hovered.color).toBe('rgb(255, 255, 255)');
    expect(contrast(hovered.color, hovered.background)).toBeGreaterThan(4.5);
    await page.getByTestId('tab-terminal').click();
    const open = page.getByTestId('terminal-open');
    await expect(open).toBeEnabled();
    await open.hover();
    const openHovered = await colours(open);
    expect(contrast(openHovered.color, openHovered.background)).toBeGreaterThan(4.5);
    expect(errors).toEqual([]);
  });

  test('the minimap draws the nodes, never on top of them, and not on a small canvas', async ({ page }) => {
    await openEditor(page, LAB);
    const minimap = page.locator('.react-flow__minimap');
    await expect(minimap).toBeVisible();
    await expect(minimap.locator('.react-flow__minimap-node')).toHaveCount(3);
    const mapBox = (await minimap.boundingBox())!;
    for (const node of await page.locator('.react-flow__node').all())
      expect(boxesOverlap((await node.boundingBox())!, mapBox)).toBe(false);
    // A small window: the minimap would cover the lab, so it is not shown.
    await page.setViewportSize({ width: 1000, height: 600 });
    await expect(minimap).toHaveCount(0);
  });

  test('a node drawn but not applied says "not applied", not "0/0 up"', async ({ page }) => {
    await openEditor(page, LAB);
    await expect(page.getByTestId('live-badge-ns1')).toHaveText('1/1 up');
    await page.getByTestId('palette-netns').click();
    await expect(page.getByTestId('node-ns3')).toBeVisible();
    await expect(page.getByTestId('live-badge-ns3')).toHaveText('not applied');
    await page.keyboard.press('Control+z');
    await expect(page.getByTestId('node-ns3')).toHaveCount(0);
  });

  test("a bridge's VLAN filtering and STP boxes say when this kernel cannot run them", async ({ page, request }) => {
    const kernel = (await (await request.get('/api/kernel', { headers: admin })).json()) as {
      missing: { feature: string }[];
    };
    await openEditor(page, LAB);
    await page.getByTestId('node-br0').click();
    for (const [feature, testid] of [
      ['bridge-vlan-filtering', 'inspector-bridge-vlan-filtering'],
      ['bridge-stp', 'inspector-bridge-stp'],
    ] as const) {
      const box = page.getByTestId(testid);
      await expect(box).toBeVisible();
      if (kernel.missing.some((m) => m.feature === feature)) {
        await expect(box).toBeDisabled();
        await expect(page.getByTestId(`${testid}-unavailable`)).toContainText("this server's kernel lacks");
        await expect(box).toHaveAccessibleDescription(/kernel lacks/);
      } else {
        await expect(box).toBeEnabled();
        await expect(page.getByTestId(`${testid}-unavailable`)).toHaveCount(0);
      }
    }
  });

  test('canvas links and nodes show keyboard focus', async ({ page }) => {
    await openEditor(page, LAB);
    // React Flow puts the links before the nodes in the tab order.
    await page.getByTestId('palette-bridge').focus();
    await tabTo(page, '.react-flow__edge');
    const edgeStroke = await page.evaluate(
      () => getComputedStyle(document.activeElement!.querySelector('.react-flow__edge-path')!).strokeWidth,
    );
    expect(parseFloat(edgeStroke)).toBeGreaterThanOrEqual(4);
    await tabTo(page, '.react-flow__node');
    const nodeOutline = await page.evaluate(() => {
      const s = getComputedStyle(document.activeElement!);
      return { style: s.outlineStyle, width: s.outlineWidth };
    });
    expect(nodeOutline.style).toBe('solid');
    expect(parseFloat(nodeOutline.width)).toBeGreaterThanOrEqual(2);
  });
});

test("the Apply dialog's buttons stay in view over a long plan and its result", async ({ page, request }) => {
  const PLAN = 'e2e-polish-plan';
  await freshLab(request, PLAN);
  try {
    await saveDraft(request, starLab(PLAN, 12));
    await openEditor(page, PLAN);
    await page.getByTestId('apply').click();
    const dialog = page.getByTestId('apply-dialog');
    await expect(dialog.getByTestId('apply-ops')).toBeVisible();
    expect(await dialog.getByTestId('apply-op').count()).toBeGreaterThan(60);
    // The plan is taller than the dialog; read from its top, Cancel and Apply are still on screen.
    expect(await dialog.evaluate((el) => el.scrollHeight > el.clientHeight)).toBe(true);
    await dialog.evaluate((el) => (el.scrollTop = 0));
    await expect(dialog.getByTestId('apply-close')).toBeInViewport({ ratio: 1 });
    await expect(dialog.getByTestId('apply-confirm')).toBeInViewport({ ratio: 1 });
    // The same after the apply, under the list of what was done.
    await dialog.getByTestId('apply-confirm').click();
    await expect(dialog.getByTestId('apply-result')).toBeVisible({ timeout: 60_000 });
    await dialog.evaluate((el) => (el.scrollTop = 0));
    await expect(dialog.getByTestId('apply-close')).toHaveText('Close');
    await expect(dialog.getByTestId('apply-close')).toBeInViewport({ ratio: 1 });
    await dialog.getByTestId('apply-close').click();
    await expect(dialog).toHaveCount(0);
  } finally {
    await freshLab(request, PLAN);
  }
  expect(labNamespaces(PLAN)).toEqual([]);
});

test('#lab= and the open lab agree, both ways', async ({ page, request }) => {
  const [A, B, C] = ['e2e-polish-a', 'e2e-polish-b', 'e2e-polish-c'];
  for (const l of [A, B, C]) await freshLab(request, l);
  try {
    await saveDraft(request, starLab(A, 1));
    await saveDraft(request, starLab(B, 2));
    await openEditor(page, A);
    await expect(page).toHaveURL(new RegExp(`#lab=${A}$`));

    // Following a #lab= link opens that lab.
    await page.evaluate((b) => (window.location.hash = `#lab=${b}`), B);
    await expect(page.getByTestId('lab-name')).toHaveText(B);
    await expect(page.getByTestId('node-ns2')).toBeVisible();

    // Renaming the lab (nothing selected: the inspector shows the lab) rewrites the address.
    const name = page.getByTestId('inspector-lab-name');
    await name.fill(C);
    await name.press('Enter');
    await expect(page.getByTestId('lab-name')).toHaveText(C);
    await expect(page).toHaveURL(new RegExp(`#lab=${C}$`));

    // A reload opens what the address names.
    await page.reload();
    await expect(page.getByTestId('lab-name')).toHaveText(C);
    await canvasSettled(page);
  } finally {
    for (const l of [A, B, C]) await freshLab(request, l);
  }
});

test('without a token the editor says what works and how to get one', async ({ page }) => {
  await page.goto('/');
  const banner = page.getByTestId('live-error');
  await expect(banner).toContainText('no Patchbay token');
  await expect(banner).toContainText('?token=');
  await expect(banner).not.toContainText('applying still work');
  // No Open dialog that could list nothing ("Loading…" for ever): a lab to draw in.
  await expect(page.getByTestId('open-dialog')).toHaveCount(0);
  await page.getByTestId('palette-netns').click();
  await expect(page.getByTestId('node-ns1')).toBeVisible();
});

test.describe('a class of one', () => {
  let session: { id: string; code: string };
  let joined: { token: string; lab: string; session: string; student: string };
  test.beforeAll(async ({ request }) => {
    const created = await request.post('/api/sessions', { headers: admin, data: { scenario: 'link-down' } });
    expect(created.ok(), await created.text()).toBe(true);
    session = (await created.json()) as typeof session;
    const j = await request.post('/api/join', { data: { code: session.code, name: 'Dot' } });
    expect(j.ok(), await j.text()).toBe(true);
    joined = (await j.json()) as typeof joined;
  });
  test.afterAll(async ({ request }) => {
    // Ending the session destroys the student's lab.
    await request.delete(`/api/sessions/${encodeURIComponent(session.id)}`, { headers: admin });
    await expect.poll(() => labNamespaces(joined.lab), { timeout: 15_000 }).toEqual([]);
  });

  test('a student who opens / lands on their exercise', async ({ page }) => {
    // A student's browser: it holds only its lab's token (as the join page leaves it).
    await page.goto('/exercise/none'); // any page of the app, to reach its localStorage
    await page.evaluate((k) => {
      localStorage.setItem(`patchbay.token.lab.${k.lab}`, k.token);
      localStorage.setItem(
        `patchbay.join.lab.${k.lab}`,
        JSON.stringify({ name: 'Dot', session: k.session, student: k.student }),
      );
    }, joined);
    await page.goto('/');
    await expect(page).toHaveURL(new RegExp(`/exercise/${encodeURIComponent(joined.lab)}$`));
    await expect(page.getByTestId('exercise')).toBeVisible({ timeout: 30_000 });
    await expect(page.getByText('Loading…')).toHaveCount(0);
    // The student's canvas: the minimap draws the lab's nodes and covers none of them.
    await expect(page.locator('.react-flow__node')).toHaveCount(3);
    await canvasSettled(page);
    const minimap = page.locator('.react-flow__minimap');
    await expect(minimap.locator('.react-flow__minimap-node')).toHaveCount(3);
    const mapBox = (await minimap.boundingBox())!;
    for (const node of await page.locator('.react-flow__node').all())
      expect(boxesOverlap((await node.boundingBox())!, mapBox)).toBe(false);
  });

  test("the dashboard's check-dot reasons are reachable by keyboard and named for screen readers", async ({ page }) => {
    await page.goto(`/class/${encodeURIComponent(session.id)}?token=${E2E.token}`);
    const row = page.locator('[data-testid="student-row"][data-student="Dot"]');
    await expect(row.getByTestId('check-dot').first()).toBeVisible({ timeout: 30_000 });
    await tabTo(page, '[data-testid="check-dot"]');
    const focused = page.locator('[data-testid="check-dot"]:focus');
    await expect(focused).toHaveAttribute('aria-label', /: (passes|fails|not checked yet)/);
    const label = (await focused.getAttribute('aria-label'))!;
    await expect(focused.getByTestId('check-dot-reason')).toBeVisible();
    await expect(focused.getByTestId('check-dot-reason')).toHaveText(label);
  });
});
