import type { Lab, Problem } from '@patchbay/topology';
import { describe, expect, it } from 'vitest';
import { linkId } from '../model/lab-edit';
import {
  append,
  editLinkEnd,
  editNode,
  fromTriState,
  interfacesOf,
  isAtOrBelow,
  memberFromRef,
  newMember,
  newOverlay,
  newRoute,
  nodeNameError,
  parseNumberField,
  pathAncestors,
  problemsAt,
  problemsExact,
  problemSelection,
  removeAt,
  removeOverlay,
  renameInterface,
  renamePosition,
  replaceAt,
  setOptional,
  setRequired,
  toTriState,
  withRouteMode,
  withRouteDev,
  routeMode,
} from './inspector-model';

const p = (path: string): Problem => ({ path, code: 'x', message: path });

const lab = (): Lab => ({
  name: 'demo',
  nodes: {
    h1: { kind: 'host' },
    ns1: {
      kind: 'netns',
      routes: [
        { to: '10.1.0.0/24', dev: 'eth0' },
        { to: 'default', via: '10.0.0.1' },
      ],
      nat: [{ masquerade: '10.0.0.0/24', out: 'eth0' }],
    },
    br0: { kind: 'bridge', host: 'h1' },
  },
  links: [
    { a: { node: 'ns1', interface: 'eth0', addresses: ['10.0.0.2/24'] }, b: { node: 'br0', interface: 'br0-ns1' } },
  ],
});

describe('problems', () => {
  const all = [
    p('nodes.ns1'),
    p('nodes.ns1.routes[0].via'),
    p('nodes.ns10.mtu'),
    p('links[1].a'),
    p('links[10].a'),
    p('name'),
  ];
  it('matches a path and what lies below it, not siblings sharing a prefix', () => {
    expect(problemsAt(all, 'nodes.ns1').map((x) => x.path)).toEqual(['nodes.ns1', 'nodes.ns1.routes[0].via']);
    expect(problemsAt(all, 'nodes.ns1.routes').map((x) => x.path)).toEqual(['nodes.ns1.routes[0].via']);
    expect(problemsAt(all, 'links[1]').map((x) => x.path)).toEqual(['links[1].a']);
    expect(problemsExact(all, 'nodes.ns1').map((x) => x.path)).toEqual(['nodes.ns1']);
    expect(isAtOrBelow('nameX', 'name')).toBe(false);
  });
  it('lists ancestors from the deepest', () => {
    expect(pathAncestors('nodes.a.routes[0].via')).toEqual([
      'nodes.a.routes[0].via',
      'nodes.a.routes[0]',
      'nodes.a.routes',
      'nodes.a',
      'nodes',
    ]);
    expect(pathAncestors('links[2].a')).toEqual(['links[2].a', 'links[2]', 'links']);
    expect(pathAncestors('name')).toEqual(['name']);
  });
  it('selects the node or link a problem is about', () => {
    const l = lab();
    expect(problemSelection(l, 'nodes.ns1.routes[0].via')).toEqual({ nodes: ['ns1'], links: [] });
    expect(problemSelection(l, 'links[0].a.addresses[0]')).toEqual({ nodes: [], links: [linkId(l.links[0]!)] });
    expect(problemSelection(l, 'links[5]')).toBeUndefined();
    expect(problemSelection(l, 'nodes.nope.mtu')).toBeUndefined();
    expect(problemSelection(l, 'overlays[0].vni')).toBeUndefined();
  });
});

describe('clean edits', () => {
  it('removes empty optional fields and keeps identity when unchanged', () => {
    const o: { a?: string; b?: number[]; c?: number } = { a: 'x', b: [1] };
    expect(setOptional(o, 'a', '')).toEqual({ b: [1] });
    expect(setOptional(o, 'b', [])).toEqual({ a: 'x' });
    expect(setOptional(o, 'c', undefined)).toBe(o);
    expect(setOptional(o, 'a', 'x')).toBe(o);
    expect(setOptional(o, 'b', [1])).toBe(o);
    expect(setOptional(o, 'c', 0)).toEqual({ a: 'x', b: [1], c: 0 });
    expect(Object.keys(setOptional(o, 'a', undefined))).toEqual(['b']);
  });
  it('keeps required fields even when empty', () => {
    const o = { to: 'x' };
    expect(setRequired(o, 'to', '')).toEqual({ to: '' });
    expect(setRequired(o, 'to', 'x')).toBe(o);
  });
  it('parses number fields', () => {
    expect(parseNumberField('')).toEqual({ kind: 'empty' });
    expect(parseNumberField('  ')).toEqual({ kind: 'empty' });
    expect(parseNumberField(' 1500 ')).toEqual({ kind: 'number', value: 1500 });
    expect(parseNumberField('-1')).toEqual({ kind: 'number', value: -1 });
    expect(parseNumberField('1.5')).toEqual({ kind: 'number', value: 1.5 });
    expect(parseNumberField('15x')).toEqual({ kind: 'invalid' });
    expect(parseNumberField('0x10')).toEqual({ kind: 'invalid' });
    expect(parseNumberField('1e3')).toEqual({ kind: 'invalid' });
  });
  it('edits lists immutably', () => {
    const l = [1, 2, 3];
    expect(replaceAt(l, 1, 9)).toEqual([1, 9, 3]);
    expect(removeAt(l, 0)).toEqual([2, 3]);
    expect(append(undefined, 1)).toEqual([1]);
    expect(append(l, 4)).toEqual([1, 2, 3, 4]);
    expect(l).toEqual([1, 2, 3]);
  });
  it('maps tri-states', () => {
    expect(toTriState(undefined)).toBe('default');
    expect(toTriState(true)).toBe('on');
    expect(toTriState(false)).toBe('off');
    expect(fromTriState('default')).toBeUndefined();
    expect(fromTriState('off')).toBe(false);
  });
});

describe('lab edits', () => {
  it('returns the same lab when an edit changes nothing', () => {
    const l = lab();
    expect(editNode(l, 'br0', (s) => setOptional(s, 'mtu' as never, undefined as never))).toBe(l);
    expect(editNode(l, 'missing', () => ({ kind: 'netns' }))).toBe(l);
    const id = linkId(l.links[0]!);
    expect(editLinkEnd(l, id, 'a', (e) => setOptional(e, 'mac', ''))).toBe(l);
    const withMtu = editLinkEnd(l, id, 'a', (e) => setOptional(e, 'mtu', 1400));
    expect(withMtu.links[0]!.a.mtu).toBe(1400);
    expect(l.links[0]!.a.mtu).toBeUndefined();
  });
  it('checks node names', () => {
    const l = lab();
    expect(nodeNameError(l, 'ns1', 'ns1')).toBeUndefined();
    expect(nodeNameError(l, 'ns1', 'web')).toBeUndefined();
    expect(nodeNameError(l, 'ns1', 'br0')).toMatch(/already/);
    expect(nodeNameError(l, 'ns1', 'Web')).toMatch(/must match/);
    expect(nodeNameError(l, 'ns1', '')).toMatch(/needs a name/);
    expect(nodeNameError(l, 'ns1', 'a'.repeat(40))).toMatch(/must match/);
  });
  it('moves a renamed position', () => {
    const pos = { a: { x: 1, y: 2 }, b: { x: 0, y: 0 } };
    expect(renamePosition(pos, 'a', 'c')).toEqual({ c: { x: 1, y: 2 }, b: { x: 0, y: 0 } });
    expect(renamePosition(pos, 'z', 'c')).toBe(pos);
  });
  it('renames an interface with the routes and NAT rules naming it', () => {
    const l = lab();
    const id = linkId(l.links[0]!);
    const r = renameInterface(l, id, 'a', 'eth9');
    expect(r.id).toBe('ns1:eth9--br0:br0-ns1');
    expect(r.lab.links[0]!.a.interface).toBe('eth9');
    const ns1 = r.lab.nodes['ns1'];
    expect(ns1 && 'routes' in ns1 ? ns1.routes : undefined).toEqual([
      { to: '10.1.0.0/24', dev: 'eth9' },
      { to: 'default', via: '10.0.0.1' },
    ]);
    expect(ns1 && 'nat' in ns1 ? ns1.nat : undefined).toEqual([{ masquerade: '10.0.0.0/24', out: 'eth9' }]);
    expect(renameInterface(l, id, 'a', 'eth0').lab).toBe(l);
  });
  it('lists the interfaces of a node and of a host with bridges', () => {
    const l = lab();
    expect(interfacesOf(l, 'ns1')).toEqual(['eth0']);
    expect(interfacesOf(l, 'h1')).toEqual(['br0', 'br0-ns1']);
  });
  it('switches routes between via and dev', () => {
    expect(withRouteMode({ to: 'default', via: '1.2.3.4' }, 'dev')).toEqual({ to: 'default', dev: '1.2.3.4' });
    const r = { to: 'x', dev: 'eth0' };
    expect(withRouteMode(r, 'dev')).toBe(r);
    expect(withRouteMode(r, 'dev', 'eth1')).toEqual({ to: 'x', dev: 'eth1' });
    expect(newRoute(undefined)).toEqual({ to: 'default', via: '' });
    expect(newRoute([{ to: 'default', via: '1.1.1.1' }])).toEqual({ to: '', via: '' });
  });
  it('edits an IPv6 route by gateway and device (a link-local gateway needs both), and back', () => {
    const r = withRouteMode({ to: '2001:db8:9::/64', via: 'fe80::1' }, 'via-dev');
    expect(r).toEqual({ to: '2001:db8:9::/64', via: 'fe80::1', dev: '' });
    expect(routeMode(r)).toBe('via-dev');
    const withDev = withRouteDev(r, 'eth0');
    expect(withDev).toEqual({ to: '2001:db8:9::/64', via: 'fe80::1', dev: 'eth0' });
    expect(routeMode(withDev)).toBe('via-dev');
    expect(withRouteMode(withDev, 'via-dev', 'fe80::2')).toEqual({
      to: '2001:db8:9::/64',
      via: 'fe80::2',
      dev: 'eth0',
    });
    expect(withRouteMode(withDev, 'via')).toEqual({ to: '2001:db8:9::/64', via: 'fe80::1' });
    expect(routeMode({ to: 'default', via: '10.0.0.1' })).toBe('via');
    expect(routeMode({ to: 'default', dev: 'eth0' })).toBe('dev');
  });
  it('edits overlays and members', () => {
    let l: Lab = { ...lab(), nodes: { ...lab().nodes, br1: { kind: 'bridge' } } };
    const o = newOverlay(l);
    expect(o).toEqual({ name: 'ov1', vni: 1, members: [{ bridge: 'br0' }] });
    l = { ...l, overlays: [o] };
    expect(newOverlay(l)).toMatchObject({ name: 'ov2', vni: 2 });
    expect(newMember(l, o)).toEqual({ bridge: 'br1' });
    expect(newMember(l, { ...o, members: [{ bridge: 'br0' }, { bridge: 'br1' }] })).toEqual({ host: 'h1' });
    expect(memberFromRef({ bridge: 'br0', local: '1.1.1.1' }, 'host:h1')).toEqual({ host: 'h1', local: '1.1.1.1' });
    expect(memberFromRef({ host: 'h1', addresses: ['10.9.0.1/24'] }, 'bridge:br0')).toEqual({ bridge: 'br0' });
    expect(memberFromRef({ host: 'h1', addresses: ['10.9.0.1/24'] }, 'host:h2')).toEqual({
      host: 'h2',
      addresses: ['10.9.0.1/24'],
    });
    const removed = removeOverlay(l, 0);
    expect('overlays' in removed).toBe(false);
  });
});
