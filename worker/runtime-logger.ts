// The Temporal SDK's logs (its own, the native core's, and the Workflow/Activity context loggers) as our pino JSON
// lines instead of its default plain-text stderr, each carrying the session it is about when the workflow id names
// one: {kind, namespace, name, workflowId}. The SDK's `namespace` is the Temporal namespace: kept as
// temporalNamespace so `namespace` always means the Kubernetes one. Activity task tokens are dropped (noise).
import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import type { Logger } from '../lib/log.js';
import { objectOfWorkflowId } from '../lib/worker-metrics.js';

const levels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

export function temporalFields(meta: LogMetadata | undefined): Record<string, unknown> {
  if (!meta) return {};
  const rest: Record<string, unknown> = { ...meta };
  const namespace = rest.namespace;
  delete rest.namespace;
  delete rest.taskToken;
  const workflowId = typeof rest.workflowId === 'string' ? rest.workflowId : undefined;
  return {
    ...rest,
    ...(namespace !== undefined ? { temporalNamespace: namespace } : {}),
    ...objectOfWorkflowId(workflowId),
  };
}

export class PinoTemporalLogger implements TemporalLogger {
  constructor(private readonly pino: Logger) {}

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    this.pino[levels[level] ?? 'info'](temporalFields(meta), message);
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}
