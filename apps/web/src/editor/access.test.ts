import { describe, expect, it } from 'vitest';
import { connectionNotice, editorStart } from './access';

describe('editorStart', () => {
  it('opens the editor for the instructor, even in a browser that also joined a class', () => {
    expect(editorStart('admin', [])).toEqual({ page: 'editor' });
    expect(editorStart('admin', ['s-01'])).toEqual({ page: 'editor' });
  });

  it('sends a student to their exercise, or lets them pick among several', () => {
    expect(editorStart(null, ['s-01'])).toEqual({ page: 'exercise', lab: 's-01' });
    expect(editorStart(null, ['a-01', 'b-02'])).toEqual({ page: 'choose-exercise', labs: ['a-01', 'b-02'] });
  });

  it('says there is no token when the browser holds none', () => {
    expect(editorStart(null, [])).toEqual({ page: 'no-token' });
  });
});

describe('connectionNotice', () => {
  it('without a token, does not claim that applying works, and says how to get a token', () => {
    const text = connectionNotice(false, 'live updates unavailable: unauthorized')!;
    expect(text).not.toMatch(/applying still works?/);
    expect(text).toMatch(/draw, arrange and export/);
    expect(text).toMatch(/saving, applying, live tables, pings, captures and terminals need one/);
    expect(text).toContain('?token=');
  });

  it('with a token, names the error and what still works', () => {
    expect(connectionNotice(true, undefined)).toBeUndefined();
    const text = connectionNotice(true, 'live updates unavailable: xhr poll error')!;
    expect(text).toMatch(/^live updates unavailable: xhr poll error — drawing and exporting still work/);
    expect(text).not.toMatch(/applying still work/);
  });
});
