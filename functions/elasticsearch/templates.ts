// Templates are cluster-wide. Legacy ones go into every <index>.template.json (as multielasticdump does); composable
// index templates and component templates into the sidecar (elasticdump's index_template/component_template format:
// the GET response, {"index_templates":[{name,index_template}]}).
import type { Client } from '@elastic/elasticsearch';
import { keepTemplate } from './selection.js';

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

export async function readTemplates(client: Client, includeHidden = false): Promise<Templates> {
  const legacy = (await client.indices.getTemplate()) as unknown as Record<string, Record<string, unknown>>;
  const idx = (await client.indices.getIndexTemplate()) as unknown as { index_templates: NamedIndexTemplate[] };
  const comp = (await client.cluster.getComponentTemplate()) as unknown as { component_templates: NamedComponentTemplate[] };
  return {
    legacy: Object.fromEntries(Object.entries(legacy).filter(([n, b]) => keepTemplate(n, b, includeHidden))),
    index: idx.index_templates.filter((t) => keepTemplate(t.name, t.index_template, includeHidden)),
    component: comp.component_templates.filter((t) => keepTemplate(t.name, t.component_template, includeHidden)),
  };
}

/** Component templates first: index templates refer to them (composed_of). PUT overwrites, as elasticdump does. */
export async function writeTemplates(client: Client, t: Partial<Templates>): Promise<number> {
  let n = 0;
  for (const c of t.component ?? []) {
    await client.transport.request({ method: 'PUT', path: `/_component_template/${encodeURIComponent(c.name)}`, body: c.component_template });
    n++;
  }
  for (const i of t.index ?? []) {
    await client.transport.request({ method: 'PUT', path: `/_index_template/${encodeURIComponent(i.name)}`, body: i.index_template });
    n++;
  }
  for (const [name, body] of Object.entries(t.legacy ?? {})) {
    await client.transport.request({ method: 'PUT', path: `/_template/${encodeURIComponent(name)}`, body });
    n++;
  }
  return n;
}
