// What a failed run reports. An authentication failure comes back from nginx-style fronts as an HTML page, which
// as a condition message says nothing useful: name the status and where the credentials come from instead.

/** A message for the session's condition and Event (never carries a credential: only the status code is used). */
export function describeEsError(e: unknown): string {
  const status = (e as { meta?: { statusCode?: number } } | undefined)?.meta?.statusCode;
  if ((e as Error | undefined)?.name === 'ResponseError' && (status === 401 || status === 403))
    return `Elasticsearch rejected the credentials (HTTP ${status}, authentication failed): check username and password in the AppBinding's Secret (spec.secret)`;
  return e instanceof Error ? e.message : String(e);
}
