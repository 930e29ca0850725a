// Per-container log files in the CRI format the kubelet keeps ("<RFC3339Nano> stdout|stderr F|P <text>"),
// one file per container run: <podDir>/logs/<container>/<restartCount>.log. Read back for the kubelet API.
import { closeSync, createWriteStream, existsSync, mkdirSync, openSync, readSync, statSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

const MAX_LINE = 16 * 1024;

export function logPath(podDir: string, container: string, restart: number): string {
  return join(podDir, 'logs', container, `${restart}.log`);
}

export class LogWriter {
  private readonly out: WriteStream;
  private pending = 0;
  private closed = false;
  /** Resolves when every attached stream ended and the file has been written out. */
  readonly done: Promise<void>;

  constructor(readonly file: string) {
    mkdirSync(join(file, '..'), { recursive: true });
    this.out = createWriteStream(file, { flags: 'a' });
    this.done = new Promise((resolve) => {
      this.out.on('finish', resolve);
      this.out.on('error', () => resolve());
    });
  }

  /** Split a stream into lines, each written with its arrival time. */
  attach(stream: Readable, name: 'stdout' | 'stderr'): void {
    this.pending++;
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        this.line(name, 'F', buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
      while (buf.length > MAX_LINE) {
        this.line(name, 'P', buf.slice(0, MAX_LINE));
        buf = buf.slice(MAX_LINE);
      }
    });
    const end = (): void => {
      if (buf.length) this.line(name, 'F', buf);
      buf = '';
      if (--this.pending === 0) this.close();
    };
    stream.on('end', end);
    stream.on('error', end);
  }

  private line(stream: string, tag: 'F' | 'P', text: string): void {
    if (!this.closed) this.out.write(`${nanoTime()} ${stream} ${tag} ${text}\n`);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.out.end();
  }
}

let lastMs = 0;
let seq = 0;
/** RFC 3339 with nanoseconds, strictly increasing within this process. */
export function nanoTime(): string {
  const ms = Date.now();
  seq = ms === lastMs ? seq + 1 : 0;
  lastMs = ms;
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 23)}${String(seq).padStart(6, '0')}Z`;
}

export interface LogRecord {
  time: string;
  stream: string;
  partial: boolean;
  text: string;
}

export function parseLine(line: string): LogRecord | undefined {
  const a = line.indexOf(' ');
  const b = line.indexOf(' ', a + 1);
  const c = line.indexOf(' ', b + 1);
  if (a < 0 || b < 0 || c < 0) return undefined;
  return { time: line.slice(0, a), stream: line.slice(a + 1, b), partial: line.slice(b + 1, c) === 'P', text: line.slice(c + 1) };
}

export interface LogQuery {
  tailLines?: number | undefined;
  timestamps?: boolean | undefined;
  sinceTime?: Date | undefined;
  limitBytes?: number | undefined;
}

export function formatRecord(r: LogRecord, timestamps: boolean | undefined): string {
  return (timestamps ? `${r.time} ` : '') + r.text + (r.partial ? '' : '\n');
}

/** Records of a file from `offset`, and the offset after the last complete line. */
export function readRecords(file: string, offset: number): { records: LogRecord[]; next: number } {
  if (!existsSync(file)) return { records: [], next: offset };
  const size = statSync(file).size;
  if (size <= offset) return { records: [], next: offset };
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(size - offset);
    readSync(fd, buf, 0, buf.length, offset);
    const lastNl = buf.lastIndexOf(0x0a);
    if (lastNl < 0) return { records: [], next: offset };
    const text = buf.subarray(0, lastNl).toString('utf8');
    const records = text.split('\n').map(parseLine).filter((r): r is LogRecord => !!r);
    return { records, next: offset + lastNl + 1 };
  } finally {
    closeSync(fd);
  }
}

/** The last `n` lines of a container's output (for FallbackToLogsOnError), capped at maxBytes from the end. */
export function tailText(file: string, lines: number, maxBytes: number): string {
  const { records } = readRecords(file, 0);
  const text = records.slice(-lines).map((r) => formatRecord(r, false)).join('');
  const buf = Buffer.from(text, 'utf8');
  return buf.length > maxBytes ? buf.subarray(buf.length - maxBytes).toString('utf8') : text;
}
