// A class session's student lab, opened in the editor by an instructor: what to call it, and what
// to say before an Apply or a Destroy changes it under the student (LabSummary `student`, API.md).
import type { LabStudent } from '@patchbay/protocol';

/** `Ana · session SAYM4PK (Link down)`: in the lab list and beside the open lab's name. */
export const studentLabLabel = (s: LabStudent): string => `${s.name} · session ${s.code} (${s.exercise})`;

/** What Apply or Destroy would do to the student's work, said before it is done. */
export function studentLabWarning(s: LabStudent, action: 'apply' | 'destroy'): string {
  const whose = `This is ${s.name}'s lab in class session ${s.code} (${s.exercise})`;
  return action === 'apply'
    ? `${whose}: applying replaces what ${s.name} did: the kernel is made to match this drawing, and what ${s.name} changed from a terminal is undone.`
    : `${whose}: destroying it takes it away while ${s.name} works on it. To start ${s.name} over, reset the lab from the session's dashboard instead.`;
}
