import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkQueue } from '../../watcher/queue.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

test('a key added many times while waiting is reconciled once', async () => {
  const seen: string[] = [];
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const q = new WorkQueue(
    async (k) => {
      if (k === 'busy') await gate; // holds the only slot so the others wait
      seen.push(k);
    },
    { concurrency: 1 },
  );
  q.add('busy');
  q.add('a');
  q.add('b');
  q.add('a');
  q.add('b');
  open();
  await q.idle();
  assert.deepEqual(seen, ['busy', 'a', 'b']);
});

test('a key is never reconciled twice at once; a re-add while running runs it again after', async () => {
  let inFlight = 0;
  let maxInFlight = 0;
  let runs = 0;
  const q = new WorkQueue(
    async () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      runs++;
      await tick();
      inFlight--;
    },
    { concurrency: 4 },
  );
  q.add('k');
  await new Promise((r) => setImmediate(r));
  q.add('k');
  q.add('k');
  await q.idle();
  assert.equal(maxInFlight, 1);
  assert.equal(runs, 2);
});

test('a failing key is retried with growing delay until it succeeds', async () => {
  const attempts: number[] = [];
  const q = new WorkQueue(
    async () => {
      attempts.push(Date.now());
      if (attempts.length < 3) throw new Error('transient');
    },
    { baseDelayMs: 20, maxDelayMs: 1000 },
  );
  q.add('x');
  await q.idle();
  assert.equal(attempts.length, 3);
  assert.ok(attempts[2]! - attempts[1]! >= attempts[1]! - attempts[0]!, 'backoff grows');
  assert.equal(q.backoff(1), 20);
  assert.equal(q.backoff(3), 80);
  assert.equal(q.backoff(30), 1000);
});
