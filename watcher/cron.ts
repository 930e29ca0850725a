// Validation of BackupConfiguration.spec.schedule. Stash (and Kubernetes CronJob) parse it with robfig/cron's
// standard parser: five fields (minute hour day-of-month month day-of-week), optional `CRON_TZ=`/`TZ=` prefix, and
// the descriptors @yearly/@annually/@monthly/@weekly/@daily/@midnight/@hourly and `@every <Go duration>`.
// We accept exactly that, and Temporal's cron_string understands all of it, so a valid schedule is passed through
// unchanged. Pure: no I/O.

import { parseGoDuration as goDurationSeconds } from '../lib/stash-format.js';

export type CronCheck = { ok: true; cron: string } | { ok: false; error: string };

interface Field {
  name: string;
  min: number;
  max: number;
  names?: string[];
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const FIELDS: Field[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day of week', min: 0, max: 6, names: DAYS },
];

const DESCRIPTORS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

/** Go's time.ParseDuration for positive values, in nanoseconds; undefined when malformed (one parser: lib/stash-format). */
export function parseGoDuration(s: string): number | undefined {
  if (!s || /^[-+]/.test(s)) return undefined;
  try {
    return Math.round(goDurationSeconds(s) * 1e9);
  } catch {
    return undefined;
  }
}

function value(field: Field, s: string): number | undefined {
  if (/^\d+$/.test(s)) return Number(s);
  const i = field.names?.indexOf(s.toUpperCase()) ?? -1;
  return i >= 0 ? i + field.min : undefined;
}

function checkField(field: Field, text: string): string | undefined {
  if (text === '') return `${field.name} is empty`;
  for (const item of text.split(',')) {
    const [range, step, extra] = item.split('/');
    if (extra !== undefined || range === undefined || range === '')
      return `${field.name}: '${item}' is not a value, range or step`;
    if (step !== undefined && !(/^\d+$/.test(step) && Number(step) > 0))
      return `${field.name}: step '${step}' must be a positive integer`;
    if (range === '*' || range === '?') continue;
    const [a, b, more] = range.split('-');
    if (more !== undefined) return `${field.name}: '${range}' is not a range`;
    const lo = value(field, a ?? '');
    const hi = b === undefined ? lo : value(field, b);
    if (lo === undefined || hi === undefined) return `${field.name}: '${range}' is not a number${field.names ? ' or name' : ''}`;
    if (lo < field.min || hi > field.max) return `${field.name}: '${range}' is outside ${field.min}-${field.max}`;
    if (lo > hi) return `${field.name}: range '${range}' starts after it ends`;
  }
  return undefined;
}

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Checks a Stash schedule; the error names the problem (callers prefix it with the field path). */
export function validateCron(input: string | undefined): CronCheck {
  const cron = (input ?? '').trim().replace(/\s+/g, ' ');
  if (!cron) return { ok: false, error: 'is empty; expected a cron expression such as "*/5 * * * *"' };
  let body = cron;
  const tz = /^(?:CRON_TZ|TZ)=(\S+) (.*)$/.exec(cron);
  if (tz) {
    if (!validTimeZone(tz[1]!)) return { ok: false, error: `"${cron}": unknown time zone '${tz[1]}'` };
    body = tz[2]!;
  } else if (/^(?:CRON_TZ|TZ)=/.test(cron)) {
    return { ok: false, error: `"${cron}": a time zone prefix must be followed by a schedule` };
  }
  if (body.startsWith('@')) {
    const [word, arg, extra] = body.split(' ');
    if (word === '@every') {
      const ns = arg === undefined || extra !== undefined ? undefined : parseGoDuration(arg);
      if (ns === undefined) return { ok: false, error: `"${cron}": @every needs one duration such as 30m or 1h30m` };
      if (ns < 1e9) return { ok: false, error: `"${cron}": @every interval must be at least 1s` };
      return { ok: true, cron };
    }
    if (DESCRIPTORS.has(word!.toLowerCase()) && arg === undefined) return { ok: true, cron };
    return { ok: false, error: `"${cron}": unknown descriptor '${word}'` };
  }
  const parts = body.split(' ');
  if (parts.length !== 5)
    return { ok: false, error: `"${cron}": expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}` };
  for (let i = 0; i < 5; i++) {
    const err = checkField(FIELDS[i]!, parts[i]!);
    if (err) return { ok: false, error: `"${cron}": ${err}` };
  }
  return { ok: true, cron };
}
