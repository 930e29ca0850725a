// Every workflow the worker registers.
export { smokeWorkflow } from './smoke.js';
export { createBackupSession } from './create-backup-session.js';
