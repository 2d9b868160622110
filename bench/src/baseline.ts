// Hand-written baseline (research `batch` mode): one `ip -batch -` with `netns add` ×(N+1), then
// `netns exec HOST ip -batch host.batch` and `netns exec LEAF ip -batch leafX.batch` per leaf.
// `batch6` adds `addrgenmode none` on the bridge, every port and every leaf's eth0 (as the engine).

import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunRecord } from './engine-run.js';
import { leafIp, leafName, pingReady, portName, verifyStar } from './lab.js';
import { deleteByName, ourNamespaces, waitDownComplete } from './namespaces.js';
import { now, runAsync } from './util.js';

export type BaselineMode = 'batch' | 'batch6';

function baselineFiles(
  n: number,
  mode: BaselineMode,
  dir: string,
): { host: string; leaves: string[]; setup: string; teardown: string } {
  const host = `pbbh${n}-host`;
  const leaves = Array.from({ length: n }, (_, k) => `pbbh${n}-${leafName(k + 1)}`);
  const six = mode === 'batch6';
  const hostLines = [
    'link add br0 type bridge',
    ...(six ? ['link set br0 addrgenmode none'] : []),
    'link set br0 up',
    'link set lo up',
  ];
  leaves.forEach((leaf, k) => {
    const p = portName(k + 1);
    hostLines.push(`link add ${p} type veth peer name eth0 netns ${leaf}`);
    if (six) hostLines.push(`link set ${p} addrgenmode none`);
    hostLines.push(`link set ${p} master br0 up`);
  });
  const hostFile = join(dir, 'host.batch');
  writeFileSync(hostFile, hostLines.join('\n') + '\n');
  const setup = [
    `netns add ${host}`,
    ...leaves.map((l) => `netns add ${l}`),
    `netns exec ${host} ip -batch ${hostFile}`,
  ];
  leaves.forEach((leaf, k) => {
    const f = join(dir, `${leafName(k + 1)}.batch`);
    const lines = [
      `addr add ${leafIp(k + 1)}/16 dev eth0`,
      ...(six ? ['link set eth0 addrgenmode none'] : []),
      'link set eth0 up',
      'link set lo up',
    ];
    writeFileSync(f, lines.join('\n') + '\n');
    setup.push(`netns exec ${leaf} ip -batch ${f}`);
  });
  const teardown = [host, ...leaves].sort().map((ns) => `netns del ${ns}`);
  return { host, leaves, setup: setup.join('\n') + '\n', teardown: teardown.join('\n') + '\n' };
}

export async function baselineRun(n: number, mode: BaselineMode, workRoot: string): Promise<RunRecord> {
  const dir = mkdtempSync(join(workRoot, `${mode}-`));
  const b = baselineFiles(n, mode, dir);
  let made = false;
  try {
    made = true;
    const t0 = now();
    const r = await runAsync('ip', ['-batch', '-'], b.setup);
    const applyMs = now() - t0;
    if (r.code !== 0 || r.stderr.trim())
      throw new Error(`baseline ${mode} N=${n}: ip -batch exited ${r.code}: ${r.stderr.trim().slice(0, 500)}`);
    const ready = pingReady(b.leaves[0]!, leafIp(n));
    const { linkLocal } = verifyStar(b.host, 'br0', b.leaves);
    const fd = openSync(`/run/netns/${b.host}`, 'r');
    try {
      const d0 = now();
      const del = await runAsync('ip', ['-batch', '-'], b.teardown);
      const d1 = now();
      if (del.code !== 0) throw new Error(`baseline teardown: ${del.stderr.trim().slice(0, 500)}`);
      await waitDownComplete([b.host, ...b.leaves], fd);
      const d2 = now();
      made = false;
      return { applyMs, readyMs: ready.ms, destroyCmdMs: d1 - d0, destroyCompleteMs: d2 - d0, linkLocal };
    } finally {
      closeSync(fd);
    }
  } finally {
    if (made) deleteByName(ourNamespaces().filter((x) => x === b.host || b.leaves.includes(x)));
    rmSync(dir, { recursive: true, force: true });
  }
}
