import { describe, expect, it } from 'vitest';
import { apiChangesText, failoverText, hourMinute, instructorResetText, movedText } from './student-changes';

describe('who changed a student lab', () => {
  const at = new Date(2026, 11, 4, 14, 3, 27).toISOString();
  it('says when a student changed their lab through the API, and how often', () => {
    expect(apiChangesText(undefined)).toBeUndefined();
    expect(apiChangesText({ count: 1, lastAt: at })).toBe(
      `lab changed by the student via the API at ${hourMinute(at)}, once`,
    );
    expect(apiChangesText({ count: 3, lastAt: at })).toBe(
      `lab changed by the student via the API at ${hourMinute(at)}, 3 times`,
    );
    expect(hourMinute(at)).toMatch(/0?2:03|14:03/); // hours and minutes, in the browser's locale
  });
  it('tells a student their instructor reset their lab, at what time', () => {
    expect(instructorResetText(at)).toBe(
      `Your instructor reset your lab at ${hourMinute(at)}: the exercise starts again.`,
    );
    expect(hourMinute('not a time')).toBe('—');
  });
  it('says when and why a lab was made again on another lab host: to the student and on the dashboard', () => {
    expect(movedText(undefined)).toBeUndefined();
    expect(movedText({ at, from: 'lab-host-2' })).toBe(
      `lab made again at ${hourMinute(at)}: its lab host lab-host-2 was lost (exercise reset)`,
    );
    expect(failoverText(at, 'The lab host two stopped answering.')).toBe(
      `The lab host two stopped answering. (${hourMinute(at)})`,
    );
    expect(failoverText(at)).toMatch(/stopped answering at .*: your lab was made again/);
  });
});
