// Pure parts of a verification: scratch index names, the per-index comparison with the manifest, and the outcome
// cut to fit a termination message (failing indices first).
import { createHash } from 'node:crypto';
import type { IndexVerification, ManifestSummary, VerifyOutcome } from '../../api/verification.js';
import type { ManifestIndex } from './layout.js';

export const SCRATCH_PREFIX = 'stashflow-verify-';

/** Where one index of the snapshot is restored for checking: `stashflow-verify-<id>-<index>`, within ES's 255 bytes. */
export function scratchName(verifyId: string, index: string): string {
  const id = verifyId.toLowerCase().replace(/[^a-z0-9]/g, '');
  const name = `${SCRATCH_PREFIX}${id}-${index}`;
  if (Buffer.byteLength(name) <= 255) return name;
  return `${SCRATCH_PREFIX}${id}-${createHash('sha256').update(index).digest('hex').slice(0, 32)}`;
}

/** The glob of every scratch index of one verification (for the final sweep). */
export const scratchPattern = (verifyId: string): string => scratchName(verifyId, '*');

export function compareIndex(
  expected: ManifestIndex,
  actual: { docs: number; checksum: string } | undefined,
  problem?: string,
): IndexVerification {
  const base = { index: expected.name, expected: { docs: expected.docs, checksum: expected.checksum } };
  if (!actual) return { ...base, ok: false, reason: problem ?? 'not restored' };
  const reasons: string[] = [];
  if (problem) reasons.push(problem);
  if (actual.docs !== expected.docs) reasons.push(`${actual.docs} documents restored, ${expected.docs} dumped`);
  if (expected.checksum === undefined) reasons.push('the manifest has no checksum for it');
  else if (actual.checksum !== expected.checksum) reasons.push(`checksum ${actual.checksum}, dumped ${expected.checksum}`);
  return { ...base, actual, ok: reasons.length === 0, ...(reasons.length ? { reason: reasons.join('; ') } : {}) };
}

/** The summary the backup reported vs the one of the manifest found in the snapshot: a message when they differ. */
export function summaryMismatch(reported: ManifestSummary | undefined, found: ManifestSummary): string | undefined {
  if (!reported) return undefined;
  if (reported.indices === found.indices && reported.docs === found.docs && reported.checksum === found.checksum)
    return undefined;
  return (
    `the snapshot's manifest (${found.indices} indices, ${found.docs} documents, checksum ${found.checksum}) is not the one ` +
    `the backup wrote (${reported.indices} indices, ${reported.docs} documents, checksum ${reported.checksum})`
  );
}

export function outcomeOf(snapshot: string | undefined, indices: IndexVerification[], error?: string): VerifyOutcome {
  return {
    verified: !error && indices.every((i) => i.ok),
    ...(snapshot ? { snapshot } : {}),
    indices,
    ...(error ? { error } : {}),
  };
}

/** The outcome within maxBytes of JSON: failing indices first, then ok ones, the rest counted as omitted. */
export function compactOutcome(o: VerifyOutcome, maxBytes = 3000): VerifyOutcome {
  const ordered = [...o.indices.filter((i) => !i.ok), ...o.indices.filter((i) => i.ok)];
  const kept: IndexVerification[] = [];
  const head = { ...o, indices: [], omitted: o.indices.length, error: o.error?.slice(0, 1000) };
  let size = Buffer.byteLength(JSON.stringify(head));
  for (const i of ordered) {
    const n = Buffer.byteLength(JSON.stringify(i)) + 1;
    if (size + n > maxBytes) break;
    kept.push(i);
    size += n;
  }
  const omitted = o.indices.length - kept.length;
  return { ...o, ...(head.error ? { error: head.error } : {}), indices: kept, ...(omitted ? { omitted } : {}) };
}
