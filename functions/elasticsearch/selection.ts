// Which indices and which per-index files a run covers. Pure logic, mirroring multielasticdump's switches so a
// Stash user's `args` (e.g. `--match=^(?!searchguard).*$ --ignoreType=template`) mean the same here.

/** multielasticdump's per-index file types (`data` is <index>.json, the others <index>.<type>.json). */
export const DUMP_TYPES = ['data', 'mapping', 'analyzer', 'alias', 'settings', 'template', 'index'] as const;
export type DumpType = (typeof DUMP_TYPES)[number];

/**
 * multielasticdump ignores analyzer, alias and index by default; we also write analyzer and alias (they cost two
 * small files and let our restore recreate aliases), but not `index` (a copy of settings+mappings+aliases).
 */
export const DEFAULT_TYPES: readonly DumpType[] = ['data', 'mapping', 'analyzer', 'alias', 'settings', 'template'];

/** --ignoreType removes from the defaults; --includeType replaces them (multielasticdump semantics). */
export function resolveTypes(opts: { ignoreType?: string[]; includeType?: string[] }): Set<DumpType> {
  const check = (t: string): DumpType => {
    const v = t.trim().toLowerCase();
    if (!(DUMP_TYPES as readonly string[]).includes(v)) throw new Error(`unknown dump type '${t}' (${DUMP_TYPES.join(',')})`);
    return v as DumpType;
  };
  if (opts.includeType?.length) return new Set(opts.includeType.map(check));
  const ignored = new Set((opts.ignoreType ?? []).map(check));
  return new Set(DEFAULT_TYPES.filter((t) => !ignored.has(t)));
}

export interface IndexFilter {
  /** glob patterns (`*`, `?`); empty = all */
  include?: string[];
  /** glob patterns removed after include */
  exclude?: string[];
  /** multielasticdump's --match: case-insensitive regex tested on the index name or any of its aliases */
  match?: string;
  /** dot-prefixed and index.hidden indices are skipped unless this is set */
  includeHidden?: boolean;
}

export interface IndexInfo {
  name: string;
  aliases: string[];
  hidden: boolean;
  closed?: boolean;
}

export function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** Splits "a,b , c" lists the way CLI users write them; ignores empties. */
export function splitList(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
}

export function isSystemName(name: string): boolean {
  return name.startsWith('.');
}

export function selectIndices(all: IndexInfo[], f: IndexFilter): IndexInfo[] {
  const inc = splitList(f.include).map(globToRegExp);
  const exc = splitList(f.exclude).map(globToRegExp);
  const match = f.match ? new RegExp(f.match, 'i') : undefined;
  return all
    .filter((i) => f.includeHidden || !(i.hidden || isSystemName(i.name)))
    .filter((i) => inc.length === 0 || inc.some((r) => r.test(i.name)))
    .filter((i) => !exc.some((r) => r.test(i.name)))
    .filter((i) => !match || match.test(i.name) || i.aliases.some((a) => match.test(a)))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Templates are cluster-wide: keep user ones, drop dot-named and ES-managed ones unless hidden ones are wanted. */
export function keepTemplate(name: string, body: { _meta?: { managed?: unknown } } | undefined, includeHidden = false): boolean {
  if (includeHidden) return true;
  return !isSystemName(name) && body?._meta?.managed !== true;
}
