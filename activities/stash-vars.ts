// Stash's ${VAR} / ${VAR:=default} substitution in Function args and Task params, so a Function copied from
// Stash's catalog works unchanged. Unknown variables without a default become '' (as Stash's envsubst does).

const pattern = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::=([^}]*))?\}/g;

export function substitute(text: string, vars: Readonly<Record<string, string | undefined>>): string {
  return text.replace(pattern, (_m, name: string, def: string | undefined) => {
    const v = vars[name];
    return v !== undefined && v !== '' ? v : (def ?? '');
  });
}

/** The variables a template references, for error messages about missing input. */
export function referencedVars(text: string): string[] {
  return [...text.matchAll(pattern)].map((m) => m[1]!).filter((v, i, a) => a.indexOf(v) === i);
}
