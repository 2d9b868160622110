import { parseScenarioText, scenarioToYaml } from '@patchbay/scenarios';
import type { Lab } from '@patchbay/topology';
import { describe, expect, it } from 'vitest';
import linkDownText from '../../../../packages/scenarios/library/link-down.yaml?raw';
import {
  addCheck,
  addStep,
  draftFromLab,
  draftFromText,
  draftProblems,
  draftToYaml,
  fillFromCanvas,
  getAt,
  idFromName,
  moveItem,
  parseTags,
  problemsUnder,
  removeAt,
  setAt,
  setCheckField,
  setStep,
  suggestedTitle,
  type ScenarioDraft,
} from './scenario-draft';

const linkDown = (): ScenarioDraft => {
  const { draft, problems } = draftFromText(linkDownText);
  expect(problems).toEqual([]);
  return draft!;
};

describe('scenario draft', () => {
  it('opens a scenario file and writes it back to an equivalent scenario (round trip)', () => {
    const original = parseScenarioText(linkDownText).scenario!;
    const draft = linkDown();
    const again = parseScenarioText(draftToYaml(draft));
    expect(again.problems).toEqual([]);
    expect(again.scenario).toEqual(original);
    // And what scenarioToYaml writes for the original is what the page writes.
    expect(draftToYaml(draft)).toBe(scenarioToYaml(original));
  });

  it('starts an exercise from a lab with a valid id and says what is missing', () => {
    const lab = parseScenarioText(linkDownText).scenario!.lab;
    const d = draftFromLab({ ...lab, name: 'My Lab 2' });
    expect(d.id).toBe('my-lab-2');
    const paths = draftProblems(d).map((p) => p.path);
    expect(paths).toContain('title');
    expect(paths).toContain('checks');
    expect(idFromName('42')).toBe('exercise');
  });

  it('adds, fills, reorders and removes checks; problems point at the fields', () => {
    let d = linkDown();
    const added = addCheck(d, 'ping');
    d = added.draft;
    expect(added.index).toBe(3);
    expect(d.checks[3]).toEqual({ id: 'ping', title: '', type: 'ping' });
    expect(
      problemsUnder(draftProblems(d), 'checks[3]')
        .map((p) => p.path)
        .sort(),
    ).toEqual(['checks[3].from', 'checks[3].title', 'checks[3].to']);

    d = setCheckField(d, 3, 'to', '192.168.100.10');
    d = setCheckField(d, 3, 'from', 'br0');
    // Meaning is checked once the structure holds: a bridge sends nothing of its own.
    expect(problemsUnder(draftProblems(d), 'checks[3].from')[0]?.code).toBe('check.from-bridge');
    d = setCheckField(d, 3, 'from', 'db');
    d = setCheckField(d, 3, 'count', 3);
    expect(d.checks[3]!.title).toBe('db reaches 192.168.100.10');
    expect(draftProblems(d)).toEqual([]);

    d = { ...d, checks: moveItem(d.checks, 3, 0) };
    expect(d.checks.map((c) => c.id)).toEqual(['ping', 'db-eth0-up', 'web-to-db', 'bridge-learned-db']);
    d = { ...d, checks: removeAt(d.checks, 1) };
    expect(d.checks.map((c) => c.id)).toEqual(['ping', 'web-to-db', 'bridge-learned-db']);
    expect(parseScenarioText(draftToYaml(d)).scenario?.checks[0]).toEqual({
      id: 'ping',
      title: 'db reaches 192.168.100.10',
      type: 'ping',
      from: 'db',
      to: '192.168.100.10',
      count: 3,
    });
  });

  it('gives a second check of a type a fresh id', () => {
    let d = linkDown();
    d = addCheck(d, 'route').draft;
    d = addCheck(d, 'route').draft;
    expect(d.checks.slice(-2).map((c) => c.id)).toEqual(['route', 'route-2']);
  });

  it('keeps a title the author wrote', () => {
    let d = addCheck(linkDown(), 'interface').draft;
    d = setCheckField(d, 3, 'node', 'web');
    d = setCheckField(d, 3, 'interface', 'eth0');
    expect(d.checks[3]!.title).toBe("web's eth0 is configured");
    d = setCheckField(d, 3, 'up', true);
    expect(d.checks[3]!.title).toBe("web's eth0 is up");
    d = setCheckField(d, 3, 'title', 'Mine');
    d = setCheckField(d, 3, 'mtu', 1400);
    expect(d.checks[3]!.title).toBe('Mine');
  });

  it('clears an interface the newly chosen node does not have', () => {
    let d = addCheck(linkDown(), 'fdb').draft;
    d = setCheckField(d, 3, 'bridge', 'br0');
    d = setCheckField(d, 3, 'port', 'veth-web');
    d = setCheckField(d, 3, 'mac.node', 'web');
    d = setCheckField(d, 3, 'mac.interface', 'eth0');
    d = setCheckField(d, 3, 'mac.node', 'db'); // db has an eth0 too: kept
    expect(getAt(d.checks[3]!, 'mac.interface')).toBe('eth0');
    d = setCheckField(d, 3, 'mac.node', 'br0'); // br0 has no eth0: cleared
    expect(getAt(d.checks[3]!, 'mac')).toEqual({ node: 'br0' });
  });

  it('fills fields from a canvas click: names, first addresses, and refuses what cannot fit', () => {
    let d = addCheck(linkDown(), 'ping').draft;
    d = fillFromCanvas(d, { list: 'checks', index: 3, path: 'from', kind: 'sender' }, 'web').draft;
    d = fillFromCanvas(d, { list: 'checks', index: 3, path: 'to', kind: 'ipv4' }, 'db').draft;
    expect(d.checks[3]).toMatchObject({ from: 'web', to: '192.168.100.20' });
    expect(fillFromCanvas(d, { list: 'checks', index: 3, path: 'from', kind: 'sender' }, 'br0').note).toMatch(/bridge/);
    const bridgeAddress = fillFromCanvas(d, { list: 'checks', index: 3, path: 'to', kind: 'ipv4' }, 'br0').draft;
    expect(bridgeAddress.checks[3]!.to).toBe('192.168.100.1');

    d = addStep(d, 'solution');
    d = fillFromCanvas(d, { list: 'solution', index: 1, path: 'node', kind: 'node' }, 'br0').draft;
    d = setStep(d, 'solution', 1, 'run', 'ip link set veth-db up');
    expect(d.solution[1]).toEqual({ node: 'br0', run: 'ip link set veth-db up' });
  });

  it('opens a file with problems and keeps what is wrong, so it can be fixed here', () => {
    const broken = linkDownText.replace('to: 192.168.100.20 }', 'to: nowhere, extra: 1 }');
    const { draft, problems } = draftFromText(broken);
    expect(draft?.checks[1]).toMatchObject({ to: 'nowhere', extra: 1 });
    expect(problems.map((p) => p.path)).toEqual(expect.arrayContaining(['checks[1].to', 'checks[1].extra']));
    expect(draftProblems(draft!).map((p) => p.path)).toEqual(problems.map((p) => p.path));
  });

  it('cannot open what has no inline lab', () => {
    expect(draftFromText('id: x\nlab: ./lab.yaml\nchecks: []\n').draft).toBeUndefined();
    expect(draftFromText('- a list').draft).toBeUndefined();
    expect(draftFromText(': : :').draft).toBeUndefined();
  });

  it('writes optional lists only when they have entries', () => {
    const d: ScenarioDraft = { ...linkDown(), tags: [], hints: [], setup: [] };
    const text = draftToYaml(d);
    expect(text).not.toMatch(/^(tags|hints|setup):/m);
    expect(parseTags(' veth, bridge ,, mtu')).toEqual(['veth', 'bridge', 'mtu']);
  });

  it('sets and removes nested fields', () => {
    const c = { id: 'x', title: 't', type: 'tcp' as const };
    const withListen = setAt(c, 'listen.port', 8080);
    expect(withListen).toEqual({ ...c, listen: { port: 8080 } });
    expect(setAt(withListen, 'listen.port', undefined)).toEqual(c);
    expect(suggestedTitle({ ...c, from: 'a', to: '10.0.0.1', port: 80 })).toBe('a connects to 10.0.0.1 port 80');
  });

  it('works for a lab without links', () => {
    const lab: Lab = { name: 'solo', nodes: { a: { kind: 'netns' } }, links: [] };
    const d = fillFromCanvas(
      addCheck(draftFromLab(lab), 'ping').draft,
      { list: 'checks', index: 0, path: 'to', kind: 'ipv4' },
      'a',
    );
    expect(d.note).toMatch(/no address/);
  });
});
