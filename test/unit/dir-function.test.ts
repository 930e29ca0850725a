// functions/dir: Stash-style flag parsing and the restic repository built from Stash's flags + storage Secret keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAllYaml } from '@kubernetes/client-node';
import { parseFlags, repositoryFlags } from '../../functions/dir/cli.js';
import { resolveRepository, safeLocation, scrub, secretReader } from '../../functions/dir/repository.js';
import { repoRoot } from '../helpers/stack.js';

test('flags: --a=b, --a b, bare --a, repeats, empty placeholder values dropped', () => {
  const { flags, positional } = parseFlags([
    '--provider=rest',
    '--bucket=',
    '--paths',
    '/a,/b',
    '--paths=/c',
    '--insecure-tls',
    '--enable-cache=false',
    'extra',
  ]);
  assert.deepEqual(flags.get('provider'), ['rest']);
  assert.deepEqual(flags.get('bucket'), []);
  assert.deepEqual(flags.get('paths'), ['/a,/b', '/c']);
  assert.deepEqual(flags.get('insecure-tls'), ['true']);
  assert.deepEqual(positional, ['extra']);
  const r = repositoryFlags(flags);
  assert.equal(r.provider, 'rest');
  assert.equal(r.bucket, undefined);
  assert.equal(r.insecureTls, true);
  assert.equal(r.enableCache, false);
  assert.throws(
    () => repositoryFlags(parseFlags(['--max-connections=lots']).flags),
    /--max-connections must be a non-negative integer/,
  );
});

const env = (o: Record<string, string>) => o as NodeJS.ProcessEnv;

test('repository from Stash flags, per provider', () => {
  const e = env({ RESTIC_PASSWORD: 'pw-123' });
  assert.equal(resolveRepository({ provider: 'local', bucket: '/safe/data' }, e).repo.repository, '/safe/data');
  assert.equal(resolveRepository({ provider: 'local', bucket: '/safe/data', path: 'es' }, e).repo.repository, '/safe/data/es');
  assert.equal(
    resolveRepository({ provider: 's3', endpoint: 'http://minio:9000/', bucket: 'stash', path: '/demo/es' }, e).repo.repository,
    's3:http://minio:9000/stash/demo/es',
  );
  assert.equal(resolveRepository({ provider: 's3', bucket: 'b' }, e).repo.repository, 's3:s3.amazonaws.com/b');
  assert.equal(resolveRepository({ provider: 'gcs', bucket: 'g', path: 'p' }, e).repo.repository, 'gs:g:/p');
  assert.equal(resolveRepository({ provider: 'azure', bucket: 'c', path: 'p' }, e).repo.repository, 'azure:c:/p');
  assert.equal(resolveRepository({ provider: 'b2', bucket: 'c', path: 'p' }, e).repo.repository, 'b2:c:/p');
  assert.equal(resolveRepository({ provider: 'swift', bucket: 'c', path: 'p' }, e).repo.repository, 'swift:c:/p');
  // rest: Stash passes the URL's own path as --path; not doubled. Our own --path below a base URL is joined.
  assert.equal(
    resolveRepository({ provider: 'rest', endpoint: 'http://rest:8000/es-repo', path: '/es-repo' }, e).repo.repository,
    'rest:http://rest:8000/es-repo',
  );
  assert.equal(
    resolveRepository({ provider: 'rest', restUrl: 'http://rest:8000', path: 'team/es' }, e).repo.repository,
    'rest:http://rest:8000/team/es',
  );
  assert.throws(() => resolveRepository({ provider: 's3' }, e), /--bucket is required for provider 's3'/);
  assert.throws(() => resolveRepository({ provider: 'rest' }, e), /--rest-url \(or --endpoint\) is required/);
  assert.throws(() => resolveRepository({ provider: 'ftp', bucket: 'x' }, e), /unknown --provider 'ftp'/);
  assert.throws(() => resolveRepository({}, e), /no repository: pass --provider/);
  assert.throws(() => resolveRepository({ provider: 'local', bucket: '/x' }, env({})), /RESTIC_PASSWORD is not set/);
});

test('repository from RESTIC_REPOSITORY; secrets from env or --secret-dir; options', () => {
  const r = resolveRepository(
    { region: 'eu-west-1', maxConnections: 4, insecureTls: true, scratchDir: '/stash-tmp' },
    env({
      RESTIC_REPOSITORY: 's3:http://m:9000/b',
      RESTIC_PASSWORD: 'pw-123',
      AWS_ACCESS_KEY_ID: 'AKIA1',
      AWS_SECRET_ACCESS_KEY: 'sk-999',
    }),
  );
  assert.equal(r.repo.repository, 's3:http://m:9000/b');
  assert.equal(r.repo.password, 'pw-123');
  assert.equal(r.repo.awsAccessKeyId, 'AKIA1');
  assert.equal(r.repo.awsSecretAccessKey, 'sk-999');
  assert.equal(r.repo.awsRegion, 'eu-west-1');
  assert.equal(r.repo.cacheDir, '/stash-tmp/restic-cache');
  assert.equal(r.env.TMPDIR, '/stash-tmp/restic-tmp');
  assert.deepEqual(r.repo.extraArgs, ['--insecure-tls']); // no provider: no connections option
  assert.ok(r.secrets.includes('pw-123') && r.secrets.includes('sk-999'));
  assert.equal(
    resolveRepository({}, env({ RESTIC_REPOSITORY: '/r', RESTIC_PASSWORD: 'p', ENABLE_CACHE: 'false' })).repo.noCache,
    true,
  );
  // the Job builder's RESTIC_REPOSITORY wins over Stash's location flags; restic's own REST password env is scrubbed
  const both = resolveRepository(
    { provider: 'rest', restUrl: 'http://elsewhere:1/x' },
    env({ RESTIC_REPOSITORY: 'rest:http://rest:8000/r', RESTIC_PASSWORD: 'p', RESTIC_REST_PASSWORD: 'restpw-1' }),
  );
  assert.equal(both.repo.repository, 'rest:http://rest:8000/r');
  assert.ok(both.secrets.includes('restpw-1'));

  const files: Record<string, string> = {
    '/sec/RESTIC_PASSWORD': 'from-file',
    '/sec/REST_SERVER_USERNAME': 'restic',
    '/sec/REST_SERVER_PASSWORD': 'p@ss/word',
    '/sec/CA_CERT_DATA': '-----BEGIN CERTIFICATE-----',
  };
  const read = (p: string) => {
    const v = files[p];
    if (v === undefined) throw new Error('ENOENT');
    return v;
  };
  const flags = { provider: 'rest', restUrl: 'https://rest:8000/repo', secretDir: '/sec', maxConnections: 2 };
  const rest = resolveRepository(flags, env({ RESTIC_PASSWORD: 'env-pw' }), secretReader('/sec', env({}), read));
  assert.equal(rest.repo.password, 'from-file');
  assert.equal(rest.repo.repository, 'rest:https://restic:p%40ss%2Fword@rest:8000/repo');
  assert.equal(rest.location, 'rest:https://rest:8000/repo');
  assert.deepEqual(rest.repo.extraArgs, ['-o', 'rest.connections=2']);
  assert.deepEqual(
    rest.files.map((f) => f.name),
    ['restic-ca.crt'],
  );
  assert.equal(
    scrub(`failed: ${rest.repo.repository} with from-file`, rest.secrets),
    'failed: rest:https://restic:***@rest:8000/repo with ***',
  );
  assert.equal(safeLocation('rest:http://u:p@h:1/r'), 'rest:http://h:1/r');

  const az = resolveRepository(
    { provider: 'azure', bucket: 'c' },
    env({ RESTIC_PASSWORD: 'p1234', AZURE_ACCOUNT_NAME: 'acct', AZURE_ACCOUNT_KEY: 'azkey-1' }),
  );
  assert.deepEqual(az.env, { AZURE_ACCOUNT_NAME: 'acct', AZURE_ACCOUNT_KEY: 'azkey-1' });
  assert.ok(az.secrets.includes('azkey-1') && !az.secrets.includes('acct'));
});

test('catalog: dir-backup/dir-restore Functions and Tasks in Stash format, args the CLI understands', () => {
  const dir = join(repoRoot, 'deploy/catalog/dir');
  type Obj = { apiVersion: string; kind: string; metadata: { name: string }; spec: Record<string, unknown> };
  const fns = loadAllYaml(readFileSync(join(dir, 'functions.yaml'), 'utf8')) as Obj[];
  const tasks = loadAllYaml(readFileSync(join(dir, 'tasks.yaml'), 'utf8')) as Obj[];
  assert.deepEqual(
    fns.map((f) => `${f.apiVersion} ${f.kind} ${f.metadata.name}`),
    ['stash.appscode.com/v1beta1 Function dir-backup', 'stash.appscode.com/v1beta1 Function dir-restore'],
  );
  assert.deepEqual(
    tasks.map((t) => [t.kind, t.metadata.name, (t.spec.steps as { name: string }[]).map((s) => s.name)]),
    [
      ['Task', 'dir-backup', ['dir-backup', 'update-status']],
      ['Task', 'dir-restore', ['dir-restore', 'update-status']],
    ],
  );
  // with Stash's substitution (every ${VAR:=default} → its default), the flags parse and the repository flags are known
  for (const f of fns) {
    assert.equal(f.spec.image, 'stashflow/stashflow:latest');
    const args = (f.spec.args as string[]).map((a) => a.replace(/\$\{[A-Za-z_]+:=([^}]*)\}/g, '$1'));
    assert.deepEqual(args.slice(0, 2), ['function', 'dir']);
    assert.ok(
      args.every((a) => !a.includes('${')),
      args.join(' '),
    );
    const { flags, positional } = parseFlags(args.slice(3));
    assert.deepEqual(positional, []);
    const repo = repositoryFlags(flags);
    assert.equal(repo.enableCache, true);
    assert.equal(repo.maxConnections, 0);
    assert.equal(repo.insecureTls, false);
    assert.equal(repo.scratchDir, '/tmp');
  }
});
