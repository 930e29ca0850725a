// Stash's text formats for sizes and durations, both ways. Stash stores restic's numbers as strings in
// BackupSession status / output.json ("1.234 MiB", processing time "0:02") and durations as Go's
// time.Duration.String() ("1m2.5s"); its metrics turn those strings back into numbers.

const KiB = 1024;
const UNITS: Record<string, number> = { B: 1, KiB, MiB: KiB ** 2, GiB: KiB ** 3, TiB: KiB ** 4 };

/** Bytes as Stash (and restic) print them: "512 B", "1.500 KiB", "1.234 MiB" (1024-based, 3 decimals; a unit is
 * used only when the value is strictly above it, so 1024 is "1024 B"). */
export function formatBytes(bytes: number): string {
  const n = Math.max(0, Math.floor(bytes));
  for (const unit of ['TiB', 'GiB', 'MiB', 'KiB'] as const) {
    const base = UNITS[unit] as number;
    if (n > base) return `${(n / base).toFixed(3)} ${unit}`;
  }
  return `${n} B`;
}

/** Parses Stash's size strings back to bytes: "1.234 MiB" → 1293942.784, "12 B" / "12B" / "12" → 12. */
export function parseSize(text: string): number {
  const m = /^\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:e[+-]?[0-9]+)?\s*(B|KiB|MiB|GiB|TiB)?\s*$/i.exec(text);
  if (!m?.[1]) throw new Error(`invalid size '${text}': expected a number with B, KiB, MiB, GiB or TiB`);
  const unitKey = Object.keys(UNITS).find((u) => u.toLowerCase() === (m[2] ?? 'B').toLowerCase()) ?? 'B';
  return parseFloat(text.trim()) * (UNITS[unitKey] as number);
}

/** restic's / Stash's processing time: "m:ss", or "h:mm:ss" from one hour on. */
export function formatSeconds(seconds: number): string {
  let s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const pad = (v: number) => String(v).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

/** Parses "h:mm:ss", "m:ss" or "s" (Stash's processingTime) to whole seconds. */
export function parseClockSeconds(text: string): number {
  const parts = text.trim().split(':');
  if (parts.length > 3 || parts.some((p) => !/^[0-9]+$/.test(p))) {
    throw new Error(`invalid processing time '${text}': expected h:mm:ss, m:ss or seconds`);
  }
  return parts.reduce((acc, p) => acc * 60 + Number(p), 0);
}

const GO_UNITS: Record<string, number> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  μs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
};

/** Parses a Go duration ("1h2m3.5s", "850ms", "-1.5h", "0") to seconds, as time.ParseDuration does. */
export function parseGoDuration(text: string): number {
  const t = text.trim();
  const sign = t.startsWith('-') ? -1 : 1;
  const body = t.replace(/^[-+]/, '');
  if (body === '0') return 0;
  const re = /([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(body))) {
    total += Number(m[1]) * (GO_UNITS[m[2] as string] as number);
    pos = re.lastIndex;
  }
  if (!body || pos !== body.length) throw new Error(`invalid duration '${text}': expected a Go duration like 1m2.5s`);
  return sign * total;
}

/** Seconds as Go's time.Duration.String(): "0s", "850ms", "1.5s", "1m2.5s", "2h0m0s" (nanosecond precision). */
export function formatGoDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) throw new Error(`invalid duration ${seconds}`);
  let ns = Math.round(Math.abs(seconds) * 1e9);
  const sign = seconds < 0 && ns > 0 ? '-' : '';
  if (ns === 0) return '0s';
  const frac = (v: number, digits: number): string => {
    const int = Math.floor(v / 10 ** digits);
    const rest = (v % 10 ** digits).toString().padStart(digits, '0').replace(/0+$/, '');
    return rest ? `${int}.${rest}` : `${int}`;
  };
  if (ns < 1e3) return `${sign}${ns}ns`;
  if (ns < 1e6) return `${sign}${frac(ns, 3)}µs`;
  if (ns < 1e9) return `${sign}${frac(ns, 6)}ms`;
  const h = Math.floor(ns / 3600e9);
  ns -= h * 3600e9;
  const m = Math.floor(ns / 60e9);
  ns -= m * 60e9;
  const s = `${frac(ns, 9)}s`;
  if (h > 0) return `${sign}${h}h${m}m${s}`;
  if (m > 0) return `${sign}${m}m${s}`;
  return `${sign}${s}`;
}

/** Seconds from either form Stash uses: a Go duration ("1m2.5s") or a clock ("1:02", "0:01:02", "62"). */
export function parseDurationSeconds(text: string): number {
  return /^\s*[0-9:]+\s*$/.test(text) ? parseClockSeconds(text) : parseGoDuration(text);
}
