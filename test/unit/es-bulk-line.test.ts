// The load's fast path: a _bulk pair sliced out of a dump line must be exactly what parse + stringify builds, for
// the lines our dump and elasticdump write; every other shape must be refused (and then take the parse path).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bulkLine, sliceBulkLine } from '../../functions/elasticsearch/bulk-line.js';
import { bulkPair, formatDocLine, parseDocLine } from '../../functions/elasticsearch/dump-format.js';
import { ChecksumAccumulator, docHash } from '../../functions/elasticsearch/manifest-checksum.js';

/** The parse path's pair: the reference the fast path must equal byte for byte. */
const parsed = (line: string, index = 'dst') => bulkPair(index, parseDocLine(line, 1, 'f.json'));

const sources: unknown[] = [
  { a: 1 },
  {},
  { text: 'braces } and { and ] [ in a string', nested: { deep: [{ x: '}' }, [1, [2, { y: '{' }]]] } },
  { quote: 'she said "hi" \\ back\\slash', esc: '\\"', tail: '\\' },
  { unicode: 'Grüße, 東京, emoji 🎉, rtl שלום', ctl: '\n\t\r\u0001', sep: '\u2028\u2029' },
  { lone: '\ud800', n: -1.5e-7, big: 9007199254740991, huge: 1.5e300, t: true, f: false, z: null },
];

test('our dump lines: the sliced pair equals the parsed one, with and without routing, for awkward sources', () => {
  for (const [k, src] of sources.entries()) {
    for (const hit of [
      { _id: `doc-${k}`, _source: src },
      { _id: `ü "quoted" ${k}\\`, _routing: 'r/"1"', _source: src },
    ]) {
      const line = formatDocLine('src-index', hit).trimEnd();
      const fast = sliceBulkLine(line, 'dst');
      assert.ok(fast, `sliced: ${line}`);
      assert.equal(fast.pair, parsed(line), line);
      assert.equal(fast.id, hit._id);
      // what the dump hashed and what the target gets back hash the same
      const back = JSON.parse(fast.pair.split('\n')[1] as string) as unknown;
      assert.equal(docHash(fast.id, hit._routing, JSON.stringify(back)), docHash(hit._id, hit._routing, JSON.stringify(src)));
    }
  }
});

test("elasticdump's lines (search hits with _type/_score) are sliced too", () => {
  for (const line of [
    '{"_index":"logs","_type":"_doc","_id":"1","_score":1,"_source":{"m":"x"}}',
    '{"_index":"logs","_id":"2","_score":null,"_routing":"u7","_source":{"m":{"n":[1,2]}}}',
    '{"_index":"logs","_type":"doc","_id":"3","_score":1.0e+0,"_source":{"m":"}"}}',
  ]) {
    const fast = sliceBulkLine(line, 'dst');
    assert.ok(fast, line);
    assert.equal(fast.pair, parsed(line), line);
  }
  // an id written with escapes is decoded for error reports, and sent as written (same meaning to Elasticsearch)
  const esc = sliceBulkLine('{"_index":"i","_id":"caf\\u00e9 \\"x\\"","_source":{"a":1}}', 'dst');
  assert.equal(esc?.id, 'café "x"');
  assert.deepEqual(JSON.parse(esc?.pair.split('\n')[0] ?? ''), { index: { _index: 'dst', _id: 'café "x"' } });
});

test('lines the fast path must refuse', () => {
  const refused: Record<string, string> = {
    'escaped key': '{"_index":"i","\\u005fid":"1","_source":{"a":1}}',
    'escaped _source key': '{"_index":"i","_id":"1","\\u005fsource":{"a":1}}',
    '_source not last': '{"_index":"i","_id":"1","_source":{"a":1},"sort":[3]}',
    '_source not last, braces in a string': '{"_index":"i","_id":"1","_source":{"a":"}"},"_score":1}',
    'unknown member (fields)': '{"_index":"i","_id":"1","fields":{"_routing":["r"]},"_source":{"a":1}}',
    'routing spelled without underscore': '{"_index":"i","_id":"1","routing":"r","_source":{"a":1}}',
    'duplicate _id': '{"_id":"1","_id":"2","_source":{"a":1}}',
    'no _id': '{"_index":"i","_source":{"a":1}}',
    'empty _id': '{"_index":"i","_id":"","_source":{"a":1}}',
    'numeric _id': '{"_index":"i","_id":7,"_source":{"a":1}}',
    'null routing': '{"_index":"i","_id":"1","_routing":null,"_source":{"a":1}}',
    'whitespace after a colon': '{"_index":"i","_id": "1","_source":{"a":1}}',
    'whitespace at the start': ' {"_index":"i","_id":"1","_source":{"a":1}}',
    'source is an array': '{"_index":"i","_id":"1","_source":[1]}',
    'source is null': '{"_index":"i","_id":"1","_source":null}',
    'unbalanced source': '{"_index":"i","_id":"1","_source":{"a":{"b":1}}',
    'unterminated string in source': '{"_index":"i","_id":"1","_source":{"a":"x}}',
    'raw control character in a string': '{"_index":"i","_id":"1","_source":{"a":"x\ty"}}',
    'raw control character in the id': '{"_index":"i","_id":"1\u0001","_source":{"a":1}}',
    'truncated line': '{"_index":"i","_id":"1","_source":{"a":',
    'a bad _score': '{"_index":"i","_id":"1","_score":"x","_source":{"a":1}}',
  };
  for (const [why, line] of Object.entries(refused)) assert.equal(sliceBulkLine(line, 'dst'), undefined, why);
});

test('refused lines take the parse path: still loaded when valid, and a bad line is named', () => {
  const withFields = '{"_index":"i","_id":"1","fields":{"_routing":"r"},"_source":{"a":1}}';
  assert.deepEqual(bulkLine(withFields, 'dst', 3, 'f.json'), { pair: parsed(withFields), id: '1' });
  assert.match(bulkLine(withFields, 'dst', 3, 'f.json').pair, /"routing":"r"/);
  const notLast = '{"_index":"i","_id":"1","_source":{"a":"}"},"sort":[3]}';
  assert.deepEqual(bulkLine(notLast, 'dst', 3, 'f.json'), { pair: parsed(notLast), id: '1' });
  assert.throws(() => bulkLine('{"_index":"i","_id":"1","_source":{"a":', 'dst', 9, 'f.json'), /^Error: f\.json:9: not JSON/);
});

test('the checksum accumulator carries across 2^32 and equals the bigint sum of the document hashes', () => {
  const acc = new ChecksumAccumulator();
  let sum = 0n;
  for (let i = 0; i < 3000; i++) {
    const src = JSON.stringify({ i, s: 'x'.repeat(i % 97) });
    acc.add(`id-${i}`, i % 3 ? undefined : `r${i}`, src);
    sum = (sum + docHash(`id-${i}`, i % 3 ? undefined : `r${i}`, src)) & 0xffffffffffffffffn;
  }
  assert.equal(acc.count, 3000);
  assert.equal(acc.hex, sum.toString(16).padStart(16, '0'));
});
