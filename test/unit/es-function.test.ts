// Pure logic of the Elasticsearch function and the restic wrapper: index/type selection, dump framing,
// settings filtering, argument parsing, secret scrubbing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEsArgs } from '../../functions/elasticsearch/args.js';
import { parseAuthFile } from '../../functions/elasticsearch/connection.js';
import {
  blockSettings,
  bulkPair,
  copyableSettings,
  dumpFileName,
  formatDocLine,
  parseDocLine,
  parseDumpFileName,
  stripForDump,
} from '../../functions/elasticsearch/dump-format.js';
import { normalizeMappings } from '../../functions/elasticsearch/load.js';
import { keepTemplate, resolveTypes, selectIndices, type IndexInfo } from '../../functions/elasticsearch/selection.js';
import { formatBytes, formatDuration } from '../../functions/elasticsearch/stash-output.js';
import { forgetArgs, hasRetention, resticEnv, scrubSecrets } from '../../lib/restic.js';

const idx = (name: string, aliases: string[] = [], hidden = false): IndexInfo => ({ name, aliases, hidden });
const all = [
  idx('logs-1'),
  idx('logs-2', ['current']),
  idx('metrics'),
  idx('searchguard'),
  idx('.kibana'),
  idx('secret', [], true),
];

test('selection: hidden/system indices need includeHidden; include/exclude globs; sorted', () => {
  assert.deepEqual(
    selectIndices(all, {}).map((i) => i.name),
    ['logs-1', 'logs-2', 'metrics', 'searchguard'],
  );
  assert.deepEqual(
    selectIndices(all, { includeHidden: true }).map((i) => i.name),
    ['.kibana', 'logs-1', 'logs-2', 'metrics', 'searchguard', 'secret'],
  );
  assert.deepEqual(
    selectIndices(all, { include: ['logs-*', 'metr?cs'] }).map((i) => i.name),
    ['logs-1', 'logs-2', 'metrics'],
  );
  assert.deepEqual(
    selectIndices(all, { include: ['logs-*'], exclude: ['*-2'] }).map((i) => i.name),
    ['logs-1'],
  );
  assert.deepEqual(
    selectIndices(all, { include: ['logs-*,metrics'] }).map((i) => i.name),
    ['logs-1', 'logs-2', 'metrics'],
  );
  assert.deepEqual(
    selectIndices([idx('a.b'), idx('axb')], { include: ['a.b'] }).map((i) => i.name),
    ['a.b'],
    'dot is literal',
  );
});

test('selection: --match is a case-insensitive regex on the index name or any alias (multielasticdump)', () => {
  assert.deepEqual(
    selectIndices(all, { match: '^(?!searchguard)([a-zA-Z0-9_-]+)$' }).map((i) => i.name),
    ['logs-1', 'logs-2', 'metrics'],
  );
  assert.deepEqual(
    selectIndices(all, { match: '^CURRENT$' }).map((i) => i.name),
    ['logs-2'],
  );
});

test('types: multielasticdump --ignoreType / --includeType semantics', () => {
  assert.deepEqual([...resolveTypes({})].sort(), ['alias', 'analyzer', 'data', 'mapping', 'settings', 'template']);
  assert.deepEqual([...resolveTypes({ ignoreType: ['template', 'settings'] })].sort(), ['alias', 'analyzer', 'data', 'mapping']);
  assert.deepEqual([...resolveTypes({ includeType: ['data', 'mapping'], ignoreType: ['data'] })].sort(), ['data', 'mapping']);
  assert.throws(() => resolveTypes({ ignoreType: ['bogus'] }), /unknown dump type 'bogus'/);
  assert.equal(keepTemplate('.monitoring', {}), false);
  assert.equal(keepTemplate('logs', { _meta: { managed: true } }), false);
  assert.equal(keepTemplate('logs', {}), true);
});

test('file names: elasticdump layout both ways; non-dump files ignored; unsupported variants rejected', () => {
  assert.equal(dumpFileName('my-idx', 'data'), 'my-idx.json');
  assert.equal(dumpFileName('my-idx', 'mapping'), 'my-idx.mapping.json');
  assert.deepEqual(parseDumpFileName('a.b.settings.json'), { index: 'a.b', type: 'settings' });
  assert.deepEqual(parseDumpFileName('a.b.json'), { index: 'a.b', type: 'data' });
  assert.deepEqual(parseDumpFileName('x.template.json'), { index: 'x', type: 'template' });
  assert.equal(parseDumpFileName('meta.txt'), undefined);
  assert.throws(() => parseDumpFileName('x.json.gz'), /fsCompress/);
  assert.throws(() => parseDumpFileName('x.split-0.json'), /fileSize/);
});

test('NDJSON framing: one hit per line, unicode and newlines escaped, routing kept; bulk pairs', () => {
  const line = formatDocLine('i', { _id: 'ü/1', _routing: 'r', _source: { t: 'a\nb', e: '🎉' } });
  assert.equal(line.split('\n').length, 2, 'exactly one newline, at the end');
  assert.deepEqual(Object.keys(JSON.parse(line)), ['_index', '_id', '_routing', '_source']);
  const d = parseDocLine(line.trimEnd(), 1, 'f');
  assert.deepEqual(d, { _index: 'i', _id: 'ü/1', _routing: 'r', _source: { t: 'a\nb', e: '🎉' } });
  // a real elasticdump line (search hit with _score, routing in fields or _routing)
  const ed = parseDocLine(
    '{"_index":"old","_type":"_doc","_id":"7","_score":1,"_source":{"a":1},"fields":{"_routing":"x"}}',
    3,
    'f',
  );
  assert.equal(ed._routing, 'x');
  assert.equal(bulkPair('new', ed), '{"index":{"_index":"new","_id":"7","routing":"x"}}\n{"a":1}\n');
  assert.throws(() => parseDocLine('{"_id":1}', 9, 'dump.json'), /dump\.json:9: no _source/);
  assert.throws(() => parseDocLine('{oops', 2, 'dump.json'), /dump\.json:2: not JSON/);
});

test('settings: identity, allocation and blocks are not copied; blocks come back after loading', () => {
  const src = {
    index: {
      uuid: 'u',
      creation_date: '1',
      provided_name: 'p',
      version: { created: '9' },
      routing: { allocation: { include: { _tier_preference: 'data_content' } } },
      number_of_shards: '3',
      number_of_replicas: '1',
      refresh_interval: '7s',
      analysis: { analyzer: { a: { type: 'standard' } } },
      blocks: { write: 'true' },
      resize: { source: { name: 'x' } },
    },
  };
  assert.deepEqual(copyableSettings(src), {
    number_of_shards: '3',
    number_of_replicas: '1',
    refresh_interval: '7s',
    'analysis.analyzer.a.type': 'standard',
  });
  assert.deepEqual(copyableSettings({ 'index.number_of_shards': '2', 'index.uuid': 'x' }), { number_of_shards: '2' });
  assert.deepEqual(blockSettings(src.index), { 'blocks.write': 'true' });
  const dumped = stripForDump(src) as { index: Record<string, unknown> };
  assert.equal(dumped.index.uuid, undefined);
  assert.equal(dumped.index.number_of_shards, '3');
  assert.deepEqual(normalizeMappings({ doc: { properties: { a: {} } } }), { properties: { a: {} } });
  assert.deepEqual(normalizeMappings({ dynamic: 'strict', properties: {} }), { dynamic: 'strict', properties: {} });
});

test('args: Stash args string parsed like the addon (split on whitespace)', () => {
  const a = parseEsArgs('--match=^(?!searchguard)([a-zA-Z0-9_-]+)$ --ignoreType=template,settings --parallel 3 --concurrency=2');
  assert.equal(a.match, '^(?!searchguard)([a-zA-Z0-9_-]+)$');
  assert.deepEqual(a.ignoreType, ['template', 'settings']);
  assert.equal(a.parallel, 3);
  assert.deepEqual(a.ignored, ['--concurrency=2']);
  assert.deepEqual(parseEsArgs(''), { ignored: [] });
  assert.throws(() => parseEsArgs('--limit=0'), /positive integer/);
  assert.throws(() => parseEsArgs('--match=(('), /Invalid regular expression/);
});

test('auth file: Stash writes user=<u> and password=<Go %q>', () => {
  assert.deepEqual(parseAuthFile('user=elastic\npassword="p\\"w\\\\d=1"\n'), { username: 'elastic', password: 'p"w\\d=1' });
  assert.throws(() => parseAuthFile('user=x\n'), /expected user= and password=/);
});

test('restic: secrets travel in env only and are scrubbed from messages', () => {
  const repo = { repository: 'rest:http://bob:s3cr%21t@host:8000/r', password: 'hunter22', awsSecretAccessKey: 'AKIASECRET' };
  const env = resticEnv(repo, { RESTIC_PASSWORD_FILE: '/x', PATH: '/bin' });
  assert.equal(env.RESTIC_PASSWORD, 'hunter22');
  assert.equal(env.RESTIC_PASSWORD_FILE, undefined);
  assert.equal(env.AWS_SECRET_ACCESS_KEY, 'AKIASECRET');
  const msg = scrubSecrets('pw hunter22 key AKIASECRET url rest:http://bob:s3cr%21t@host s3cr!t', repo);
  for (const s of ['hunter22', 'AKIASECRET', 's3cr%21t', 's3cr!t']) assert.ok(!msg.includes(s), `${s} scrubbed from: ${msg}`);
  assert.deepEqual(forgetArgs({ keepLast: 3, keepDaily: 0, keepTags: ['a'], prune: true, dryRun: true, host: 'host-0' }), [
    'forget',
    '--json',
    '--keep-last',
    '3',
    '--keep-tag',
    'a',
    '--host',
    'host-0',
    '--prune',
    '--dry-run',
  ]);
  assert.equal(hasRetention({ keepLast: 0, prune: true }), false);
});

test('Stash output formats: restic-like sizes, Go-like durations', () => {
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1536), '1.500 KiB');
  assert.equal(formatDuration(850), '850ms');
  assert.equal(formatDuration(62_500), '1m2.5s');
});
