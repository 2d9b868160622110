import { describe, expect, it } from 'vitest';
import { studentLabLabel, studentLabWarning } from './student-lab';

const ana = { session: 'id-1', code: 'SAYM4PK', exercise: 'Link down', student: 'st-1', name: 'Ana' };

describe('student labs in the editor', () => {
  it('are named by their student and session', () => {
    expect(studentLabLabel(ana)).toBe('Ana · session SAYM4PK (Link down)');
  });

  it('warn before Apply and Destroy, naming the student and the session', () => {
    expect(studentLabWarning(ana, 'apply')).toMatch(
      /^This is Ana's lab in class session SAYM4PK \(Link down\): applying replaces what Ana did/,
    );
    expect(studentLabWarning(ana, 'destroy')).toMatch(/^This is Ana's lab in class session SAYM4PK .*reset the lab/);
  });
});
