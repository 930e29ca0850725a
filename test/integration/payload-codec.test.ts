// Payload encryption at rest (issue 6) on the real Temporal server: a backupSession workflow runs with the AES-GCM
// codec on the client and the worker (a real Job backs up to the REST server with restic). Read back WITHOUT the
// codec, every payload of the history (workflow input and result, activity inputs and results, markers) is
// `binary/encrypted` and none holds the session's names; a codec-less client cannot read the result; with the codec
// every payload decodes and the input is the session reference. Then `stashflow codec-server` decodes one of those
// raw payloads over HTTP as the Temporal UI would call it (CORS preflight from the UI origin, bearer token).
// Search attributes stay plain by Temporal's design (the server indexes them); they are excluded and documented.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Client, type WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { StashFunction, Task } from '../../api/types.js';
import { startCodecServer } from '../../cli/commands/codec-server.js';
import { createObject } from '../../lib/objects.js';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING, parseKey } from '../../lib/payload-codec.js';
import { backupSessionWorkflowId, type SessionRef } from '../../workflows/contracts.js';
import { ensureCrds } from '../helpers/crds.js';
import {
  backupConfiguration,
  createBackupSession,
  createClusterObject,
  createRestRepository,
  createStorageSecret,
  rand,
  runBackupSession,
} from '../helpers/sessions.js';
import { startHarness, tempNamespace, type Harness } from '../helpers/temporal.js';

const codec = new AesGcmPayloadCodec(parseKey(Buffer.from(randomBytes(32).toString('base64')), 'test key'));
const id = rand();
const cleanups: Array<() => Promise<void>> = [];
let h: Harness;
let ns: { name: string; remove: () => Promise<void> };

// A real backup step: restic (the Job gets the repository by env) backs up a file and reports the snapshot.
const script = `set -e
echo data > /stash-interim/file
restic cat config >/dev/null 2>&1 || restic init >/dev/null
id=$(restic backup /stash-interim/file --host host-0 --json | grep '"summary"' | sed 's/.*"snapshot_id":"\\([^"]*\\)".*/\\1/')
printf '{"phase":"Succeeded","backup":{"snapshots":[{"name":"%s","path":"/stash-interim"}]}}' "$id" > /dev/termination-log`;

before(async () => {
  h = await startHarness({ dataConverter: { payloadCodecs: [codec] } });
  await ensureCrds(h.kube.kc);
  ns = await tempNamespace(h.kube, `pcodec`);
  await createStorageSecret(h, ns.name);
  await createRestRepository(h, ns.name);
  await h.kube.core.createNamespacedPersistentVolumeClaim({
    namespace: ns.name,
    body: { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
  });
  const fn: StashFunction = {
    apiVersion: 'stash.appscode.com/v1beta1',
    kind: 'Function',
    metadata: { name: `enc-${id}` },
    spec: { image: 'busybox', command: ['sh', '-c'], args: [script] },
  };
  const task: Task = {
    apiVersion: 'stash.appscode.com/v1beta1',
    kind: 'Task',
    metadata: { name: `enc-${id}` },
    spec: { steps: [{ name: `enc-${id}` }, { name: 'update-status' }] },
  };
  cleanups.push(await createClusterObject(h, 'Function', fn));
  cleanups.push(await createClusterObject(h, 'Task', task));
});

after(async () => {
  for (const c of cleanups) await c();
  await ns?.remove();
  await h?.close();
});

/** Every payload in a raw history except search attributes (which the server must read to index). */
function payloadsOf(history: unknown): Array<{ path: string; payload: Payload }> {
  const out: Array<{ path: string; payload: Payload }> = [];
  const walk = (o: unknown, path: string): void => {
    if (!o || typeof o !== 'object' || o instanceof Uint8Array) return;
    if (Array.isArray(o)) return o.forEach((v, i) => walk(v, `${path}[${i}]`));
    const rec = o as Record<string, unknown>;
    if (rec.metadata && typeof rec.metadata === 'object' && 'encoding' in (rec.metadata as object)) {
      out.push({ path, payload: rec as Payload });
      return;
    }
    for (const [k, v] of Object.entries(rec)) if (k !== 'searchAttributes' && v != null) walk(v, `${path}.${k}`);
  };
  walk(history, 'history');
  return out;
}

const utf8 = (b: Uint8Array | null | undefined) => Buffer.from(b ?? []).toString('utf8');
const json = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')])),
  data: Buffer.from(p.data ?? []).toString('base64'),
});

let ref: SessionRef;
let handle: WorkflowHandle;
let raw: Array<{ path: string; payload: Payload }>;

test('with the codec on, the raw history holds only encrypted payloads and none of the session names', async () => {
  await createObject(
    h.kube,
    'BackupConfiguration',
    ns.name,
    backupConfiguration(ns.name, 'enc-backup', {
      task: { name: `enc-${id}` },
      target: { ref: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', name: 'data' } },
      interimVolumeTemplate: {
        metadata: { name: 'interim' },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      },
    }),
  );
  ref = await createBackupSession(h, ns.name, 'enc-backup');
  const result = await h.withWorker(() => runBackupSession(h, ref));
  assert.equal(result.phase, 'Succeeded', JSON.stringify(result));

  // a client with Temporal's default converter: what the server (and its database) holds
  const plainClient = new Client({ connection: h.client.connection, namespace: 'default' });
  handle = plainClient.workflow.getHandle(backupSessionWorkflowId(ref));
  const history = await handle.fetchHistory();
  raw = payloadsOf(history);
  const kinds = new Set(raw.map((r) => r.path.replace(/\[\d+\]/g, '[]')));
  for (const must of [
    'workflowExecutionStartedEventAttributes.input',
    'workflowExecutionCompletedEventAttributes.result',
    'activityTaskScheduledEventAttributes.input',
    'activityTaskCompletedEventAttributes.result',
  ])
    assert.ok(
      [...kinds].some((k) => k.includes(must)),
      `the history has ${must} payloads: ${[...kinds].join(', ')}`,
    );
  assert.ok(raw.length >= 10, `a whole session's payloads (${raw.length})`);
  const secrets = [ns.name, ref.name, ref.uid, `enc-${id}`];
  for (const { path, payload } of raw) {
    assert.equal(utf8(payload.metadata?.encoding), ENCRYPTED_ENCODING, `${path} is encrypted`);
    const bytes = Buffer.from(payload.data ?? []);
    for (const s of secrets) {
      assert.ok(!bytes.includes(s), `${path} holds no '${s}'`);
      assert.ok(!bytes.toString('base64').includes(Buffer.from(s).toString('base64').slice(0, -4)), `${path}: no base64 '${s}'`);
    }
  }
  // the canary: the names really are in the decrypted payloads, so the search above looked at the right thing
  const decoded = await codec.decode(raw.map((r) => r.payload));
  assert.ok(decoded.some((p) => utf8(p.data).includes(ns.name) && utf8(p.data).includes(ref.uid)));
  assert.ok(decoded.every((p) => utf8(p.metadata?.encoding) !== ENCRYPTED_ENCODING));
  const start = raw.find((r) => r.path.includes('workflowExecutionStartedEventAttributes.input'))!;
  assert.deepEqual(defaultPayloadConverter.fromPayload((await codec.decode([start.payload]))[0]!), ref);

  // without the key the result cannot be read; with it (the harness's client) it can
  await assert.rejects(handle.result(), /binary\/encrypted|Unknown encoding/);
  assert.equal((await h.client.workflow.getHandle(backupSessionWorkflowId(ref)).result()).phase, 'Succeeded');
});

test('stashflow codec-server decodes a raw history payload over HTTP for the UI origin, with its bearer token', async () => {
  assert.ok(raw?.length, 'the first test ran');
  const token = randomBytes(16).toString('hex');
  const ui = 'http://127.0.0.1:8233';
  const srv = await startCodecServer({ codec, host: '127.0.0.1', port: 0, origins: [ui], token });
  try {
    const start = raw.find((r) => r.path.includes('workflowExecutionStartedEventAttributes.input'))!;
    const body = JSON.stringify({ payloads: [json(start.payload)] });
    // the browser's preflight from the UI origin is allowed; another origin gets no CORS grant
    const pre = await fetch(`${srv.url}/decode`, {
      method: 'OPTIONS',
      headers: {
        Origin: ui,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type,x-namespace',
      },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), ui);
    assert.match(pre.headers.get('access-control-allow-headers') ?? '', /X-Namespace/i);
    const evil = await fetch(`${srv.url}/decode`, { method: 'OPTIONS', headers: { Origin: 'http://evil.example' } });
    assert.equal(evil.headers.get('access-control-allow-origin'), null);
    // no token, no payloads
    const denied = await fetch(`${srv.url}/decode`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    assert.equal(denied.status, 401);
    const headers = {
      'Content-Type': 'application/json',
      Origin: ui,
      'X-Namespace': 'default',
      Authorization: `Bearer ${token}`,
    };
    const res = await fetch(`${srv.url}/decode`, { method: 'POST', headers, body });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get('access-control-allow-origin'), ui);
    const out = (await res.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> };
    assert.equal(out.payloads.length, 1);
    assert.equal(Buffer.from(out.payloads[0]!.metadata.encoding!, 'base64').toString(), 'json/plain');
    assert.deepEqual(JSON.parse(Buffer.from(out.payloads[0]!.data, 'base64').toString()), ref);
    // /encode gives back an encrypted payload that /decode turns into the same value
    const enc = (await (
      await fetch(`${srv.url}/encode`, { method: 'POST', headers, body: JSON.stringify({ payloads: out.payloads }) })
    ).json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> };
    assert.equal(Buffer.from(enc.payloads[0]!.metadata.encoding!, 'base64').toString(), ENCRYPTED_ENCODING);
    const again = (await (
      await fetch(`${srv.url}/decode`, { method: 'POST', headers, body: JSON.stringify(enc) })
    ).json()) as typeof out;
    assert.deepEqual(again, out);
    // a payload under another key: a clear 422 naming the key id, never key bytes
    const foreign = await new AesGcmPayloadCodec(parseKey(randomBytes(32), 'other')).encode([start.payload]);
    const bad = await fetch(`${srv.url}/decode`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ payloads: foreign.map(json) }),
    });
    assert.equal(bad.status, 422);
    assert.match(await bad.text(), /encrypted with key sha256:[0-9a-f]{12}, which is not loaded/);
  } finally {
    await srv.close();
  }
});
