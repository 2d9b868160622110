// The lab lifecycle events: listeners are awaited, a failing one is logged and breaks nothing
// (unit); on the real kernel, `removing` runs while the namespaces still exist and before any is
// deleted (destroy, an apply that removes a node, an apply that changes a node's kind), `applied`
// carries the changes, `destroyed` follows the deletion. Prefix pblc5-.
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { listNamespaces, runInNamespace } from '@patchbay/kernel';
import { parseLabText, type Lab } from '@patchbay/topology';
import { LabLifecycle, type AppliedEvent, type LifecycleLog, type RemovingEvent } from './lifecycle.js';
import { exampleLab, testEngine, type TestEngine } from './test-support.js';

const PREFIX = 'pblc5-';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function memoryLog(): LifecycleLog & { lines: string[] } {
  const lines: string[] = [];
  return { lines, warn: (fields, message) => void lines.push(`${message} ${JSON.stringify(fields)}`) };
}

describe('LabLifecycle', () => {
  it('awaits every listener; a failing one is logged and the others still run', async () => {
    const log = memoryLog();
    const events = new LabLifecycle(log);
    const seen: string[] = [];
    events.on('destroyed', async (e) => {
      await sleep(30);
      seen.push(`slow ${e.lab}`);
    });
    events.on('destroyed', () => {
      throw new Error('listener broke');
    });
    events.on('destroyed', (e) => void seen.push(`fast ${e.lab}`));
    await events.emit('destroyed', { lab: 'l', removed: [] });
    expect(seen.sort()).toEqual(['fast l', 'slow l']); // the slow one was awaited
    expect(log.lines).toEqual([expect.stringMatching(/a destroyed listener failed.*"lab":"l".*listener broke/)]);
  });

  it('on returns the function that removes the listener', async () => {
    const events = new LabLifecycle(memoryLog());
    const seen: string[] = [];
    const off = events.on('applied', (e) => void seen.push(e.lab));
    expect(events.listenerCount('applied')).toBe(1);
    off();
    await events.emit('applied', { lab: 'l', revision: 1, ops: [], namespaces: [], added: [], removed: [] });
    expect(seen).toEqual([]);
    expect(events.listenerCount('applied')).toBe(0);
  });
});

describe('lifecycle events of a real engine', () => {
  let t: TestEngine | undefined;
  afterEach(async () => {
    await t?.engine.close();
    await t?.cleanup();
  });

  /** A removing listener that proves, while it runs (and after a pause), that its namespaces are all there. */
  function watchRemoving(order: string[]): RemovingEvent[] {
    const seen: RemovingEvent[] = [];
    t!.engine.on('removing', async (e) => {
      order.push(`removing ${e.reason}`);
      seen.push(e);
      await sleep(150); // a slow listener (a terminal ending): deletion must wait for it
      for (const ns of e.namespaces) {
        expect(existsSync(`/run/netns/${ns}`)).toBe(true);
        expect((await runInNamespace(ns, 'ip', ['-br', 'link', 'show', 'lo'])).code).toBe(0);
      }
      order.push('removing done');
    });
    return seen;
  }

  it('destroy: removing is awaited while every namespace exists, then they go, then destroyed', async () => {
    t = testEngine(PREFIX);
    await t.engine.apply(exampleLab('two-containers.yaml'));
    const order: string[] = [];
    const removing = watchRemoving(order);
    t.engine.on('destroyed', async (e) => {
      order.push('destroyed');
      expect(e.removed.every((ns) => !existsSync(`/run/netns/${ns}`))).toBe(true);
    });
    const all = await listNamespaces(`${PREFIX}two-containers.`);
    const { removed } = await t.engine.destroy('two-containers');
    expect(order).toEqual(['removing destroy', 'removing done', 'destroyed']);
    expect(removing).toEqual([{ lab: 'two-containers', namespaces: all, reason: 'destroy' }]);
    expect(removed).toEqual(all);
    expect(await listNamespaces(PREFIX)).toEqual([]);
  });

  it('an apply that removes a node: removing names its namespace (awaited), applied carries the changes', async () => {
    t = testEngine(PREFIX);
    const base = exampleLab('two-containers.yaml');
    const bigger: Lab = structuredClone(base);
    bigger.nodes['ns-cache'] = { kind: 'netns' };
    bigger.links.push({
      a: { node: 'ns-cache', interface: 'eth0', addresses: ['192.168.100.30/24'] },
      b: { node: 'br0', interface: 'veth-cache-br' },
    });
    const applied: AppliedEvent[] = [];
    t.engine.on('applied', (e) => void applied.push(e));
    const first = await t.engine.apply(bigger);
    expect(applied).toHaveLength(1);
    expect(applied[0]).toMatchObject({ lab: 'two-containers', revision: 1, removed: [] });
    expect(applied[0]!.ops).toEqual(first.ops);
    expect(applied[0]!.added).toContain(`${PREFIX}two-containers.ns-cache`);

    const order: string[] = [];
    const removing = watchRemoving(order);
    t.engine.on('applied', () => void order.push('applied'));
    const back = await t.engine.apply(base);
    expect(order).toEqual(['removing apply', 'removing done', 'applied']);
    expect(removing).toEqual([
      { lab: 'two-containers', namespaces: [`${PREFIX}two-containers.ns-cache`], reason: 'apply' },
    ]);
    const last = applied.at(-1)!;
    expect(last).toMatchObject({
      lab: 'two-containers',
      revision: 2,
      added: [],
      removed: [`${PREFIX}two-containers.ns-cache`],
    });
    expect(last.ops.map((o) => o.args.join(' '))).toEqual(back.ops.map((o) => o.args.join(' ')));
    expect(last.ops.map((o) => o.args.join(' '))).toContain(`netns del ${PREFIX}two-containers.ns-cache`);
    expect(last.namespaces).toEqual(await listNamespaces(`${PREFIX}two-containers.`));
  });

  it("an apply that changes a node's kind (netns → bridge) fires removing for the namespace it loses", async () => {
    t = testEngine(PREFIX);
    const lab = (text: string) => parseLabText(text).lab!;
    await t.engine.apply(
      lab(
        'name: kinds\nnodes:\n  h: { kind: host }\n  x: { kind: netns }\n  y: { kind: netns }\nlinks:\n  - a: { node: y, interface: eth0, addresses: [10.7.0.2/24] }\n    b: { node: x, interface: eth0, addresses: [10.7.0.1/24] }\n',
      ),
    );
    const order: string[] = [];
    const removing = watchRemoving(order);
    const r = await t.engine.apply(
      lab(
        'name: kinds\nnodes:\n  h: { kind: host }\n  x: { kind: bridge, host: h }\n  y: { kind: netns }\nlinks:\n  - a: { node: y, interface: eth0, addresses: [10.7.0.2/24] }\n    b: { node: x, interface: p0 }\n',
      ),
    );
    expect(r.drift).toEqual([]);
    expect(removing).toEqual([{ lab: 'kinds', namespaces: [`${PREFIX}kinds.x`], reason: 'apply' }]);
    expect(order).toEqual(['removing apply', 'removing done']);
    expect(await listNamespaces(`${PREFIX}kinds.`)).toEqual([`${PREFIX}kinds.h`, `${PREFIX}kinds.y`]);
  });

  it('a failing removing listener is logged and does not stop the destroy', async () => {
    t = testEngine(PREFIX);
    const log = memoryLog();
    t.engine.setLog(log);
    await t.engine.apply(exampleLab('two-containers.yaml'));
    t.engine.on('removing', () => {
      throw new Error('a terminal would not close');
    });
    const destroyed: string[] = [];
    t.engine.on('destroyed', (e) => void destroyed.push(e.lab));
    await t.engine.destroy('two-containers');
    expect(destroyed).toEqual(['two-containers']);
    expect(await listNamespaces(PREFIX)).toEqual([]);
    expect(log.lines).toEqual([expect.stringMatching(/a removing listener failed.*a terminal would not close/)]);
  });

  it('no event for a dry run; applied (with no ops) for a re-apply that changes nothing', async () => {
    t = testEngine(PREFIX);
    const events: string[] = [];
    t.engine.on('removing', () => void events.push('removing'));
    t.engine.on('applied', (e) => void events.push(`applied ${e.revision} ${e.ops.length}`));
    await t.engine.apply(exampleLab('two-containers.yaml'), { dryRun: true });
    expect(events).toEqual([]);
    await t.engine.apply(exampleLab('two-containers.yaml'));
    await t.engine.apply(exampleLab('two-containers.yaml'));
    expect(events).toEqual([expect.stringMatching(/^applied 1 [1-9]/), 'applied 1 0']);
  });
});
