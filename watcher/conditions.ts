// kmapi-style conditions (pure): set one condition keeping lastTransitionTime when its status did not change, and
// compare condition lists ignoring timestamps (so an unchanged status is never re-written).
import type { Condition } from '../api/types.js';

export function setCondition(list: Condition[] | undefined, c: Condition, now: string): Condition[] {
  const out = [...(list ?? [])];
  const i = out.findIndex((x) => x.type === c.type);
  const old = i >= 0 ? out[i] : undefined;
  const next: Condition = {
    ...c,
    lastTransitionTime: old && old.status === c.status && old.lastTransitionTime ? old.lastTransitionTime : now,
  };
  if (i >= 0) out[i] = next;
  else out.push(next);
  return out;
}

const strip = (c: Condition) => [c.type, c.status, c.reason ?? '', c.message ?? '', c.observedGeneration ?? 0];

export function sameConditions(a: Condition[] | undefined, b: Condition[] | undefined): boolean {
  return JSON.stringify((a ?? []).map(strip)) === JSON.stringify((b ?? []).map(strip));
}

export const findCondition = (list: Condition[] | undefined, type: string): Condition | undefined =>
  list?.find((c) => c.type === type);
