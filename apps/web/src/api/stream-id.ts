// Stream ids are chosen here, before the start request is sent (the protocol's StreamIdSchema): the
// panel knows its stream's id from the start, so events that arrive before the start's
// acknowledgement are routed like every other. `crypto.randomUUID` exists only in secure contexts
// (https, localhost), and Patchbay is often opened over http on a LAN address: getRandomValues works
// in every context.
export function newStreamId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
