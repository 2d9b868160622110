import { describe, expect, it } from 'vitest';
import { StreamIds } from './stream-ids.js';

describe('StreamIds', () => {
  it('lets an id name one stream of a connection, and says so on reuse', () => {
    const ids = new StreamIds();
    expect(ids.claim('a1b2c3d4', 'ping')).toBeUndefined();
    expect(ids.claim('a1b2c3d4', 'capture')).toMatch(
      /a1b2c3d4 was used before on this connection: choose a new id for each capture/,
    );
    expect(ids.claim('e5f6a7b8', 'ping')).toBeUndefined();
  });

  it('forgets the oldest ids beyond what it remembers (memory per connection is bounded)', () => {
    const ids = new StreamIds(3);
    for (const id of ['id-0000a', 'id-0000b', 'id-0000c', 'id-0000d']) expect(ids.claim(id, 'ping')).toBeUndefined();
    expect(ids.claim('id-0000a', 'ping')).toBeUndefined(); // forgotten
    expect(ids.claim('id-0000d', 'ping')).toBeDefined();
  });
});
