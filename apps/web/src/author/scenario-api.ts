// The server routes the authoring page uses (protocol/classroom.ts), all with the instructor's
// token: the built-in library, `validate` (the proof on the real kernel), and starting a class.
import type { ScenarioList, ScenarioText, Session, ValidationProof } from '@patchbay/protocol';
import { request } from '../api/http';

const enc = encodeURIComponent;

export const scenarioApi = {
  list: () => request<ScenarioList>('GET', '/api/scenarios'),
  get: (id: string) => request<ScenarioText>('GET', `/api/scenarios/${enc(id)}`),
  /** Realizes the lab, runs checks and solution, resets: seconds. A 400 carries the problems (ApiError.problems). */
  validate: (text: string) => request<ValidationProof>('POST', '/api/scenarios/validate', { text }),
  startSession: (text: string) => request<Session>('POST', '/api/sessions', { text }),
};
