// The Elasticsearch catalog: a Function and a Task for each line Stash's catalog had, with Stash's names and
// params, running our function. A BackupConfiguration or RestoreSession copied from Stash's docs selects ours
// unchanged. `npx tsx api/catalog.ts --write` renders deploy/catalog/elasticsearch.yaml (test/unit checks drift).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot, toYaml } from './crd-yaml.js';
import type { StashFunction, Task } from './types.js';

/** Stash's Elasticsearch addon lines (stashed/installer catalog). */
export const elasticsearchVersions = [
  '5.6.4',
  '6.2.4',
  '6.3.0',
  '6.4.0',
  '6.5.3',
  '6.8.0',
  '7.2.0',
  '7.3.2',
  '7.14.0',
  '8.2.0',
] as const;

export const STASHFLOW_IMAGE = 'stashflow/stashflow:latest';

// Flags Stash's Functions pass that describe the repository: our function takes the repository from env
// (RESTIC_REPOSITORY + secretKeyRefs), but keeps accepting these so Stash's Functions work with our image.
const repositoryFlags = [
  '--provider=${REPOSITORY_PROVIDER:=}',
  '--bucket=${REPOSITORY_BUCKET:=}',
  '--endpoint=${REPOSITORY_ENDPOINT:=}',
  '--region=${REPOSITORY_REGION:=}',
  '--path=${REPOSITORY_PREFIX:=}',
  '--storage-secret-name=${REPOSITORY_SECRET_NAME:=}',
  '--storage-secret-namespace=${REPOSITORY_SECRET_NAMESPACE:=}',
];

function fn(name: string, args: string[]): StashFunction {
  return {
    apiVersion: 'stash.appscode.com/v1beta1',
    kind: 'Function',
    metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'stashflow' } },
    spec: { image: STASHFLOW_IMAGE, args, volumeMounts: [{ name: '${outputVolume}', mountPath: '${outputDir}' }] },
  };
}

function task(name: string): Task {
  const params = [
    { name: 'outputDir', value: '/stash-tmp/output' },
    { name: 'outputVolume', value: 'output-volume' },
  ];
  return {
    apiVersion: 'stash.appscode.com/v1beta1',
    kind: 'Task',
    metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'stashflow' } },
    // update-status is kept for Stash compatibility; Stashflow's workflow records status itself
    spec: {
      steps: [
        { name, params },
        { name: 'update-status', params },
      ],
      volumes: [{ name: 'output-volume', emptyDir: {} }],
    },
  };
}

export function elasticsearchCatalog(): Array<StashFunction | Task> {
  const out: Array<StashFunction | Task> = [];
  for (const v of elasticsearchVersions) {
    const backup = `elasticsearch-backup-${v}`;
    const restore = `elasticsearch-restore-${v}`;
    out.push(
      fn(backup, [
        'function',
        'elasticsearch',
        'backup-es',
        ...repositoryFlags,
        '--hostname=${HOSTNAME:=}',
        '--interim-data-dir=${INTERIM_DATA_DIR:=/stash-tmp/data}',
        '--namespace=${NAMESPACE:=default}',
        '--appbinding=${TARGET_NAME:=}',
        '--appbinding-namespace=${TARGET_NAMESPACE:=}',
        '--backupsession=${BACKUP_SESSION:=}',
        '--es-args=${args:=}',
        '--output-dir=${outputDir:=}',
      ]),
      task(backup),
      fn(restore, [
        'function',
        'elasticsearch',
        'restore-es',
        ...repositoryFlags,
        '--hostname=${HOSTNAME:=}',
        '--source-hostname=${SOURCE_HOSTNAME:=}',
        '--snapshot=${RESTORE_SNAPSHOTS:=latest}',
        '--interim-data-dir=${INTERIM_DATA_DIR:=/stash-tmp/data}',
        '--namespace=${NAMESPACE:=default}',
        '--appbinding=${TARGET_NAME:=}',
        '--appbinding-namespace=${TARGET_NAMESPACE:=}',
        '--restoresession=${RESTORE_SESSION:=}',
        '--es-args=${args:=}',
        '--output-dir=${outputDir:=}',
      ]),
      task(restore),
    );
  }
  return out;
}

export const catalogFile = join(repoRoot(), 'deploy', 'catalog', 'elasticsearch.yaml');

export function renderCatalog(): string {
  const header = '# Generated from api/catalog.ts by `npx tsx api/catalog.ts --write`. Do not edit by hand.\n';
  return (
    header +
    elasticsearchCatalog()
      .map((o) => '---\n' + toYaml(o))
      .join('')
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes('--write')) writeFileSync(catalogFile, renderCatalog());
  else if (readFileSync(catalogFile, 'utf8') !== renderCatalog()) {
    console.error(`${catalogFile} is stale: run npx tsx api/catalog.ts --write`);
    process.exit(1);
  }
}
