// History ⇄ the proto3 JSON form Temporal's tools write (`temporal workflow show --output json`, the UI's download).
// The SDK has these as historyToJSON/historyFromJSON in @temporalio/common/lib/proto-utils, but in this install they
// throw "TypeError: type must be a Type": npm placed two copies of protobufjs 8.8.1 (one under @temporalio/common,
// one under @temporalio/proto), and common's protojson rejects the message type reflected by proto's copy
// (an instanceof check). So this does the same conversion with the protobufjs copy @temporalio/proto itself uses.
import { createRequire } from 'node:module';
import type * as protoTypes from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root.js';

export type History = protoTypes.temporal.api.history.v1.IHistory;

interface ProtoJson {
  toJson(type: unknown, message: unknown, options?: object): unknown;
  fromJson(type: unknown, json: unknown, options?: object): unknown;
}

const require = createRequire(import.meta.url);
// the CommonJS root itself (an ESM namespace import is not a protobufjs Namespace, which patchProtobufRoot needs)
const proto = require('@temporalio/proto') as typeof protoTypes;
const protojson = createRequire(require.resolve('@temporalio/proto'))('protobufjs/ext/protojson') as ProtoJson;
const historyType = (patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown }).lookupType(
  'temporal.api.history.v1.History',
);

/** A history (as fetchHistory() returns it) as proto3 JSON text. */
export function historyToJSON(history: History): string {
  return JSON.stringify(protojson.toJson(historyType, proto.temporal.api.history.v1.History.fromObject(history)), null, 2);
}

/** proto3 JSON (parsed) back to a history that Worker.runReplayHistories accepts. */
export function historyFromJSON(json: unknown): History {
  const history = protojson.fromJson(historyType, json, { ignoreUnknownFields: true }) as History | null;
  if (!history?.events?.length) throw new TypeError('not a history: no events');
  return history;
}
