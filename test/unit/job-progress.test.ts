import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProgressTracker } from '../../activities/job-progress.js';

const line = (p: object) => JSON.stringify({ progress: p });

test('Elasticsearch progress lines sum per index, the latest line of each index wins, across reads', () => {
  const t = new ProgressTracker();
  assert.equal(t.summary(), undefined);
  t.add(
    [
      'restic says hello',
      line({ index: 'a', docsDone: 100, docsTotal: 1000, bytesDone: 5000, phase: 'dump' }),
      line({ index: 'a', docsDone: 400, docsTotal: 1000, bytesDone: 20000, phase: 'dump' }),
      '{"progress":{"index":"b","docs', // cut by the tail
    ].join('\n'),
  );
  assert.deepEqual(t.summary(), { step: 'dump', indices: 1, docsDone: 400, docsTotal: 1000, bytesDone: 20000, percent: 40 });
  // the next tail no longer holds index a
  t.add(line({ index: 'b', docsDone: 600, docsTotal: 1000, bytesDone: 30000, phase: 'dump' }));
  assert.deepEqual(t.summary(), { step: 'dump', indices: 2, docsDone: 1000, docsTotal: 2000, bytesDone: 50000, percent: 50 });
});

test('dir function steps without document counts; non-object progress is ignored', () => {
  const t = new ProgressTracker();
  t.add([line({ function: 'dir-backup', step: 'init', created: true }), '{"progress":"done","phase":"x"}'].join('\n'));
  assert.deepEqual(t.summary(), { step: 'init' });
});
