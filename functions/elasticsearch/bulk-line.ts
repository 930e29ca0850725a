// RESTORE side, the hot loop: turns one dump line into its _bulk pair without JSON.parse + JSON.stringify, by slicing
// the `_source` text out of the line. The load spent most of its CPU re-serialising documents it had just parsed, on
// the same cores Elasticsearch needs for indexing.
// Only lines in the exact shape a dump writes are sliced: ours (dump-format.ts formatDocLine) and elasticdump's (a
// search hit, JSON.stringify'd): no whitespace, plain keys among _index/_type/_id/_score/_routing, string ids, and
// `_source` an object that is the last member. Anything else (escaped keys, other members, `_source` not last,
// control characters, unbalanced text) returns undefined and goes the parse path, which also names bad lines.
// The sliced source is the line's own bytes: for lines JSON.stringify wrote, exactly what parse + stringify gives.
import { bulkPair, parseDocLine } from './dump-format.js';

export interface BulkLine {
  /** action + source, NDJSON, newline-terminated */
  pair: string;
  /** the document id as decoded text ('' when the line has none: Elasticsearch assigns one) */
  id: string;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** End (index after the closing quote) of the JSON string starting at the quote at `start`; -1 if unterminated. */
function stringEnd(line: string, start: number): number {
  // indexOf skips the text natively (strings are most of a document); a quote after an odd run of backslashes is escaped
  for (let q = line.indexOf('"', start + 1); q !== -1; q = line.indexOf('"', q + 1)) {
    let b = q - 1;
    while (line.charCodeAt(b) === BACKSLASH) b--;
    if ((q - 1 - b) % 2 === 0) return q + 1;
  }
  return -1;
}

/** End of a _score-like scalar (number or null) starting at `start`; -1 if it is anything else. */
function scalarEnd(line: string, start: number): number {
  let i = start;
  while (i < line.length) {
    const c = line.charCodeAt(i);
    // digits, '-', '+', '.', 'e', 'E', and the letters of null
    if ((c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45) i++;
    else break;
  }
  if (i === start && line.startsWith('null', start)) return start + 4;
  return i > start ? i : -1;
}

/** True when line[start..end) is one balanced object: braces/brackets outside strings nest and close exactly at end. */
function isBalancedObject(line: string, start: number, end: number): boolean {
  if (line.charCodeAt(start) !== OPEN_BRACE) return false;
  let depth = 0;
  for (let i = start; i < end; i++) {
    const c = line.charCodeAt(i);
    if (c === QUOTE) {
      const e = stringEnd(line, i);
      if (e < 0 || e > end) return false;
      i = e - 1;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
      // closing the outermost object before `end` means more follows it: `_source` is not the last member
      if (depth === 0 && i !== end - 1) return false;
      if (depth < 0) return false;
    }
  }
  return depth === 0;
}

const KEY_BITS: Record<string, number> = Object.assign(Object.create(null) as Record<string, number>, {
  _index: 1,
  _type: 2,
  _id: 4,
  _score: 8,
  _routing: 16,
  _source: 32,
});

/** Raw control characters are never in a line JSON.stringify wrote (not even whitespace, which it does not emit). */
// eslint-disable-next-line no-control-regex -- finding them is the point
const CONTROL = /[\u0000-\u001f]/;

const decodeId = (literal: string): string => (literal.includes('\\') ? (JSON.parse(literal) as string) : literal.slice(1, -1));

/** The fast path alone: the pair for `index`, or undefined when the line is not in a shape it can slice. */
export function sliceBulkLine(line: string, index: string): BulkLine | undefined {
  if (line.charCodeAt(0) !== OPEN_BRACE || line.charCodeAt(line.length - 1) !== CLOSE_BRACE) return undefined;
  if (CONTROL.test(line)) return undefined;
  let id: string | undefined;
  let routing: string | undefined;
  let seen = 0; // one bit per known key: a duplicate goes the parse path
  let i = 1;
  for (;;) {
    if (line.charCodeAt(i) !== QUOTE) return undefined;
    const keyEnd = line.indexOf('"', i + 1);
    if (keyEnd < 0) return undefined;
    const key = line.slice(i + 1, keyEnd); // an escaped key holds a backslash and is no known key below
    const bit = KEY_BITS[key] ?? 0;
    if (bit === 0 || seen & bit) return undefined; // unknown (fields, sort, routing, …) or duplicate: the parse path
    seen |= bit;
    if (line.charCodeAt(keyEnd + 1) !== COLON) return undefined;
    const v = keyEnd + 2;
    if (key === '_source') {
      if (!isBalancedObject(line, v, line.length - 1)) return undefined;
      if (id === undefined || id === '""') return undefined; // no or empty id: the parse path's rules apply
      const action =
        `{"index":{"_index":${JSON.stringify(index)},"_id":${id}` + (routing !== undefined ? `,"routing":${routing}}}` : '}}');
      return { pair: `${action}\n${line.slice(v, line.length - 1)}\n`, id: decodeId(id) };
    }
    let end: number;
    if (key === '_index' || key === '_id' || key === '_routing' || key === '_type') {
      if (line.charCodeAt(v) !== QUOTE) return undefined;
      end = stringEnd(line, v);
      if (end < 0) return undefined;
      if (key === '_id') id = line.slice(v, end);
      else if (key === '_routing') routing = line.slice(v, end);
    } else if (key === '_score') {
      end = scalarEnd(line, v);
      if (end < 0) return undefined;
    } else return undefined;
    if (line.charCodeAt(end) !== COMMA) return undefined;
    i = end + 1;
  }
}

/** The _bulk pair of one dump line: sliced when the line allows it, else parsed (which throws naming a bad line). */
export function bulkLine(line: string, index: string, lineNo: number, file: string): BulkLine {
  const fast = sliceBulkLine(line, index);
  if (fast) return fast;
  const doc = parseDocLine(line, lineNo, file);
  return { pair: bulkPair(index, doc), id: doc._id };
}
