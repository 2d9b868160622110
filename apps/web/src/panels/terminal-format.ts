// Pure helpers of the terminal panel (tested without a DOM).
import { TERMINAL_MAX_INPUT, type TerminalExit } from '@patchbay/protocol';

export const EXIT_TEXT: Record<TerminalExit['reason'], string> = {
  exited: 'the shell exited',
  closed: 'closed',
  'lab-changed': 'the node was removed (the lab changed or was destroyed)',
  'lab-reset': 'the lab was reset',
  shutdown: 'the server stopped',
  error: 'the sandbox could not start',
};

export function exitText(e: TerminalExit): string {
  // A reset's message says it all, and by whom (`your instructor reset your lab: …`).
  if (e.reason === 'lab-reset' && e.message) return e.message;
  const code = e.reason === 'exited' && e.code !== undefined && e.code !== 0 ? ` (code ${e.code})` : '';
  return `${EXIT_TEXT[e.reason]}${code}${e.message ? `: ${e.message}` : ''}`;
}

/** Splits a paste into `terminal:input` payloads, never between the halves of a surrogate pair. */
export function inputChunks(data: string, max = TERMINAL_MAX_INPUT): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < data.length) {
    let end = Math.min(i + max, data.length);
    const last = data.charCodeAt(end - 1);
    if (end < data.length && last >= 0xd800 && last <= 0xdbff) end--;
    out.push(data.slice(i, end));
    i = end;
  }
  return out;
}
