import { STREAM_ID_PATTERN } from '@patchbay/protocol';
import { describe, expect, it } from 'vitest';
import { newStreamId } from './stream-id';

describe('newStreamId', () => {
  it('makes ids the server accepts (the protocol pattern), a new one each time', () => {
    const ids = Array.from({ length: 1000 }, newStreamId);
    for (const id of ids) expect(id).toMatch(new RegExp(STREAM_ID_PATTERN));
    expect(new Set(ids).size).toBe(ids.length);
  });
});
