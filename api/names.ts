// Names derived from objects, shared by workflows (deterministic) and activities. Pure.

/** A Job name from its purpose, session and attempt, within the 63 characters a label value (job-name) allows. */
export function jobName(prefix: string, session: string, attempt: number): string {
  const full = `${prefix}-${session}-${attempt}`;
  if (full.length <= 63) return full;
  let h = 0;
  for (const ch of full) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
  const tail = `-${h.toString(36)}-${attempt}`;
  return full.slice(0, 63 - tail.length).replace(/[-.]+$/, '') + tail;
}
