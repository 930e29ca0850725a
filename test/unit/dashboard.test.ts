// deploy/grafana: every series the dashboard queries is one the code registers (watcher/worker /metrics, prom-client's
// default process metrics) or that lib/metrics.ts pushes for Stash; every stashflow_* series is on the dashboard;
// the kustomization generates the ConfigMap Grafana's sidecar picks up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { stashMetricFamilyNames } from '../../lib/metrics.js';
import { createRegistry } from '../../lib/metrics-server.js';
import { createWatcherMetrics } from '../../lib/watcher-metrics.js';
import { createWorkerMetrics } from '../../lib/worker-metrics.js';
import { repoRoot } from '../helpers/stack.js';

interface Panel {
  type: string;
  title: string;
  targets?: Array<{ expr: string }>;
}
interface Dashboard {
  panels: Panel[];
  templating: { list: Array<{ query?: { query: string } | string }> };
}

const dir = join(repoRoot, 'deploy', 'grafana');
const dashboard = JSON.parse(readFileSync(join(dir, 'stashflow-dashboard.json'), 'utf8')) as Dashboard;

const keywords = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
]);

/** Metric names a PromQL expression selects (not functions, label names, strings, ranges or variables). */
function metricNamesOf(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // label values
    .replace(/\{[^}]*\}/g, '') // matchers
    .replace(/\[[^\]]*\]/g, '') // ranges
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '') // label lists
    .replace(/\$\w+/g, ''); // dashboard variables
  const names: string[] = [];
  for (const m of bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = bare.slice(m.index + m[0].length).trimStart();
    if (after.startsWith('(') || keywords.has(m[0])) continue; // a function call or an operator keyword
    if (/^(e|inf|nan)$/i.test(m[0])) continue;
    names.push(m[0]);
  }
  return names;
}

function exprs(d: Dashboard): string[] {
  const fromPanels = d.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  const fromVars = d.templating.list.flatMap((v) => {
    const q = typeof v.query === 'string' ? v.query : v.query?.query;
    const m = q ? /label_values\(\s*([^,)]+)/.exec(q) : null;
    return m?.[1] ? [m[1]] : [];
  });
  return [...fromPanels, ...fromVars];
}

/** Every series name the code exposes: the families and, for histograms, their _bucket/_sum/_count series. */
async function knownSeries(): Promise<{ all: Set<string>; ours: string[] }> {
  const registry = createRegistry('test'); // default process metrics included
  createWatcherMetrics(registry);
  createWorkerMetrics(registry);
  const all = new Set<string>(stashMetricFamilyNames());
  const ours: string[] = [];
  for (const m of await registry.getMetricsAsJSON()) {
    all.add(m.name);
    if (m.name.startsWith('stashflow_')) ours.push(m.name);
    if (String(m.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) all.add(m.name + s);
  }
  return { all, ours };
}

test('metricNamesOf finds selectors, not functions, keywords, labels or variables', () => {
  assert.deepEqual(
    metricNamesOf(
      'histogram_quantile(0.95, sum by (le, kind) (rate(foo_bucket{kind="x"}[$__rate_interval]))) / on (kind) bar or time() - baz',
    ),
    ['foo_bucket', 'bar', 'baz'],
  );
});

test('the dashboard queries only series the code registers or pushes', async () => {
  const { all } = await knownSeries();
  const list = exprs(dashboard);
  assert.ok(list.length >= 20, `the dashboard has its queries (${list.length})`);
  const unknown = list.flatMap((e) =>
    metricNamesOf(e)
      .filter((n) => !all.has(n))
      .map((n) => `${n} in ${e}`),
  );
  assert.deepEqual(unknown, []);
  // the check can fail: a misspelt series is caught
  assert.ok(metricNamesOf('rate(stashflow_worker_sessions_finish_total[5m])').some((n) => !all.has(n)));
});

test('every stashflow_* series appears on the dashboard, and Stash’s pushed families are used', async () => {
  const { ours } = await knownSeries();
  const used = new Set(exprs(dashboard).flatMap(metricNamesOf));
  const base = (n: string) => n.replace(/_(bucket|sum|count)$/, '');
  const usedBase = new Set([...used].map(base));
  assert.ok(ours.length >= 12, `the processes register their series (${ours.length})`);
  assert.deepEqual(
    ours.filter((n) => !used.has(n) && !usedBase.has(n)),
    [],
  );
  assert.ok([...used].some((n) => n.startsWith('stash_appscode_com_backupsession_')));
  assert.ok([...used].some((n) => n.startsWith('stash_appscode_com_restoresession_')));
  assert.ok([...used].some((n) => n.startsWith('stash_appscode_com_repository_')));
});

test('kustomization generates the dashboard ConfigMap labeled for Grafana’s sidecar', () => {
  const k = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as {
    kind: string;
    generatorOptions?: { labels?: Record<string, string> };
    configMapGenerator: Array<{ name: string; files: string[]; options?: { labels?: Record<string, string> } }>;
  };
  assert.equal(k.kind, 'Kustomization');
  const gen = k.configMapGenerator.find((g) => g.files.includes('stashflow-dashboard.json'));
  assert.ok(gen, 'a generator ships the dashboard');
  const labels = { ...k.generatorOptions?.labels, ...gen.options?.labels };
  assert.equal(labels.grafana_dashboard, '1');
  // panel ids are unique (Grafana keys panels by id)
  const ids = dashboard.panels.map((p) => (p as unknown as { id: number }).id);
  assert.equal(new Set(ids).size, ids.length);
});
