// /exercise/LAB: a student's exercise, with the token they got when joining (kept per lab).
import { getToken, joinRecord, tokenForLab } from '../api/token';
import { ExerciseWorkspace } from './ExerciseWorkspace';

export function ExercisePage({ lab }: { lab: string }) {
  const token = tokenForLab(lab);
  const joined = joinRecord(lab);
  if (!token) {
    return (
      <div className="pb-class-page">
        <div className="pb-class-message" role="alert" data-testid="exercise-error">
          You have not joined this exercise in this browser. Open the join link your instructor gave you.
        </div>
      </div>
    );
  }
  // Without a student token of its own, the page's (an instructor's) token is used: still the student view.
  return (
    <ExerciseWorkspace
      lab={lab}
      mode={{ role: 'student', token: token === getToken() ? null : token, ...(joined ? { name: joined.name } : {}) }}
      header={<strong className="pb-brand">Patchbay</strong>}
    />
  );
}
