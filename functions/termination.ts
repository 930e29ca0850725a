// How a function in a Job reports its result: a small JSON in the container's termination message, which
// the awaiting activity reads from the Pod status. Kubernetes caps it at 4096 bytes.
import { writeFileSync } from 'node:fs';

export const TERMINATION_LIMIT = 4096;

export function writeTerminationMessage(
  result: unknown,
  path = process.env.TERMINATION_MESSAGE_PATH ?? '/dev/termination-log',
): void {
  let text = JSON.stringify(result);
  if (Buffer.byteLength(text) > TERMINATION_LIMIT) text = JSON.stringify({ truncated: true, error: 'result over 4 KiB' });
  writeFileSync(path, text);
}
