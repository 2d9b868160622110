// TerminalOutput without a pty or a socket: batching, credit, pause and resume.
import { describe, expect, it } from 'vitest';
import { TerminalOutput } from './terminal-output.js';

const turn = () => new Promise((r) => setImmediate(r));

function harness(limits = { batchChars: 10, inflightBatches: 2, pendingChars: 40 }) {
  const pty = {
    pauses: 0,
    resumes: 0,
    pause() {
      this.pauses++;
    },
    resume() {
      this.resumes++;
    },
  };
  const sent: { data: string; ack: () => void }[] = [];
  let connected = true;
  const out = new TerminalOutput(limits, pty, (data, ack) => {
    if (!connected) return false;
    sent.push({ data, ack });
    return true;
  });
  return { out, pty, sent, disconnect: () => (connected = false) };
}

describe('TerminalOutput', () => {
  it('sends whole chunks in batches, no more than its credit before acks', async () => {
    const { out, sent } = harness();
    for (const c of ['abc', 'defg', 'hij', 'klmnop', 'q']) out.push(c, true);
    await turn();
    expect(sent.map((s) => s.data)).toEqual(['abcdefghij', 'klmnopq']);
    for (const c of ['rs', 'tu']) out.push(c, true);
    await turn();
    expect(sent).toHaveLength(2); // no credit left
    sent[0]!.ack();
    await turn();
    expect(sent.map((s) => s.data)).toEqual(['abcdefghij', 'klmnopq', 'rstu']);
    expect(out.queued).toBe(0);
  });

  it('pauses the pty at pendingChars and resumes it under half of that', async () => {
    const { out, pty, sent } = harness();
    for (let i = 0; i < 7; i++) out.push('x'.repeat(10), true);
    expect(pty.pauses).toBe(1);
    expect(out.paused).toBe(true);
    await turn(); // two batches out, 50 left
    expect(out.queued).toBe(50);
    sent[0]!.ack();
    sent[1]!.ack();
    await turn(); // two more out: 30 left, still over 20
    expect(out.paused).toBe(true);
    sent[2]!.ack();
    await turn(); // 20 left: resumed
    expect(out.queued).toBe(20);
    expect([out.paused, pty.resumes]).toEqual([false, 1]);
  });

  it('never pauses once the terminal is being ended, and sends all that is left when it finishes', async () => {
    const { out, pty, sent } = harness();
    for (let i = 0; i < 7; i++) out.push('y'.repeat(10), false);
    expect(pty.pauses).toBe(0);
    out.finish();
    expect(sent.map((s) => s.data.length)).toEqual([10, 10, 10, 10, 10, 10, 10]);
    expect(out.queued).toBe(0);
  });

  it('drops output nobody can receive, without spending credit', async () => {
    const { out, sent, disconnect } = harness();
    disconnect();
    out.push('lost', true);
    await turn();
    expect([sent.length, out.queued]).toEqual([0, 0]);
  });
});
