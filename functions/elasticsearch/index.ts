// Stashflow's Elasticsearch function: the public surface the CLI and tests use.
export { backupElasticsearch, type BackupElasticsearchOptions, type BackupElasticsearchResult } from './backup.js';
export { restoreElasticsearch, type RestoreElasticsearchOptions, type RestoreElasticsearchResult } from './restore.js';
export { dumpIndices, type DumpOptions, type DumpResult } from './dump.js';
export { loadDump, MARKER_KEY, type LoadOptions, type LoadResult } from './load.js';
export { createClient, type EsConnection } from './connection.js';
export { parseEsArgs } from './args.js';
export { verifyDump, verifyElasticsearch, sweepScratch, type VerifyElasticsearchOptions } from './verify.js';
