// A managed block in /etc/hosts between marker lines, rewritten atomically (temp file + rename in /etc).
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const BEGIN = '# BEGIN stashflow-node-agent services (managed; edits are overwritten)';
export const END = '# END stashflow-node-agent services';

export function withBlock(current: string, lines: string[] | undefined): string {
  const kept: string[] = [];
  let inside = false;
  for (const line of current.split('\n')) {
    if (line === BEGIN) inside = true;
    else if (line === END) inside = false;
    else if (!inside) kept.push(line);
  }
  while (kept.length && kept[kept.length - 1] === '') kept.pop();
  const out = kept.join('\n') + '\n';
  return lines === undefined ? out : `${out}${BEGIN}\n${lines.map((l) => l + '\n').join('')}${END}\n`;
}

export function writeHostsBlock(file: string, lines: string[] | undefined): void {
  let current = '';
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    /* no file yet */
  }
  const next = withBlock(current, lines);
  if (next === current) return;
  const tmp = join(dirname(file), `.${process.pid}.hosts.tmp`);
  writeFileSync(tmp, next, { mode: 0o644 });
  try {
    renameSync(tmp, file);
  } catch {
    // /etc/hosts can be a bind mount (rename then fails with EBUSY): fall back to rewriting it in place.
    writeFileSync(file, next);
  }
}
