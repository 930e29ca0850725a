// The CRDs: deploy/crds never drifts from api/schemas.ts, every schema is structural, printer columns point at real
// fields, and the metadata agrees with api/types.ts and Stash's names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
// not re-exported by the package index; the typed model's own (de)serializer, as the generated API clients use it
import { ObjectSerializer } from '@kubernetes/client-node/dist/serializer.js';
import { crdDir, driftedFiles, renderCrdFiles, toYaml } from '../../api/crd-yaml.js';
import { allCustomResourceDefinitions, crds, type JSONSchemaProps } from '../../api/schemas.js';
import { resources, type Kind } from '../../api/types.js';
import { fullSamples } from '../helpers/stash-samples.js';

test('committed deploy/crds equal what api/crd-yaml.ts renders now', () => {
  assert.deepEqual(driftedFiles(), [], 'run: npx tsx api/crd-yaml.ts --write');
  const files = renderCrdFiles();
  assert.equal(files.size, 7);
  for (const crd of allCustomResourceDefinitions()) {
    const name = `${crd.spec.group}_${crd.spec.names.plural}.yaml`;
    const committed = readFileSync(join(crdDir(), name), 'utf8');
    // the YAML parses back to exactly the object the schema module builds, and client-node's typed model (what
    // ApiextensionsV1Api sends) keeps every field of it
    const typed = k8s.loadYaml<k8s.V1CustomResourceDefinition>(committed);
    const back: unknown = JSON.parse(JSON.stringify(ObjectSerializer.serialize(typed, 'V1CustomResourceDefinition')));
    assert.deepEqual(back, crd, name);
  }
});

test('the YAML serializer round-trips awkward scalars', () => {
  const value = {
    cron: '*/5 * * * *',
    colon: 'a: b',
    hash: 'x #y',
    yes: 'yes',
    no: 'No',
    num: '1.5',
    octal: '0755',
    empty: '',
    leading: ' x',
    quote: "it's",
    dq: 'say "hi"',
    multi: 'line1\nline2',
    dollar: '${VAR:=x}',
    unicode: 'é✓',
    nested: { list: [1, true, null, 'a', { b: [] }, [], {}], deep: [{ x: 1, y: [{ z: 'q' }] }] },
    'key: odd': 1,
    '-dash': 2,
  };
  assert.deepEqual(k8s.loadYaml(toYaml(value)), value);
});

interface Node {
  path: string;
  schema: JSONSchemaProps;
}

/** Every schema node with its path: properties by name, array items as [], map values as {}. */
function walk(schema: JSONSchemaProps, path = ''): Node[] {
  const out: Node[] = [{ path, schema }];
  for (const [k, v] of Object.entries(schema.properties ?? {})) out.push(...walk(v, `${path}.${k}`));
  if (schema.items) out.push(...walk(schema.items, `${path}[]`));
  if (schema.additionalProperties) out.push(...walk(schema.additionalProperties, `${path}{}`));
  return out;
}

// Where Stash embeds arbitrary core types, and only there, unknown fields are preserved.
const PRESERVE_ALLOWED = new Set([
  'securityContext',
  'affinity',
  'tolerations[]',
  'topologySpreadConstraints[]',
  'resources',
  'livenessProbe',
  'readinessProbe',
  'lifecycle',
  'env[]',
  'envFrom[]',
  'httpGet',
  'httpPost',
  'tcpSocket',
  'local',
  'emptyDir',
  'ownerReferences[]',
  'dataSource',
  'dataSourceRef',
  'status',
  'volumes[]',
  'parameters',
]);

test('every schema is structural (apiextensions.k8s.io/v1 rules)', () => {
  for (const [kind, def] of Object.entries(crds)) {
    for (const { path, schema } of walk(def.schema)) {
      const where = `${kind}${path}`;
      const intOrString = schema['x-kubernetes-int-or-string'] === true;
      const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
      assert.ok(schema.type || intOrString || preserve, `${where}: no type`);
      if (intOrString) {
        assert.equal(schema.type, undefined, `${where}: int-or-string must not set type`);
        for (const alt of schema.anyOf ?? []) assert.deepEqual(Object.keys(alt), ['type'], `${where}: anyOf`);
      } else {
        assert.equal(schema.anyOf, undefined, `${where}: anyOf only for int-or-string`);
        assert.ok(schema.type, `${where}: type required`);
      }
      if (schema.properties || schema.additionalProperties) assert.equal(schema.type, 'object', `${where}`);
      assert.ok(!(schema.properties && schema.additionalProperties), `${where}: properties and additionalProperties`);
      if (schema.type === 'array') assert.ok(schema.items, `${where}: array without items`);
      if (schema.items) assert.equal(schema.type, 'array', `${where}`);
      if (preserve) {
        assert.equal(schema.type, 'object', `${where}: preserve-unknown on a non-object`);
        const last = path.slice(path.lastIndexOf('.') + 1);
        assert.ok(PRESERVE_ALLOWED.has(last), `${where}: preserve-unknown where Stash has no embedded core type`);
      }
      for (const r of schema.required ?? []) assert.ok(schema.properties?.[r], `${where}: required ${r} unknown`);
      if (schema.enum) {
        assert.equal(schema.type, 'string', `${where}: enum`);
        if (schema.default !== undefined) assert.ok(schema.enum.includes(String(schema.default)), `${where}`);
      }
      for (const rule of schema['x-kubernetes-validations'] ?? []) {
        const field = rule.fieldPath?.replace(/^\./, '');
        if (field) assert.ok(schema.properties?.[field], `${where}: rule fieldPath ${rule.fieldPath}`);
      }
    }
    // the root: apiVersion/kind/metadata like every Kubernetes object; preserve-unknown never at spec/status level
    assert.equal(def.schema.type, 'object');
    assert.deepEqual(def.schema.properties?.metadata, { type: 'object' });
    assert.equal(def.schema.properties?.spec?.['x-kubernetes-preserve-unknown-fields'], undefined);
  }
});

function schemaAt(schema: JSONSchemaProps, jsonPath: string): JSONSchemaProps | undefined {
  let node: JSONSchemaProps | undefined = schema;
  for (const part of jsonPath.replace(/^\./, '').split('.')) node = node?.properties?.[part];
  return node;
}

test('every printer column points at a field of the schema, with a matching type', () => {
  for (const [kind, def] of Object.entries(crds)) {
    assert.equal(def.printerColumns.at(-1)?.name, 'Age', `${kind}: Age comes last`);
    for (const col of def.printerColumns) {
      if (col.jsonPath === '.metadata.creationTimestamp') continue;
      const field = schemaAt(def.schema, col.jsonPath);
      assert.ok(field, `${kind} column ${col.name}: ${col.jsonPath} is not in the schema`);
      const expected = col.type === 'date' ? 'string' : col.type;
      assert.equal(field.type, expected, `${kind} column ${col.name}: type`);
      if (col.type === 'date') assert.equal(field.format, 'date-time', `${kind} column ${col.name}: date-time`);
    }
  }
});

test('CRD names agree with api/types.ts and with Stash', () => {
  for (const kind of Object.keys(resources) as Kind[]) {
    const r = resources[kind];
    const def = crds[kind];
    assert.equal(def.kind, kind);
    assert.equal(def.group, r.group);
    assert.equal(def.version, r.version);
    assert.equal(def.plural, r.plural);
    assert.equal(def.scope, r.namespaced ? 'Namespaced' : 'Cluster');
    assert.equal(def.listKind, `${kind}List`);
    assert.equal(def.singular, kind.toLowerCase());
  }
  const table: Record<Kind, [string[], string[], boolean]> = {
    Repository: [['repo'], ['stash', 'appscode'], true],
    BackupConfiguration: [['bc'], ['stash', 'appscode', 'all'], true],
    BackupSession: [[], ['stash', 'appscode', 'all'], true],
    RestoreSession: [['restore'], ['stash', 'appscode', 'all'], true],
    Task: [['task'], ['stash', 'appscode'], false],
    Function: [['fn'], ['stash', 'appscode'], false],
    AppBinding: [[], ['catalog', 'appscode', 'all'], false],
  };
  for (const [kind, [shortNames, categories, status]] of Object.entries(table) as Array<[Kind, [string[], string[], boolean]]>) {
    assert.deepEqual(crds[kind].shortNames, shortNames, kind);
    assert.deepEqual(crds[kind].categories, categories, kind);
    assert.equal(crds[kind].statusSubresource, status, kind);
    assert.equal('status' in (crds[kind].schema.properties ?? {}), status, `${kind}: status schema iff subresource`);
  }
  assert.deepEqual(
    crds.BackupConfiguration.printerColumns.map((c) => [c.name, c.jsonPath]),
    [
      ['Task', '.spec.task.name'],
      ['Schedule', '.spec.schedule'],
      ['Paused', '.spec.paused'],
      ['Phase', '.status.phase'],
      ['Age', '.metadata.creationTimestamp'],
    ],
  );
});

test('required fields and enums follow Stash', () => {
  const spec = (k: Kind) => crds[k].schema.properties!.spec!;
  const bc = spec('BackupConfiguration');
  assert.deepEqual(bc.required, ['target', 'retentionPolicy']);
  assert.match(bc['x-kubernetes-validations']![0]!.rule, /has\(self\.repository\)/);
  assert.deepEqual(bc.properties!.retentionPolicy!.required, ['name', 'prune']);
  assert.deepEqual(bc.properties!.driver!.enum, ['Restic', 'VolumeSnapshotter']);
  assert.equal(bc.properties!.driver!.default, 'Restic');
  assert.deepEqual(bc.properties!.hooks!.properties!.postBackup!.properties!.executionPolicy!.enum, [
    'Always',
    'OnFailure',
    'OnSuccess',
    'OnFinalRetryFailure',
  ]);
  assert.deepEqual(crds.BackupConfiguration.schema.properties!.status!.properties!.phase!.enum, ['Invalid', 'Ready', 'NotReady']);
  assert.deepEqual(spec('Repository').required, ['backend']);
  assert.deepEqual(spec('AppBinding').required, ['clientConfig']);
  assert.deepEqual(spec('BackupSession').properties!.invoker!.required, ['kind', 'name']);
  assert.deepEqual(crds.BackupSession.schema.properties!.status!.properties!.phase!.enum, [
    'Pending',
    'Skipped',
    'Running',
    'Succeeded',
    'Failed',
    'Unknown',
  ]);
  assert.deepEqual(crds.RestoreSession.schema.properties!.status!.properties!.phase!.enum, [
    'Pending',
    'Running',
    'Succeeded',
    'Failed',
    'Unknown',
    'Invalid',
  ]);
});

/** Differences between a value carrying every types.ts field and a schema: missing/extra fields, wrong leaf types. */
function fieldDiff(path: string, sample: unknown, schema: JSONSchemaProps, out: string[]): void {
  if (schema.additionalProperties) return; // a map: any keys
  if (schema['x-kubernetes-int-or-string']) {
    if (typeof sample !== 'string' && typeof sample !== 'number')
      out.push(`${path}: int-or-string, types.ts has ${typeof sample}`);
    return;
  }
  switch (schema.type) {
    case 'array':
      if (!Array.isArray(sample)) out.push(`${path}: array in the schema, not in types.ts`);
      else fieldDiff(`${path}[]`, sample[0], schema.items!, out);
      return;
    case 'object': {
      if (typeof sample !== 'object' || sample === null || Array.isArray(sample)) {
        out.push(`${path}: object in the schema, ${typeof sample} in types.ts`);
        return;
      }
      if (!schema.properties) return; // preserved core type: any content
      const props = schema.properties;
      for (const k of Object.keys(sample)) {
        if (!props[k] && !schema['x-kubernetes-preserve-unknown-fields'])
          out.push(`${path}.${k}: in types.ts, not in the schema`);
      }
      for (const [k, sub] of Object.entries(props)) {
        if (!(k in sample)) out.push(`${path}.${k}: in the schema, not in types.ts`);
        else fieldDiff(`${path}.${k}`, (sample as Record<string, unknown>)[k], sub, out);
      }
      return;
    }
    case 'integer':
    case 'number':
      if (typeof sample !== 'number') out.push(`${path}: ${schema.type} in the schema, ${typeof sample} in types.ts`);
      return;
    case 'string':
    case 'boolean':
      if (typeof sample !== schema.type) out.push(`${path}: ${schema.type} in the schema, ${typeof sample} in types.ts`);
      if (schema.enum && !schema.enum.includes(sample as string)) out.push(`${path}: ${String(sample)} not in the enum`);
      return;
  }
}

test('the schemas have exactly the fields of api/types.ts (spec and status of every kind)', () => {
  const problems: string[] = [];
  for (const [kind, sample] of Object.entries(fullSamples) as Array<[Kind, { spec: object; status?: object }]>) {
    const props = crds[kind].schema.properties!;
    fieldDiff(`${kind}.spec`, sample.spec, props.spec!, problems);
    if (sample.status || props.status) fieldDiff(`${kind}.status`, sample.status, props.status ?? { type: 'object' }, problems);
  }
  assert.deepEqual(problems, []);
});
