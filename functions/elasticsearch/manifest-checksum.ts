// The per-index fingerprint the dump writes into its manifest and the verification recomputes from scratch indices:
// a document count and a checksum over every document's _id, _routing and _source.
// Order-independent on purpose: the dump reads an index in parallel PIT slices that share one file, and a restore
// loads with parallel bulk requests into any number of shards, so the same documents come back in another order every
// time. Each document gets a 64-bit hash (the first 8 bytes of SHA-256) and the checksum is their sum mod 2^64:
// commutative, 64 bits of state, and — unlike xor — two equal documents (same _id, other routing) do not cancel.
// The same definition as test/helpers/es-compare.ts fingerprint(), so tests can cross-check it.
import { hash } from 'node:crypto';
import type { Client } from '@elastic/elasticsearch';
import type { ManifestSummary } from '../../api/verification.js';

const MASK = 0xffffffffffffffffn;
const TWO_32 = 0x1_0000_0000;

/** SHA-256 of one document's `<id>\0<routing>\0<source>` in one call (no Hash object per document: the dump's hot loop). */
const docDigest = (id: string, routing: string | undefined, sourceJson: string): Buffer =>
  hash('sha256', `${id}\0${routing ?? ''}\0${sourceJson}`, 'buffer');

/** 64-bit hash of one document; sourceJson is JSON.stringify(_source) as the dump writes it. */
export function docHash(id: string, routing: string | undefined, sourceJson: string): bigint {
  return docDigest(id, routing, sourceJson).readBigUInt64BE(0);
}

/** Hex form of a 64-bit sum, fixed width so equal sums compare equal as strings. */
export const checksumHex = (sum: bigint): string => (sum & MASK).toString(16).padStart(16, '0');

export class ChecksumAccumulator {
  // the 64-bit sum as two 32-bit halves in plain numbers: a bigint add per document allocated and cost more than the hash
  private hi = 0;
  private lo = 0;
  count = 0;

  add(id: string, routing: string | undefined, sourceJson: string): void {
    const d = docDigest(id, routing, sourceJson);
    const lo = this.lo + d.readUInt32BE(4);
    this.lo = lo % TWO_32;
    this.hi = (this.hi + d.readUInt32BE(0) + (lo >= TWO_32 ? 1 : 0)) % TWO_32;
    this.count++;
  }

  get hex(): string {
    return this.hi.toString(16).padStart(8, '0') + this.lo.toString(16).padStart(8, '0');
  }
}

/** One checksum over several indices' checksums (plus their names, so swapping two indices' data changes it). */
export function combineChecksums(parts: Array<{ name: string; checksum: string }>): string {
  let sum = 0n;
  for (const p of parts) sum = (sum + docHash(p.name, undefined, p.checksum)) & MASK; // hash of the pair, not a sum of parts
  return checksumHex(sum);
}

/** Count and checksum of an index as it is now, read with a point in time (a consistent view). */
export async function indexChecksum(client: Client, index: string, pageSize = 1000): Promise<{ docs: number; checksum: string }> {
  const acc = new ChecksumAccumulator();
  const pit = await client.openPointInTime({ index, keep_alive: '2m' });
  let pitId = pit.id;
  try {
    let after: unknown[] | undefined;
    for (;;) {
      const r = await client.search<unknown>({
        pit: { id: pitId, keep_alive: '2m' },
        sort: ['_shard_doc'],
        size: pageSize,
        track_total_hits: false,
        ...(after ? { search_after: after as never } : {}),
      });
      if (r.pit_id) pitId = r.pit_id;
      const hits = r.hits.hits;
      for (const h of hits) acc.add(String(h._id), h._routing, JSON.stringify(h._source));
      if (hits.length < pageSize) break;
      after = hits.at(-1)?.sort as unknown[] | undefined;
    }
  } finally {
    await client.closePointInTime({ id: pitId }).catch(() => undefined);
  }
  return { docs: acc.count, checksum: acc.hex };
}

/** A dump's manifest in brief, for the backup's result: the workflow hands it to the verification to check. */
export function summarizeManifest(indices: Array<{ name: string; docs: number; checksum?: string }>): ManifestSummary {
  return {
    indices: indices.length,
    docs: indices.reduce((n, i) => n + i.docs, 0),
    checksum: combineChecksums(indices.map((i) => ({ name: i.name, checksum: i.checksum ?? '0' }))),
  };
}
