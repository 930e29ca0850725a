// Every workflow the worker registers.
export { smokeWorkflow } from './smoke.js';
export { createBackupSession } from './create-backup-session.js';
export { backupSession } from './backup-session.js';
export { restoreSession } from './restore-session.js';
