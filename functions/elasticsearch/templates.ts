// Templates are cluster-wide. Legacy ones go into every <index>.template.json (as multielasticdump does); composable
// index templates and component templates into the sidecar (elasticdump's index_template/component_template format:
// the GET response, {"index_templates":[{name,index_template}]}).
import type { Client } from '@elastic/elasticsearch';
import { globToRegExp, keepTemplate, splitList } from './selection.js';

export interface NamedIndexTemplate {
  name: string;
  index_template: Record<string, unknown>;
}
export interface NamedComponentTemplate {
  name: string;
  component_template: Record<string, unknown>;
}

export interface Templates {
  legacy: Record<string, Record<string, unknown>>;
  index: NamedIndexTemplate[];
  component: NamedComponentTemplate[];
}

export async function readTemplates(client: Client, includeHidden = false, names?: string[]): Promise<Templates> {
  const pats = splitList(names).map(globToRegExp);
  const keep = (n: string, b: { _meta?: { managed?: unknown } } | undefined) =>
    keepTemplate(n, b, includeHidden) && (pats.length === 0 || pats.some((p) => p.test(n)));
  const legacy = (await client.indices.getTemplate()) as unknown as Record<string, Record<string, unknown>>;
  const idx = (await client.indices.getIndexTemplate()) as unknown as { index_templates: NamedIndexTemplate[] };
  const comp = (await client.cluster.getComponentTemplate()) as unknown as { component_templates: NamedComponentTemplate[] };
  return {
    legacy: Object.fromEntries(Object.entries(legacy).filter(([n, b]) => keep(n, b))),
    index: idx.index_templates.filter((t) => keep(t.name, t.index_template)),
    component: comp.component_templates.filter((t) => keep(t.name, t.component_template)),
  };
}

/** ES 9 reports these on GET but rejects them on PUT ("managed by the system"). */
const SYSTEM_FIELDS = ['created_date', 'created_date_millis', 'modified_date', 'modified_date_millis'];
function writable(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([k]) => !SYSTEM_FIELDS.includes(k)));
}

/** Component templates first: index templates refer to them (composed_of). PUT overwrites, as elasticdump does. */
export async function writeTemplates(client: Client, t: Partial<Templates>): Promise<number> {
  let n = 0;
  for (const c of t.component ?? []) {
    await client.transport.request({
      method: 'PUT',
      path: `/_component_template/${encodeURIComponent(c.name)}`,
      body: writable(c.component_template),
    });
    n++;
  }
  for (const i of t.index ?? []) {
    await client.transport.request({
      method: 'PUT',
      path: `/_index_template/${encodeURIComponent(i.name)}`,
      body: writable(i.index_template),
    });
    n++;
  }
  for (const [name, body] of Object.entries(t.legacy ?? {})) {
    await client.transport.request({ method: 'PUT', path: `/_template/${encodeURIComponent(name)}`, body });
    n++;
  }
  return n;
}
