// The server's REST API (docs/server.md), typed with the protocol package. Every failure becomes an
// ApiError with a message a person can read: the server's own, or what went wrong on the way.
import type { ErrorBody, ApplyResponse, CaptureList, Draft, DraftList, ExampleList, LabSummary, Problem, ScriptResponse } from '@patchbay/protocol';
import type { Lab } from '@patchbay/topology';
import { getToken } from './token';

export type ApplyFailureBody = NonNullable<ErrorBody['failure']>;

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly problems: Problem[] = [],
    readonly failure?: ApplyFailureBody,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * One call to the API. `token` overrides the page's token: a student's exercise page uses the token
 * of that lab (api/token.ts), which must not replace the instructor's token of the same browser.
 */
export async function request<T>(method: string, path: string, body?: unknown, token: string | null = getToken()): Promise<T> {
  const headers: Record<string, string> = {};
  if (token) headers['authorization'] = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  } catch {
    throw new ApiError('cannot reach the Patchbay server: is it running?', 0);
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const b = (json ?? {}) as { error?: string; problems?: Problem[]; failure?: ApplyFailureBody };
    const message =
      res.status === 401 ? 'no valid token: open the address `patchbay serve` printed (it ends in ?token=…)' : (b.error ?? `the server answered ${res.status}`);
    throw new ApiError(message, res.status, b.problems ?? [], b.failure);
  }
  return json as T;
}

const enc = encodeURIComponent;

export const api = {
  labs: () => request<{ labs: LabSummary[] }>('GET', '/api/labs'),
  lab: (name: string) => request<Lab>('GET', `/api/labs/${enc(name)}`),
  plan: (lab: Lab) => request<ApplyResponse>('PUT', `/api/labs/${enc(lab.name)}?dryRun=true`, lab),
  apply: (lab: Lab) => request<ApplyResponse>('PUT', `/api/labs/${enc(lab.name)}`, lab),
  destroy: (name: string) => request<{ lab: string; removed: string[] }>('DELETE', `/api/labs/${enc(name)}`),
  state: (name: string) => request<unknown>('GET', `/api/labs/${enc(name)}/state`),
  drafts: () => request<DraftList>('GET', '/api/drafts'),
  draft: (name: string) => request<Draft>('GET', `/api/drafts/${enc(name)}`),
  saveDraft: (name: string, document: unknown, layout: Draft['layout']) =>
    request<{ name: string; updatedAt: string }>('PUT', `/api/drafts/${enc(name)}`, { document, ...(layout ? { layout } : {}) }),
  /** The page is going away: a save that outlives it (fetch keepalive, fire and forget). */
  saveDraftBeforeUnload(name: string, document: unknown, layout: Draft['layout']): void {
    const token = getToken();
    void fetch(`/api/drafts/${enc(name)}`, {
      method: 'PUT',
      keepalive: true,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ document, ...(layout ? { layout } : {}) }),
    }).catch(() => undefined);
  },
  examples: () => request<ExampleList>('GET', '/api/examples'),
  script: (lab: Lab) => request<ScriptResponse>('POST', '/api/script', lab),
  captures: (lab: string) => request<CaptureList>('GET', `/api/labs/${enc(lab)}/captures`),
  /** The pcap as a Blob (the download needs the token header, so it cannot be a plain link). */
  async pcap(path: string): Promise<Blob> {
    const token = getToken();
    const res = await fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    if (!res.ok) throw new ApiError(`the pcap download failed (${res.status})`, res.status);
    return res.blob();
  },
};
