import { describe, expect, it } from 'vitest';
import type { Run } from './PingReplies';
import { takePingEvent } from './ping-run';

const started = (id: string): Run => ({ id, target: '10.0.0.2', size: 56, count: 3, entries: [] });

describe('takePingEvent', () => {
  it("takes the events of the run's own stream, also those that come before the start is acknowledged", () => {
    // The run exists (with its client-chosen id) as soon as ping:start is sent; the ack may come last.
    let run = takePingEvent(
      started('a1b2c3d4'),
      { kind: 'reply', r: { id: 'a1b2c3d4', seq: 1, ttl: 64, rttMs: 0.1 } },
      0,
    );
    run = takePingEvent(
      run,
      { kind: 'event', e: { id: 'a1b2c3d4', type: 'timeout', seq: 2, message: 'no answer yet for icmp_seq=2' } },
      1,
    );
    run = takePingEvent(
      run,
      { kind: 'summary', s: { id: 'a1b2c3d4', transmitted: 2, received: 1, lossPercent: 50 } },
      2,
    );
    expect(run?.entries.map((e) => `${e.kind} ${e.key}`)).toEqual(['reply 0', 'event 1']);
    expect(run?.summary).toMatchObject({ transmitted: 2, received: 1 });
  });

  it("leaves the run as it is for another stream's events, and after its summary", () => {
    const run = started('a1b2c3d4');
    expect(takePingEvent(run, { kind: 'reply', r: { id: 'other-stream', seq: 1, ttl: 64 } }, 0)).toBe(run);
    expect(takePingEvent(undefined, { kind: 'reply', r: { id: 'a1b2c3d4', seq: 1, ttl: 64 } }, 0)).toBeUndefined();
    const ended = takePingEvent(
      run,
      { kind: 'summary', s: { id: 'a1b2c3d4', transmitted: 0, received: 0, lossPercent: 0 } },
      0,
    )!;
    expect(takePingEvent(ended, { kind: 'reply', r: { id: 'a1b2c3d4', seq: 9, ttl: 64 } }, 1)).toBe(ended);
  });
});
