import { describe, expect, it } from 'vitest';
import { isNetworkFailure, RECONNECTED_SHOWN_MS, serverView, serverViewText } from './connection';

describe('serverView', () => {
  const away = (since: number, attempt: number, nextAt: number) => ({ phase: 'away' as const, since, attempt, nextAt });
  it('shows the longest-lost link with its attempt and the seconds to the next one', () => {
    const view = serverView(
      {
        links: {
          'socket:': away(100, 3, 5_600),
          rest: away(2_000, 1, 3_000),
          'socket:t': { phase: 'online', since: 0 },
        },
      },
      2_500,
    );
    expect(view).toEqual({ kind: 'away', attempt: 3, nextInS: 4, since: 100 });
    expect(serverViewText(view)).toBe('Reconnecting to the Patchbay server… (attempt 3, next in 4s)');
    expect(serverViewText(serverView({ links: { rest: away(0, 2, 1_000) } }, 1_200))).toBe(
      'Reconnecting to the Patchbay server… (attempt 2, trying now)',
    );
  });
  it('says "reconnected" for a while after the last lost link came back, then nothing', () => {
    const links = { 'socket:': { phase: 'online' as const, since: 10_000 } };
    expect(serverView({ links, reconnectedAt: 10_000 }, 11_000)).toEqual({ kind: 'reconnected', at: 10_000 });
    expect(serverViewText(serverView({ links, reconnectedAt: 10_000 }, 11_000))).toBe(
      'Reconnected to the Patchbay server.',
    );
    expect(serverView({ links, reconnectedAt: 10_000 }, 10_000 + RECONNECTED_SHOWN_MS)).toEqual({ kind: 'online' });
    // A refused link (a revoked token) is the page's to explain, not a reconnection in progress.
    expect(serverView({ links: { 'socket:t': { phase: 'refused', reason: 'x', since: 0 } } }, 5)).toEqual({
      kind: 'online',
    });
  });
});

describe('isNetworkFailure', () => {
  it('retries transport failures, timeouts and rate limits; not a refused token', () => {
    expect(isNetworkFailure(Object.assign(new Error('websocket error'), { type: 'TransportError' }))).toBe(true);
    expect(isNetworkFailure(new Error('timeout'))).toBe(true);
    expect(isNetworkFailure(new Error('too many attempts: retry in 3 s'))).toBe(true);
    expect(isNetworkFailure(new Error('the token is not valid'))).toBe(false);
  });
});
