// A lab's CNI attachments (topology cni.ts, kernel cni.ts), as the engine keeps them: one record per
// attachment (the config passed on ADD, the result the plugin returned, the last CHECK) under
// PATCHBAY_DATA/run/_cni/PREFIX/LAB/records/, and host-local IPAM's dataDir next to it (ipam/), so
// that any later apply — by the CLI or the server, after either restarted — knows what is attached,
// DELs it with the config it was ADDed with, and keeps the plugin's objects out of the lab's diff.
// DELs run before the kernel's plan (before any namespace goes), ADDs after it, CHECKs on verify.
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deleteCniBridge, mapLimit, runCniPlugin } from '@patchbay/kernel';
import {
  type CniRecord,
  type CniView,
  type Lab,
  type Op,
  cniEnvironment,
  desiredCni,
  planCni,
} from '@patchbay/topology';
import type { EngineSettings } from './settings.js';

export interface CniContext {
  readonly prefix: string;
  readonly settings: Pick<EngineSettings, 'dataDir' | 'concurrency'>;
}

/** Lab `lab`'s CNI directory: records/ and ipam/ ("_cni": no prefix can be called that). */
export const cniDir = (ctx: CniContext, lab: string): string =>
  join(ctx.settings.dataDir, 'run', '_cni', ctx.prefix, lab);
/** host-local IPAM's dataDir for lab `lab` (the config's ipam.dataDir). */
export const cniIpamDir = (ctx: CniContext, lab: string): string => join(cniDir(ctx, lab), 'ipam');
const recordsDir = (ctx: CniContext, lab: string) => join(cniDir(ctx, lab), 'records');

/** Every attachment recorded for lab `lab` (what is attached now), by key order. */
export function cniRecords(ctx: CniContext, lab: string): CniRecord[] {
  // Asked three or four times per apply, and most labs have no CNI attachment: a failed readdir
  // builds an error (~0.1 ms each time), a stat that finds nothing does not.
  const dir = recordsDir(ctx, lab);
  if (!existsSync(dir)) return [];
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  const out: CniRecord[] = [];
  for (const f of files.sort()) {
    try {
      out.push(JSON.parse(readFileSync(join(recordsDir(ctx, lab), f), 'utf8')) as CniRecord);
    } catch {
      /* a record cut short by a crash: its attachment is re-made by the next apply */
    }
  }
  return out;
}

function writeRecord(ctx: CniContext, lab: string, record: CniRecord): void {
  const dir = recordsDir(ctx, lab);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${record.key}.json`);
  writeFileSync(`${file}.tmp`, JSON.stringify(record, null, 2) + '\n');
  renameSync(`${file}.tmp`, file);
}

const removeRecord = (ctx: CniContext, lab: string, key: string): void =>
  rmSync(join(recordsDir(ctx, lab), `${key}.json`), { force: true });

/** The CNI operations from what is attached to what `lab` wants; `deleted`: namespaces the kernel plan deletes. */
export function planLabCni(ctx: CniContext, lab: Lab, deleted: readonly string[]): Op[] {
  return planCni(desiredCni(lab, ctx.prefix, cniIpamDir(ctx, lab.name)), cniRecords(ctx, lab.name), {
    replaced: new Set(deleted),
  });
}

/** Carries out CNI ops (DELs or ADDs), recording each; resolves to the failures, in words. */
export async function runCniOps(ctx: CniContext, lab: Lab | string, ops: readonly Op[]): Promise<string[]> {
  const name = typeof lab === 'string' ? lab : lab.name;
  const wanted = typeof lab === 'string' ? [] : desiredCni(lab, ctx.prefix, cniIpamDir(ctx, name));
  const recorded = new Map(cniRecords(ctx, name).map((r) => [r.key, r]));
  const failures: string[] = [];
  if (ops.some((o) => o.cni?.command === 'ADD')) mkdirSync(cniIpamDir(ctx, name), { recursive: true, mode: 0o700 });
  // One at a time: plugins on one host share its bridge and IPAM pool (host-local locks, the bridge
  // plugin does not), and an attachment is a few milliseconds.
  await mapLimit([...ops], 1, async (op) => {
    const d = op.cni!;
    const config = JSON.parse(op.input ?? '{}') as Record<string, unknown>;
    const call = {
      command: d.command,
      plugin: d.plugin,
      hostNs: op.ns,
      containerNs: d.containerNs,
      ifname: d.ifname,
      containerId: d.containerId,
      config,
    };
    const what = `CNI ${d.command} ${op.subject.node} ${d.ifname} (${d.plugin})`;
    const outcome = await runCniPlugin(call);
    if (d.command === 'DEL') {
      if (d.removeBridge) {
        const br = await deleteCniBridge(op.ns, d.removeBridge);
        if (!br.ok) failures.push(`${what}: removing bridge ${d.removeBridge}: ${br.error}`);
      }
      // A failed DEL keeps its record: the next apply tries again (DEL is idempotent: the spec's rule).
      if (outcome.ok) removeRecord(ctx, name, d.key);
      else failures.push(`${what}: ${outcome.error}`);
      return;
    }
    if (!outcome.ok) {
      failures.push(`${what}: ${outcome.error}`);
      return;
    }
    const attachment = wanted.find((w) => w.key === d.key) ?? recorded.get(d.key);
    if (!attachment) return;
    writeRecord(ctx, name, { ...attachment, config: config as CniRecord['config'], result: outcome.result });
  });
  return failures;
}

/**
 * CHECK on every recorded attachment (the config with the ADD's result as `prevResult`, as the
 * spec asks); the outcome is kept in the record. Resolves to the failures, in words.
 */
export async function checkCniAttachments(ctx: CniContext, lab: string): Promise<string[]> {
  const failures: string[] = [];
  await mapLimit(cniRecords(ctx, lab), ctx.settings.concurrency, async (r) => {
    const outcome = await runCniPlugin({
      command: 'CHECK',
      plugin: r.plugin,
      hostNs: r.hostNs,
      containerNs: r.ns,
      ifname: r.iface,
      containerId: r.containerId,
      config: { ...r.config, prevResult: r.result },
    });
    const check = outcome.ok ? { ok: true } : { ok: false, error: outcome.error };
    writeRecord(ctx, lab, { ...r, check });
    if (!outcome.ok) failures.push(`CNI CHECK ${r.node} ${r.iface} (${r.plugin}): ${outcome.error}`);
  });
  return failures;
}

/** Destroy: DEL every attachment (best effort: the namespaces go next anyway), then the records and IPAM state. */
export async function forgetLabCni(ctx: CniContext, lab: string): Promise<void> {
  for (const r of cniRecords(ctx, lab)) {
    await runCniPlugin({
      command: 'DEL',
      plugin: r.plugin,
      hostNs: r.hostNs,
      containerNs: r.ns,
      ifname: r.iface,
      containerId: r.containerId,
      config: r.config,
      timeoutMs: 10_000,
    }).catch(() => undefined);
  }
  rmSync(cniDir(ctx, lab), { recursive: true, force: true });
}

/** The `cni` of each node in the lab state: every attachment the lab has, attached or not yet. */
export function cniViews(ctx: CniContext, lab: Lab): Map<string, CniView[]> {
  const recorded = new Map(cniRecords(ctx, lab.name).map((r) => [r.key, r]));
  const out = new Map<string, CniView[]>();
  for (const d of desiredCni(lab, ctx.prefix, cniIpamDir(ctx, lab.name))) {
    const r = recorded.get(d.key);
    const a = r ?? d;
    const view: CniView = {
      interface: a.iface,
      host: a.host,
      plugin: a.plugin,
      network: a.config.name,
      state: r?.result ? 'attached' : 'pending',
      config: a.config,
      env: cniEnvironment({ command: 'ADD', containerNs: a.ns, ifname: a.iface, containerId: a.containerId }),
    };
    if (r?.result) view.result = r.result;
    if (r?.check) view.check = r.check;
    out.set(d.node, [...(out.get(d.node) ?? []), view]);
  }
  return out;
}
