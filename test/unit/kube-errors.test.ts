// lib/kube.ts error helpers on client-node's own ApiException: a 404 is "not there" (undefined), every other
// failure is thrown, so a GET that failed for another reason is never mistaken for a missing object.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { isAlreadyExists, isNotFound, statusCode, undefinedIfNotFound } from '../../lib/kube.js';

const apiError = (code: number) => new k8s.ApiException(code, `HTTP ${code}`, { reason: 'x' }, {});

test('statusCode reads client-node ApiException codes; plain errors have none', () => {
  assert.equal(statusCode(apiError(404)), 404);
  assert.equal(statusCode(apiError(409)), 409);
  assert.equal(statusCode(new Error('socket hang up')), undefined);
  assert.equal(statusCode(undefined), undefined);
  assert.ok(isNotFound(apiError(404)) && !isNotFound(apiError(403)));
  assert.ok(isAlreadyExists(apiError(409)) && !isAlreadyExists(apiError(404)));
});

test('undefinedIfNotFound: the value, undefined on 404, the error otherwise', async () => {
  assert.deepEqual(await undefinedIfNotFound(Promise.resolve({ metadata: { name: 'a' } })), { metadata: { name: 'a' } });
  assert.equal(await undefinedIfNotFound(Promise.reject(apiError(404))), undefined);
  for (const err of [apiError(403), apiError(500), apiError(409), new Error('connect ECONNREFUSED 127.0.0.1:6443')])
    await assert.rejects(undefinedIfNotFound(Promise.reject(err)), (e) => e === err);
});
