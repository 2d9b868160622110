import { describe, expect, it } from 'vitest';
import { ProcessError, run } from './process.js';

// Plain processes only (no namespaces): these run without root.
describe('run', () => {
  it('passes argv without a shell and returns code, stdout, stderr', async () => {
    const r = await run('sh', ['-c', 'printf "%s|" "$@"; echo err >&2; exit 4', 'sh', 'a b', '$HOME', ';ls']);
    expect(r).toEqual({ code: 4, stdout: 'a b|$HOME|;ls|', stderr: 'err\n' });
  });
  it('writes input to stdin and uses a minimal environment', async () => {
    expect((await run('cat', [], { input: 'x\ny' })).stdout).toBe('x\ny');
    const env = (await run('env', [])).stdout.trim().split('\n').sort();
    expect(env).toEqual(['LANG=C', 'PATH=/usr/sbin:/usr/bin:/sbin:/bin']);
  });
  it('reports death by signal as 128+n', async () => {
    expect((await run('sh', ['-c', 'kill -KILL $$'])).code).toBe(137);
  });
  it('kills and rejects on timeout and on too much output', async () => {
    await expect(run('sleep', ['10'], { timeoutMs: 100 })).rejects.toThrow(/timed out/);
    await expect(run('head', ['-c', '100000', '/dev/zero'], { maxOutputBytes: 1000 })).rejects.toBeInstanceOf(
      ProcessError,
    );
  });
  it('rejects when the command does not exist', async () => {
    await expect(run('pbk-no-such-command', [])).rejects.toThrow(/cannot run/);
  });
  it('survives a child that exits without reading its input', async () => {
    expect((await run('true', [], { input: 'x'.repeat(1 << 20) })).code).toBe(0);
  });
});
