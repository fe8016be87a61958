/** A half-open range of instants [from, to) in epoch milliseconds. */
export interface Span {
  from: number;
  to: number;
}

/** Where each part of a reporting range is read from: monthly, daily or hourly rollups, or raw rows. */
export interface ReadPlan {
  /** Whole UTC months, as [from, to) spans on first-of-month midnights (only when the level has months). */
  monthly: Span[];
  /** Whole UTC days, as [from, to) spans on UTC midnights. */
  daily: Span[];
  /** Whole UTC hours. */
  hourly: Span[];
  /** What no rollup can answer exactly: partial hours at non-whole-hour boundaries (or everything, rawOnly). */
  raw: Span[];
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const floorTo = (t: number, unit: number) => Math.floor(t / unit) * unit;
const isMonthStart = (t: number) => t % DAY_MS === 0 && new Date(t).getUTCDate() === 1;
const nextMonth = (t: number) => {
  const d = new Date(t);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
};

// Adds a span, merging it into the previous one when they touch (spans arrive in time order).
function push(spans: Span[], from: number, to: number): void {
  if (from >= to) return;
  const last = spans.at(-1);
  if (last && last.to >= from) last.to = Math.max(last.to, to);
  else spans.push({ from, to });
}

/**
 * Splits a reporting range into the cheapest exact reads (with `months`, whole UTC months first). `boundaries` are sorted instants: the range's start
 * and end, plus every bucket edge (a local midnight when grouping by day) — no rollup row may straddle one.
 * A UTC day is read from the daily rollups when it lies inside the range with no boundary strictly inside it;
 * an hour from the hourly rollups likewise; an hour a boundary cuts (half- and quarter-hour zones) is read
 * from `usage_logs`, clipped to the range. The spans of the three sources never overlap and cover the range.
 */
export function planReads(
  boundaries: readonly number[],
  options: { rawOnly?: boolean; months?: boolean } = {},
): ReadPlan {
  const plan: ReadPlan = { monthly: [], daily: [], hourly: [], raw: [] };
  const start = boundaries[0];
  const end = boundaries.at(-1);
  if (start === undefined || end === undefined || start >= end) return plan;
  if (options.rawOnly) {
    plan.raw.push({ from: start, to: end });
    return plan;
  }
  // Whether a boundary lies strictly inside (from, to). `from` never decreases between calls, so the cursor
  // only moves forward: the walk is linear in hours plus boundaries.
  let cursor = 0;
  const cutInside = (from: number, to: number): boolean => {
    while (cursor < boundaries.length && (boundaries[cursor] as number) <= from) cursor++;
    return cursor < boundaries.length && (boundaries[cursor] as number) < to;
  };

  // Walk the range hour by hour, taking a whole UTC month or day at once whenever one fits uncut.
  let t = floorTo(start, HOUR_MS);
  while (t < end) {
    if (options.months && t >= start && isMonthStart(t)) {
      const monthEnd = nextMonth(t);
      if (monthEnd <= end && !cutInside(t, monthEnd)) {
        push(plan.monthly, t, monthEnd);
        t = monthEnd;
        continue;
      }
    }
    if (t % DAY_MS === 0 && t >= start && t + DAY_MS <= end && !cutInside(t, t + DAY_MS)) {
      push(plan.daily, t, t + DAY_MS);
      t += DAY_MS;
      continue;
    }
    const hourEnd = t + HOUR_MS;
    if (t >= start && hourEnd <= end && !cutInside(t, hourEnd)) {
      push(plan.hourly, t, hourEnd);
    } else {
      // A boundary cuts this hour (or the range starts or ends inside it): read its rows, clipped.
      push(plan.raw, Math.max(t, start), Math.min(hourEnd, end));
    }
    t = hourEnd;
  }
  return plan;
}
