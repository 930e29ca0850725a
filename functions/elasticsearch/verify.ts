// The verify function (`stashflow function elasticsearch verify-es`, run in a Job after a backup): restic restore of
// the snapshot → each index of its manifest loaded into a scratch index `stashflow-verify-<id>-<index>` (the dump's
// settings and mappings, hidden, without aliases or templates, so nothing a user queries changes) → count and
// checksum of the scratch index vs the manifest → scratch indices deleted, also on failure. A mismatch is a result
// (verified: false naming the index), not a crash: the Job succeeds whenever it could compare.
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import type { FunctionResult } from '../../api/results.js';
import type { IndexVerification, ManifestSummary, VerifyOutcome } from '../../api/verification.js';
import * as restic from '../../lib/restic.js';
import { writeTerminationMessage } from '../termination.js';
import { createClient, type EsConnection } from './connection.js';
import { decodeMetaFile, dumpFileName, encodeMetaFile } from './dump-format.js';
import { MANIFEST_FILE, readJsonIfExists, sidecarFile, type Manifest, type ManifestIndex } from './layout.js';
import { loadDump } from './load.js';
import { indexChecksum, summarizeManifest } from './manifest-checksum.js';
import { locateDump } from './restore.js';
import { silentProgress } from './progress.js';
import type { DumpType } from './selection.js';
import { compactOutcome, compareIndex, outcomeOf, scratchName, scratchPattern, summaryMismatch } from './verify-compare.js';

/** What is loaded into a scratch index: no aliases, no templates (they would reach beyond the scratch index). */
const SCRATCH_TYPES: DumpType[] = ['settings', 'analyzer', 'mapping', 'index', 'data'];

type Json = Record<string, unknown>;

/**
 * Copies one index's files into its own staging dir under the scratch name; settings gain index.hidden and the
 * whole-index file loses its aliases. Data files are moved (renamed), not copied: they are the big ones.
 */
async function stageIndex(dumpDir: string, stage: string, index: string, scratch: string): Promise<void> {
  await mkdir(stage, { recursive: true });
  for (const t of SCRATCH_TYPES) {
    const from = join(dumpDir, dumpFileName(index, t));
    if (!(await stat(from).catch(() => undefined))) continue;
    const to = join(stage, dumpFileName(scratch, t));
    if (t === 'data' || t === 'mapping' || t === 'analyzer') {
      await rename(from, to);
      continue;
    }
    const text = await readFile(from, 'utf8');
    if (!text.trim()) continue;
    const v = decodeMetaFile(text, from);
    const body = (v[index] ?? Object.values(v)[0] ?? {}) as Json;
    const settings = (body.settings ?? {}) as Json;
    const indexSettings = { ...((settings.index as Json | undefined) ?? {}), hidden: 'true' };
    const staged: Json = { ...body, settings: { ...settings, index: indexSettings } };
    delete staged.aliases;
    await writeFile(to, encodeMetaFile(t, { [scratch]: staged }));
  }
}

async function deleteIndex(client: Client, index: string): Promise<void> {
  await client.indices.delete({ index }, { ignore: [404] });
}

/** Deletes every scratch index of this verification that is still there (by exact names: wildcards may be refused). */
export async function sweepScratch(client: Client, verifyId: string): Promise<string[]> {
  const rows = await client.cat.indices({ index: scratchPattern(verifyId), format: 'json', h: 'index', expand_wildcards: 'all' });
  const names = rows.map((r) => String(r.index));
  if (names.length) await client.indices.delete({ index: names }, { ignore: [404] });
  return names;
}

/** Restores one manifest index into its scratch index and compares; the scratch index is gone afterwards. */
async function verifyIndex(client: Client, dumpDir: string, workDir: string, verifyId: string, m: ManifestIndex) {
  const scratch = scratchName(verifyId, m.name);
  const stage = join(workDir, scratch);
  try {
    await deleteIndex(client, scratch); // a leftover of an interrupted run of this same verification
    await stageIndex(dumpDir, stage, m.name, scratch);
    const l = await loadDump(client, stage, { types: SCRATCH_TYPES, dumpId: `verify-${verifyId}`, progress: silentProgress });
    const loaded = l.indices.find((i) => i.name === scratch);
    if (!loaded) return compareIndex(m, undefined, 'no files for it in the snapshot');
    const problem = loaded.failed ? `${loaded.failed} documents failed to load (${l.errors[0]?.reason ?? 'unknown'})` : undefined;
    return compareIndex(m, await indexChecksum(client, scratch), problem);
  } catch (e) {
    return compareIndex(m, undefined, `could not be restored: ${e instanceof Error ? e.message : String(e)}`.slice(0, 500));
  } finally {
    await deleteIndex(client, scratch).catch(() => undefined);
    await rm(stage, { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * Verifies a dump directory (with its sidecar manifest) against Elasticsearch by way of scratch indices. The dump's
 * data files are consumed (moved into staging). `reported`: the summary the backup Job reported, if known.
 */
export async function verifyDump(
  client: Client,
  dumpDir: string,
  opts: { verifyId: string; workDir: string; reported?: ManifestSummary; snapshot?: string },
): Promise<VerifyOutcome> {
  const manifest = await readJsonIfExists<Manifest>(sidecarFile(dumpDir, MANIFEST_FILE));
  if (!manifest) return outcomeOf(opts.snapshot, [], 'the snapshot holds no Stashflow manifest: nothing to compare with');
  const mismatch = summaryMismatch(opts.reported, summarizeManifest(manifest.indices));
  const results: IndexVerification[] = [];
  try {
    for (const m of manifest.indices) results.push(await verifyIndex(client, dumpDir, opts.workDir, opts.verifyId, m));
  } finally {
    await sweepScratch(client, opts.verifyId).catch(() => undefined);
  }
  return outcomeOf(opts.snapshot, results, mismatch);
}

export interface VerifyElasticsearchOptions {
  es: EsConnection;
  restic: restic.ResticRepo;
  /** emptied first, removed after */
  interimDir: string;
  /** the snapshot the backup made (id or short id) */
  snapshot: string;
  /** names the scratch indices (the workflow passes a short session id) */
  verifyId: string;
  reported?: ManifestSummary;
  terminationPath?: string | false;
  /** the whole outcome as one JSON line on stdout (default true) */
  print?: boolean;
}

export async function verifyElasticsearch(opts: VerifyElasticsearchOptions): Promise<VerifyOutcome> {
  const client = createClient(opts.es);
  let outcome: VerifyOutcome;
  try {
    const snap = (await restic.snapshots(opts.restic)).find((s) => s.id === opts.snapshot || s.id.startsWith(opts.snapshot));
    if (!snap) throw new Error(`snapshot ${opts.snapshot} not found`);
    await rm(opts.interimDir, { recursive: true, force: true });
    const target = join(opts.interimDir, 'snapshot');
    await mkdir(target, { recursive: true });
    await restic.restore(opts.restic, snap.id, target);
    const dumpDir = await locateDump(target, snap);
    outcome = await verifyDump(client, dumpDir, {
      verifyId: opts.verifyId,
      workDir: join(opts.interimDir, 'scratch'),
      reported: opts.reported,
      snapshot: snap.short_id,
    });
  } catch (e) {
    outcome = outcomeOf(opts.snapshot, [], e instanceof Error ? e.message : String(e));
  } finally {
    await client.close();
    await rm(opts.interimDir, { recursive: true, force: true }).catch(() => undefined);
  }
  if (opts.print !== false) process.stdout.write(JSON.stringify({ verify: outcome }) + '\n');
  if (opts.terminationPath !== false) {
    // Failed only when it could not compare at all; a mismatch is a successful verification that says no
    const compared = outcome.indices.length > 0 || !outcome.error;
    const message: FunctionResult = {
      phase: compared ? 'Succeeded' : 'Failed',
      ...(compared ? {} : { error: outcome.error }),
      verify: compactOutcome(outcome),
    };
    writeTerminationMessage(message, opts.terminationPath);
  }
  return outcome;
}

/** `--reported <indices>:<docs>:<checksum>` (what the backup Job reported) → a summary; malformed → undefined. */
export function parseReported(text: string | undefined): ManifestSummary | undefined {
  const m = /^(\d+):(\d+):([0-9a-f]{1,16})$/.exec(text ?? '');
  return m ? { indices: Number(m[1]), docs: Number(m[2]), checksum: (m[3] as string).padStart(16, '0') } : undefined;
}

export const formatReported = (r: ManifestSummary): string => `${r.indices}:${r.docs}:${r.checksum}`;
