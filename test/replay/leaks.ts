// Finds secret values in a recorded history. Payload data is base64 in the JSON form of a history (and a payload may
// carry base64 of its own, e.g. a Secret's data), so every string is also base64-decoded, recursively, and searched
// for the secret and for the secret's own base64.

const B64 = /^[A-Za-z0-9+/_-]{8,}={0,2}$/;

function strings(value: unknown, out: string[], depth: number): void {
  if (typeof value === 'string') {
    out.push(value);
    if (depth < 4 && B64.test(value)) {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      out.push(decoded);
      try {
        strings(JSON.parse(decoded), out, depth + 1);
      } catch {
        // not JSON: the decoded text itself was searched
      }
    }
  } else if (Array.isArray(value)) {
    for (const v of value) strings(v, out, depth);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      strings(v, out, depth);
    }
  }
}

/** The secrets (from `secrets`) that occur anywhere in `historyJson`, plainly or base64-encoded. */
export function secretsIn(historyJson: string, secrets: string[]): string[] {
  const all: string[] = [historyJson];
  strings(JSON.parse(historyJson), all, 0);
  return secrets.filter((s) => {
    const forms = [s, Buffer.from(s).toString('base64').replace(/=+$/, ''), Buffer.from(s).toString('base64url')];
    return all.some((text) => forms.some((f) => text.includes(f)));
  });
}
