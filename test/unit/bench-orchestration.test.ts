// The orchestration bench's pure parts (bench/orchestration/stats.ts): what its numbers are computed from. The bench
// itself needs the stack and minutes; nothing here is timed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cpuTicks,
  cronJobSlotMs,
  nextYearly,
  parseArgs,
  percentile,
  rssKb,
  sessionSlotMs,
  summarize,
  yearlyCron,
} from '../../bench/orchestration/stats.js';

test('nearest-rank percentiles and the summary', () => {
  const v = Array.from({ length: 20 }, (_, i) => i + 1); // 1..20
  assert.equal(percentile(v, 50), 10);
  assert.equal(percentile(v, 95), 19);
  assert.equal(percentile(v, 100), 20);
  assert.equal(percentile([7], 95), 7);
  assert.ok(Number.isNaN(percentile([], 50)));
  assert.deepEqual(summarize([30, 10, 20]), { n: 3, min: 10, p50: 20, p95: 30, max: 30, mean: 20 });
  assert.equal(summarize([]), undefined);
});

test('slots from the names Stashflow and the CronJob controller give', () => {
  assert.equal(sessionSlotMs('fire-001-1795659660', 'fire-001'), 1795659660_000);
  assert.equal(sessionSlotMs('fire-0010-1795659660', 'fire-001'), undefined, 'another configuration with a longer name');
  assert.equal(sessionSlotMs('fire-001-abc', 'fire-001'), undefined);
  assert.equal(cronJobSlotMs('bcron-003-29927661', 'bcron-003'), 29927661 * 60_000);
  assert.equal(cronJobSlotMs('bcron-003-1795659660', 'bcron-003'), undefined, 'seconds are not minutes');
});

test('next firing of a yearly cron, computed independently of the watcher', () => {
  assert.equal(yearlyCron(7, 1), '7 1 1 1 *');
  assert.equal(nextYearly(7, 1, new Date('2026-11-26T02:00:00Z')).toISOString(), '2027-01-01T01:07:00.000Z');
  assert.equal(nextYearly(7, 1, new Date('2026-01-01T00:00:00Z')).toISOString(), '2026-01-01T01:07:00.000Z');
  assert.equal(nextYearly(7, 1, new Date('2026-01-01T01:07:00Z')).toISOString(), '2027-01-01T01:07:00.000Z');
});

test('/proc parsing: CPU ticks after a comm with spaces and parentheses, VmRSS', () => {
  const stat = '4242 (node (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 567 0 0 20 0 11 0 999 1000 200';
  assert.equal(cpuTicks(stat), 1234 + 567);
  assert.equal(rssKb('Name:\tnode\nVmHWM:\t  200000 kB\nVmRSS:\t  123456 kB\n'), 123456);
  assert.equal(rssKb('Name:\tzombie\n'), 0);
});

test('command line: defaults, --quick, overrides and errors', () => {
  const full = parseArgs([]);
  assert.deepEqual([full.fireConfigs, full.fireSlots, full.scaleConfigs, full.burst], [20, 3, 1000, 100]);
  const quick = parseArgs(['--quick']);
  assert.deepEqual([quick.fireConfigs, quick.fireSlots, quick.scaleConfigs, quick.burst], [5, 1, 50, 10]);
  const a = parseArgs(['--quick', '--configs', '200', '--phases', 'scale,burst', '--max-activities', '200', '--dist', '/x']);
  assert.equal(a.scaleConfigs, 200);
  assert.deepEqual([...a.phases].sort(), ['burst', 'scale']);
  assert.equal(a.maxActivities, 200);
  assert.equal(a.dist, '/x');
  assert.throws(() => parseArgs(['--phases', 'nope']), /unknown phase 'nope'/);
  assert.throws(() => parseArgs(['--configs', '-1']), /non-negative integer/);
  assert.throws(() => parseArgs(['--what']), /unknown argument/);
});
