// Structured JSON logs (pino). Redaction is a second line of defence: secret values never reach a log call
// by design (workflows carry references, Jobs get secretKeyRefs), but a stray env dump must not leak either.
import { pino, type DestinationStream, type Logger } from 'pino';

export const redactPaths = [
  'password',
  '*.password',
  'RESTIC_PASSWORD',
  '*.RESTIC_PASSWORD',
  'env.*',
  '*.env.*',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
];

/** JSON lines to stdout, or to `destination` (tests capture a component's logs this way). */
export function createLogger(name: string, destination?: DestinationStream): Logger {
  // the component goes in `component`, not pino's `name`: child loggers carry the object's `name`, and one line
  // must not hold two `name` keys (JSON parsers keep the last)
  const options = {
    level: process.env.LOG_LEVEL ?? 'info',
    redact: { paths: redactPaths, censor: '[redacted]' },
    base: { component: name },
  };
  return destination ? pino(options, destination) : pino(options);
}

export type { Logger };
