// Argument parsing, pure: Stash's `args` param (multielasticdump flags as one whitespace-split string) and the
// Stash-style function flags our Job passes.
import { splitList, type DumpType } from './selection.js';

export interface EsArgs {
  match?: string;
  ignoreType?: DumpType[];
  includeType?: DumpType[];
  /** multielasticdump --parallel (indices at once) */
  parallel?: number;
  /** multielasticdump --limit (docs per page / per bulk) */
  limit?: number;
  /** flags we accept but do not act on (reported, not fatal: Stash users pass e.g. --concurrency) */
  ignored: string[];
}

/** Parses `--name=value` / `--name value` flags from Stash's args string (split on whitespace, like the addon). */
export function parseEsArgs(text: string | undefined): EsArgs {
  const out: EsArgs = { ignored: [] };
  const toks = (text ?? '').split(/\s+/).filter(Boolean);
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i] as string;
    const m = /^--([^=]+)(?:=(.*))?$/.exec(t);
    if (!m?.[1]) {
      out.ignored.push(t);
      continue;
    }
    const name = m[1];
    let value = m[2];
    if (value === undefined && toks[i + 1] !== undefined && !toks[i + 1]?.startsWith('--')) value = toks[++i];
    const v = value ?? 'true';
    switch (name) {
      case 'match':
        new RegExp(v); // fail early on a bad pattern
        out.match = v;
        break;
      case 'ignoreType':
        out.ignoreType = splitList(v) as DumpType[];
        break;
      case 'includeType':
        out.includeType = splitList(v) as DumpType[];
        break;
      case 'parallel':
        out.parallel = positiveInt(name, v);
        break;
      case 'limit':
        out.limit = positiveInt(name, v);
        break;
      default:
        out.ignored.push(t);
    }
  }
  return out;
}

function positiveInt(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got '${v}'`);
  return n;
}
