// Kubernetes Events (core/v1) for our objects, as `kubectl describe` shows them. Idempotent under activity retries:
// the Event's name derives from (involved uid, reason, key), so a retried record finds its Event and bumps count and
// lastTimestamp instead of adding a duplicate. Messages are capped at 1 KiB and scrubbed of obvious secrets
// (callers must never pass secrets; this is a second line of defence).
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type * as k8s from '@kubernetes/client-node';
import { isAlreadyExists, isNotFound, statusCode, type KubeClients } from '../lib/kube.js';

export interface InvolvedObject {
  apiVersion: string;
  kind: string;
  name: string;
  /** empty for cluster-scoped objects (their Events go to `default`, as kubectl looks for them there) */
  namespace?: string;
  /** the object's uid (kubectl describe matches on it); empty → the Event is keyed by kind/namespace/name */
  uid: string;
}

export type EventType = 'Normal' | 'Warning';

export interface RecordedEvent {
  name: string;
  namespace: string;
  count: number;
  /** true when this call created the Event, false when it bumped an existing one */
  created: boolean;
}

export interface EventRecorder {
  /**
   * Records an Event. `key` separates Events of the same object and reason (e.g. a session attempt or step);
   * without it the message is the key, so the same message again bumps the same Event.
   */
  record(involved: InvolvedObject, type: EventType, reason: string, message: string, key?: string): Promise<RecordedEvent>;
}

export const EVENT_MESSAGE_LIMIT = 1024;

const SECRET_KEY = String.raw`[\w.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?)[\w.-]*`;
const KEY_VALUE = new RegExp(String.raw`(\b${SECRET_KEY}["']?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s,;&"'}\]]+)`, 'gi');
const AUTH_HEADER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}/g;
const URL_USERINFO = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s/@]+@/gi;

/** Replaces values of obvious secrets (password=, token:, "secret": "…", Bearer …, URL user:pass@) with ***. */
export function redactSecrets(text: string): string {
  return text
    .replace(KEY_VALUE, (_m, prefix: string, value: string) => {
      const q = value[0] === '"' || value[0] === "'" ? value[0] : '';
      return `${prefix}${q}***${q}`;
    })
    .replace(AUTH_HEADER, '$1 ***')
    .replace(URL_USERINFO, '$1***@');
}

/** Cuts text to at most `limit` UTF-8 bytes (on a character boundary), marking the cut with "...". */
export function truncateMessage(text: string, limit = EVENT_MESSAGE_LIMIT): string {
  if (Buffer.byteLength(text) <= limit) return text;
  let cut = '';
  let bytes = 0;
  for (const ch of text) {
    const b = Buffer.byteLength(ch);
    if (bytes + b > limit - 3) break;
    cut += ch;
    bytes += b;
  }
  return cut + '...';
}

/** Deterministic Event name: `<involved name>.<16 hex of sha256(uid, reason, key)>`, at most 253 characters. */
export function eventName(involved: Pick<InvolvedObject, 'name' | 'uid'>, reason: string, key: string): string {
  const hash = createHash('sha256').update(`${involved.uid}\x00${reason}\x00${key}`).digest('hex').slice(0, 16);
  const base = involved.name
    .toLowerCase()
    .slice(0, 253 - 17)
    .replace(/[^a-z0-9.-]/g, '-')
    .replace(/[.-]+$/, '');
  return `${base || 'event'}.${hash}`;
}

export function createEventRecorder(kube: KubeClients, component: string): EventRecorder {
  const host = hostname();

  async function record(
    involved: InvolvedObject,
    type: EventType,
    reason: string,
    message: string,
    key?: string,
  ): Promise<RecordedEvent> {
    if (!reason) throw new Error(`event for ${involved.kind} ${involved.name}: reason is empty`);
    const text = truncateMessage(redactSecrets(message));
    const namespace = involved.namespace || 'default';
    // without a uid (an object not read from the API) the Event is keyed by kind/namespace/name instead
    const identity = involved.uid || `${involved.kind}/${involved.namespace ?? ''}/${involved.name}`;
    const name = eventName({ name: involved.name, uid: identity }, reason, key ?? text);
    const now = new Date();

    for (let attempt = 0; attempt < 5; attempt++) {
      const body: k8s.CoreV1Event = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': 'stashflow' } },
        involvedObject: {
          apiVersion: involved.apiVersion,
          kind: involved.kind,
          name: involved.name,
          namespace: involved.namespace || undefined,
          uid: involved.uid || undefined,
        },
        type,
        reason,
        message: text,
        source: { component, host },
        reportingComponent: component,
        reportingInstance: host,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      };
      try {
        await kube.core.createNamespacedEvent({ namespace, body });
        return { name, namespace, count: 1, created: true };
      } catch (err) {
        if (!isAlreadyExists(err)) throw eventError(err, 'create', namespace, name);
      }
      // It exists (a retry, or the same key again): bump it, guarded by resourceVersion.
      let existing: k8s.CoreV1Event;
      try {
        existing = await kube.core.readNamespacedEvent({ namespace, name });
      } catch (err) {
        if (isNotFound(err)) continue; // expired/deleted between create and read: create again
        throw eventError(err, 'read', namespace, name);
      }
      const count = (existing.count ?? 1) + 1;
      const updated: k8s.CoreV1Event = {
        ...existing,
        type,
        message: text,
        count,
        lastTimestamp: now,
        firstTimestamp: existing.firstTimestamp ?? now,
      };
      try {
        await kube.core.replaceNamespacedEvent({ namespace, name, body: updated });
        return { name, namespace, count, created: false };
      } catch (err) {
        if (statusCode(err) === 409 || isNotFound(err)) continue; // a concurrent bump, or gone: try again
        throw eventError(err, 'update', namespace, name);
      }
    }
    throw new Error(`event ${namespace}/${name}: gave up after 5 conflicting updates`);
  }

  return { record };
}

function eventError(err: unknown, op: string, namespace: string, name: string): Error {
  const code = statusCode(err);
  const body = (err as { body?: unknown })?.body;
  let detail = err instanceof Error ? err.message : String(err);
  if (typeof body === 'string') {
    try {
      detail = (JSON.parse(body) as { message?: string }).message ?? detail;
    } catch {
      // not JSON: keep the error message
    }
  }
  // keeps the HTTP status, so callers can tell a gone namespace (404) from a failure worth retrying
  return Object.assign(
    new Error(`${op} of Event ${namespace}/${name} failed${code ? ` (HTTP ${code})` : ''}: ${redactSecrets(detail)}`),
    {
      statusCode: code,
    },
  );
}
