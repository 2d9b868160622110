import { ApiError } from '@patchbay/protocol';
import { describe, expect, it } from 'vitest';
import { chainLab } from './why-fixtures';
import {
  initialFields,
  offersWhy,
  pingWhyPrefill,
  toWhyQuery,
  whyFormProblems,
  whyRefusal,
  whySources,
} from './why-form';

describe('the Why? form', () => {
  it('starts from the node asked about (not a bridge), with ping’s size', () => {
    expect(whySources({ ...chainLab, nodes: { ...chainLab.nodes, br0: { kind: 'bridge' } } })).toEqual(['a', 'r', 'b']);
    expect(initialFields(chainLab, { from: 'r' })).toEqual({
      from: 'r',
      to: '',
      proto: 'icmp',
      port: '',
      size: '84',
      df: false,
      probe: true,
    });
    expect(initialFields(chainLab, { from: 'nope', to: '10.0.2.2', size: '1028', df: true })).toMatchObject({
      from: 'a',
      to: '10.0.2.2',
      size: '1028',
      df: true,
    });
  });

  it('marks each field that cannot be asked, as the server would', () => {
    const f = initialFields(chainLab, { from: 'a' });
    expect(whyFormProblems(f, chainLab)).toEqual({ to: 'a node of the lab or an IPv4 address' });
    expect(whyFormProblems({ ...f, to: 'zz' }, chainLab)).toEqual({ to: 'the lab has no node zz' });
    expect(whyFormProblems({ ...f, to: '10.0.2.300' }, chainLab)).toEqual({
      to: '10.0.2.300 is neither a node name nor an IPv4 address',
    });
    expect(whyFormProblems({ ...f, to: 'b', proto: 'tcp', port: '', size: '20' }, chainLab)).toEqual({
      port: 'tcp needs a port from 1 to 65535',
      size: 'a whole number of bytes from 28 to 65535',
    });
    expect(whyFormProblems({ ...f, to: ' 10.0.2.2 ', proto: 'udp', port: '53' }, chainLab)).toEqual({});
  });

  it('sends a port for tcp and udp only', () => {
    const f = { ...initialFields(chainLab, { from: 'a' }), to: ' b ', port: '80' };
    expect(toWhyQuery(f)).toEqual({ from: 'a', to: 'b', proto: 'icmp', size: 84, df: false, probe: true });
    expect(toWhyQuery({ ...f, proto: 'tcp', probe: false })).toEqual({
      from: 'a',
      to: 'b',
      proto: 'tcp',
      port: 80,
      size: 84,
      df: false,
      probe: false,
    });
  });

  it('says what a refusal means and what to do, marking the fields the server named', () => {
    const bad = whyRefusal(
      new ApiError('the request is not valid; nothing was changed', 400, [
        { path: 'port', message: 'must be >= 1', code: 'schema.minimum' },
      ]),
    );
    expect(bad).toEqual({
      message: 'the request is not valid; nothing was changed',
      todo: 'Correct the fields marked and ask again.',
      fields: { port: 'must be >= 1' },
    });
    const off = new ApiError('this exercise (link-down) does not allow Why?', 403, [], undefined, 'why-disabled');
    expect(whyRefusal(off).message).toBe('Your instructor turned Why? off for this exercise.');
    expect(whyRefusal(new ApiError('not your lab', 403)).message).toBe('not your lab');
    expect(whyRefusal(new ApiError('being answered', 429, [], undefined, 'busy')).todo).toMatch(/Another question/);
    expect(whyRefusal(new ApiError('quota', 429, [], undefined, 'rate-limited')).todo).toMatch(/Too many questions/);
    expect(whyRefusal(new ApiError('lab whyx is not applied: apply it first', 404)).todo).toBe(
      'Apply the lab (or apply it again) and ask again.',
    );
    expect(whyRefusal(new ApiError('cannot reach the Patchbay server: is it running?', 0)).todo).toMatch(/server runs/);
  });

  it('is offered to a student as the exercise view says; always to the instructor', () => {
    expect(offersWhy('student', undefined)).toBe(false);
    expect(offersWhy('student', { why: true })).toBe(true);
    expect(offersWhy('student', { why: false })).toBe(false);
    expect(offersWhy('instructor', { why: false })).toBe(true);
  });

  it('asks about a ping that lost packets with the same packet: from, target, IPv4 size, DF', () => {
    const run = { from: 'a', target: '10.0.2.2', size: 56, df: true };
    expect(pingWhyPrefill({ ...run, summary: { transmitted: 3, received: 0 } })).toEqual({
      from: 'a',
      to: '10.0.2.2',
      size: '84',
      df: true,
    });
    expect(pingWhyPrefill({ ...run, summary: { transmitted: 3, received: 2 } })?.to).toBe('10.0.2.2');
    expect(pingWhyPrefill({ ...run, summary: { transmitted: 3, received: 3 } })).toBeUndefined();
    expect(pingWhyPrefill(run)).toBeUndefined();
  });
});
