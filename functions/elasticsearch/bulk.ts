// RESTORE side, documents: streams an NDJSON dump file into _bulk requests sent by K parallel workers. Reading
// pauses while K requests are out or their bodies would exceed the in-flight byte bound, so memory stays bounded.
// A 429 (whole request or single items) is retried with exponential backoff; other per-item failures are counted
// and the first few reported.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { errors, type Client } from '@elastic/elasticsearch';
import { bulkLine } from './bulk-line.js';
import { silentProgress, type ProgressSink } from './progress.js';

export interface BulkOptions {
  workers?: number;
  /** a request is sent once its body reaches this size */
  maxBulkBytes?: number;
  maxBulkDocs?: number;
  /** bound on request bodies in flight (a single larger document still goes, alone) */
  maxInFlightBytes?: number;
  maxRetries?: number;
  /** first backoff; doubles per attempt, capped at 30 s */
  backoffMs?: number;
  progress?: { report: ProgressSink; done: ProgressSink };
}

export interface DocError {
  id: string;
  status: number;
  type: string;
  reason: string;
}

export interface BulkResult {
  docs: number;
  failed: number;
  errors: DocError[];
  bytes: number;
  retries: number;
}

const MAX_REPORTED = 5;

interface BulkItem {
  status: number;
  error?: { type?: string; reason?: string };
}

export async function bulkLoadFile(
  client: Client,
  index: string,
  file: string,
  total: number,
  opts: BulkOptions = {},
): Promise<BulkResult> {
  const workers = Math.max(1, opts.workers ?? 2);
  const maxBulkBytes = opts.maxBulkBytes ?? 5 << 20;
  const maxBulkDocs = opts.maxBulkDocs ?? 2000;
  const maxInFlight = opts.maxInFlightBytes ?? 32 << 20;
  const maxRetries = opts.maxRetries ?? 8;
  const backoffMs = opts.backoffMs ?? 500;
  const progress = opts.progress ?? silentProgress;
  const result: BulkResult = { docs: 0, failed: 0, errors: [], bytes: 0, retries: 0 };
  let fileBytes = 0;

  const fail = (e: DocError) => {
    result.failed++;
    if (result.errors.length < MAX_REPORTED) result.errors.push(e);
  };

  const send = async (pairs: string[], ids: string[]): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      let items: BulkItem[] | undefined;
      try {
        const res = (await client.transport.request({
          method: 'POST',
          path: '/_bulk',
          // statuses only (not ids: we have them): the response of a clean request stays small to parse
          querystring: { filter_path: 'errors,items.*.status,items.*.error.type,items.*.error.reason' },
          bulkBody: pairs.join(''),
        })) as { errors?: boolean; items?: Record<string, BulkItem>[] };
        if (!res.errors) {
          result.docs += pairs.length;
          return;
        }
        items = (res.items ?? []).map((i) => Object.values(i)[0] ?? { status: 500 });
      } catch (e) {
        if (!(e instanceof errors.ResponseError && e.statusCode === 429) || attempt >= maxRetries) throw e;
        result.retries++;
        await sleep(Math.min(30_000, backoffMs * 2 ** attempt));
        continue;
      }
      const again: number[] = [];
      items.forEach((it, i) => {
        if (it.status < 300) result.docs++;
        else if (it.status === 429 && attempt < maxRetries) again.push(i);
        else fail({ id: ids[i] ?? '', status: it.status, type: it.error?.type ?? '', reason: it.error?.reason ?? '' });
      });
      if (again.length === 0) return;
      result.retries++;
      pairs = again.map((i) => pairs[i] as string);
      ids = again.map((i) => ids[i] as string);
      await sleep(Math.min(30_000, backoffMs * 2 ** attempt));
    }
  };

  const active = new Set<Promise<void>>();
  let inFlight = 0;
  let firstError: unknown;
  const dispatch = async (pairs: string[], ids: string[], size: number) => {
    while (active.size >= workers || (active.size > 0 && inFlight + size > maxInFlight)) await Promise.race(active);
    if (firstError) throw firstError;
    inFlight += size;
    const p: Promise<void> = send(pairs, ids)
      .catch((e: unknown) => {
        firstError ??= e;
      })
      .finally(() => {
        inFlight -= size;
        active.delete(p);
        result.bytes += size;
        progress.report({ index, docsDone: result.docs + result.failed, docsTotal: total, bytesDone: fileBytes, phase: 'load' });
      });
    active.add(p);
  };

  const input = createReadStream(file);
  input.on('data', (d) => (fileBytes += d.length));
  const lines = createInterface({ input, crlfDelay: Infinity });
  let pairs: string[] = [];
  let ids: string[] = [];
  let size = 0;
  let lineNo = 0;
  try {
    for await (const line of lines) {
      lineNo++;
      if (!line.trim()) continue;
      const { pair, id } = bulkLine(line, index, lineNo, file);
      pairs.push(pair);
      ids.push(id);
      size += Buffer.byteLength(pair);
      if (size >= maxBulkBytes || pairs.length >= maxBulkDocs) {
        await dispatch(pairs, ids, size);
        pairs = [];
        ids = [];
        size = 0;
      }
    }
    if (pairs.length) await dispatch(pairs, ids, size);
    await Promise.all(active);
  } finally {
    lines.close();
    input.destroy();
  }
  if (firstError) throw firstError;
  progress.done({ index, docsDone: result.docs + result.failed, docsTotal: total, bytesDone: fileBytes, phase: 'load' });
  return result;
}
