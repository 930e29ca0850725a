// Checks the user's Task params (BackupConfiguration/RestoreSession spec.task.params) against the Task they select.
// Stash fills ${NAME} placeholders of the Task's Functions from them and silently ignores the rest, so a typo'd name
// (`arg` for `args`) used to mean a backup that quietly ignored the setting; we reject it naming the field. A
// placeholder whose default is an integer or a boolean (`${MAX_CONNECTIONS:=0}`) types its param. Pure: no I/O.
import type { Param, StashFunction, Task } from '../api/types.js';

const placeholder = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::=([^}]*))?\}/g;

type ParamType = 'integer' | 'boolean';

function typeOf(def: string | undefined): ParamType | undefined {
  if (def === undefined) return undefined;
  if (/^-?\d+$/.test(def)) return 'integer';
  if (def === 'true' || def === 'false') return 'boolean';
  return undefined;
}

/** The names a Task and its Functions accept, with a type where every default of the name agrees on one. */
export function acceptedParams(task: Task, functions: StashFunction[]): Map<string, ParamType | undefined> {
  const out = new Map<string, ParamType | undefined>();
  const seen = new Map<string, Set<ParamType | undefined>>();
  const text = JSON.stringify([
    task.spec.volumes ?? [],
    task.spec.steps.map((s) => s.params ?? []),
    functions.map((f) => f.spec),
  ]);
  for (const m of text.matchAll(placeholder)) {
    const set = seen.get(m[1]!) ?? new Set();
    set.add(typeOf(m[2]));
    seen.set(m[1]!, set);
  }
  for (const st of task.spec.steps)
    for (const p of st.params ?? []) if (!seen.has(p.name)) seen.set(p.name, new Set([undefined]));
  for (const [name, types] of seen) out.set(name, types.size === 1 ? [...types][0] : undefined);
  return out;
}

/** The first problem of `params` (field is their path, e.g. spec.task.params), or undefined when they are fine. */
export function checkParams(
  params: Param[] | undefined,
  field: string,
  task: Task,
  functions: StashFunction[],
): string | undefined {
  const accepted = acceptedParams(task, functions);
  const names = new Set<string>();
  for (const [i, p] of (params ?? []).entries()) {
    const at = `${field}[${i}]`;
    if (typeof p?.name !== 'string' || !p.name) return `${at}.name is required`;
    if (typeof p.value !== 'string') return `${at}.value (${p.name}) must be a string, got ${typeof p.value}`;
    if (names.has(p.name)) return `${at}.name: '${p.name}' is given twice`;
    names.add(p.name);
    if (!accepted.has(p.name)) {
      const known = [...accepted.keys()].filter((n) => !/^[A-Z0-9_]+$/.test(n)).sort();
      return `${at}.name: '${p.name}' is not a parameter of Task ${task.metadata.name}${known.length ? ` (it takes: ${known.join(', ')})` : ''}`;
    }
    const type = accepted.get(p.name);
    if (type === 'integer' && !/^-?\d+$/.test(p.value.trim()))
      return `${at}.value: '${p.name}' must be an integer, got '${p.value}'`;
    if (type === 'boolean' && !/^(true|false)$/.test(p.value.trim()))
      return `${at}.value: '${p.name}' must be true or false, got '${p.value}'`;
  }
  return undefined;
}
