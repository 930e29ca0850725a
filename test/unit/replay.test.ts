// The workflows are deterministic: every history recorded from a real run on the local stack (test/replay/record.ts,
// committed under test/replay/histories/) replays against the current workflow code without a
// DeterminismViolationError or any other replay failure. A change that alters the commands a recorded run issued —
// an activity added, removed or reordered, a timer moved — fails here; see test/replay/README.md for how to make
// such a change safely (patched()) or when to re-record. No server is needed: the replay worker runs in-process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { historyFromJSON } from '../replay/history-json.js';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { workflowTypes } from '../../workflows/contracts.js';
import { repoRoot } from '../helpers/stack.js';

// As worker/worker.ts: under tsx the .ts sources, compiled (dist/test/unit → dist/workflows) the .js output.
const workflowsPath = fileURLToPath(
  new URL('../../workflows/index' + (import.meta.url.endsWith('.ts') ? '.ts' : '.js'), import.meta.url),
);
// the replay worker's bundling and state logs are noise here; warnings and errors still show
Runtime.install({ logger: new DefaultLogger('WARN') });

const dir = join(repoRoot, 'test', 'replay', 'histories');
const MIN_HISTORIES = 8;

const histories = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => {
    const history = historyFromJSON(JSON.parse(readFileSync(join(dir, f), 'utf8')));
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    return { file: f, workflowId: f.replace(/\.json$/, ''), history, workflowType: started?.workflowType?.name ?? '' };
  });

test('the recorded histories are there and cover every session workflow', () => {
  assert.ok(histories.length >= MIN_HISTORIES, `${histories.length} histories in ${dir}, expected at least ${MIN_HISTORIES}`);
  const types = new Set(histories.map((h) => h.workflowType));
  for (const t of [...Object.values(workflowTypes), 'smokeWorkflow']) assert.ok(types.has(t), `a recorded ${t} history`);
  for (const h of histories) {
    const last = h.history.events?.at(-1);
    assert.ok(last?.workflowExecutionCompletedEventAttributes, `${h.file}: a complete run (ends WorkflowExecutionCompleted)`);
  }
});

test('every recorded history replays against the current workflow code', async () => {
  const replayed: string[] = [];
  const failures: string[] = [];
  for await (const r of Worker.runReplayHistories(
    { workflowsPath, replayName: 'stashflow-replay-test' },
    histories.map((h) => ({ workflowId: h.workflowId, history: h.history })),
  )) {
    replayed.push(r.workflowId);
    if (r.error) failures.push(`${r.workflowId}: ${r.error.name}: ${r.error.message}`);
  }
  assert.deepEqual(failures, [], 'non-deterministic replay');
  assert.deepEqual(replayed.sort(), histories.map((h) => h.workflowId).sort(), 'every history was replayed');
});

// The histories carry references, never secrets (the recorder also refused to write any that held the password it
// generated): every secret-bearing env var in a payload (e.g. the Job specs ensureJob received) is a secretKeyRef.
test('the recorded histories carry secret references, not secret values', () => {
  const SECRET_ENV = /^(RESTIC_PASSWORD|AWS_SECRET_ACCESS_KEY|RESTIC_REST_PASSWORD|REST_SERVER_PASSWORD|.*_PASSWORD)$/;
  let refs = 0;
  const visit = (v: unknown, where: string): void => {
    if (Array.isArray(v)) return v.forEach((x) => visit(x, where));
    if (!v || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    if (typeof o.name === 'string' && SECRET_ENV.test(o.name) && ('value' in o || 'valueFrom' in o)) {
      assert.equal(o.value, undefined, `${where}: env ${o.name} has a value`);
      assert.ok(
        (o.valueFrom as { secretKeyRef?: unknown } | undefined)?.secretKeyRef,
        `${where}: env ${o.name} is a secretKeyRef`,
      );
      refs++;
    }
    for (const x of Object.values(o)) visit(x, where);
  };
  for (const h of histories) {
    JSON.parse(readFileSync(join(dir, h.file), 'utf8'), (key, value) => {
      if (key === 'data' && typeof value === 'string') {
        try {
          visit(JSON.parse(Buffer.from(value, 'base64').toString('utf8')), h.file);
        } catch (err) {
          if (err instanceof assert.AssertionError) throw err; // a payload that is not JSON is not an env list
        }
      }
      return value;
    });
  }
  assert.ok(refs > 0, 'the histories hold Job specs with secret references (so this check is not vacuous)');
});
