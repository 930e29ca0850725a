// One-line structured log to stderr (start.sh sends it to $STACK_DIR/logs/node-agent.log).
export function log(msg: string, fields: Record<string, unknown> = {}): void {
  const extra = Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  process.stderr.write(`${new Date().toISOString()} ${msg}${extra ? ' ' + extra : ''}\n`);
}

export function errMsg(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
