import { describe, expect, it } from 'vitest';
import { readLimitNote } from './read-limit-note';

describe('readLimitNote', () => {
  it('says nothing while the server read the capture in full', () => {
    expect(readLimitNote(undefined)).toBeUndefined();
    expect(readLimitNote({ readLimit: 500 })).toBeUndefined();
    expect(readLimitNote({ readLimit: 500, readPausedMs: 0 })).toBeUndefined();
  });

  it("names the student's rate and how long reading was slowed", () => {
    expect(readLimitNote({ readLimit: 500, readPausedMs: 2340 })).toBe(
      "read slowed to 500 packets/s (a student's limit) for 2.3 s",
    );
  });
});
