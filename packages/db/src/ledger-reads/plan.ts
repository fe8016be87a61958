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
  /**
   * Read and subtracted: the part of a month outside the range when the month is read whole because that is
   * cheaper (e.g. 2 September to 30 November = September + October + November − 1 September).
   */
  minus: { daily: Span[]; hourly: Span[]; raw: Span[] };
}

/** A plan's cost in "one UTC day of the daily level" units: what choosing between two exact plans weighs. */
const COST = { month: 4, day: 1, hour: 0.1, rawSpan: 2 };

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const floorTo = (t: number, unit: number) => Math.floor(t / unit) * unit;
const isMonthStart = (t: number) => t % DAY_MS === 0 && new Date(t).getUTCDate() === 1;
const monthStartOf = (t: number) => {
  const d = new Date(t);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
};
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
 * Splits a reporting range into the cheapest exact reads (with `months`, whole UTC months first). `boundaries`
 * are sorted instants: the range's start and end, plus every bucket edge (a local midnight when grouping by
 * day) — no rollup row may straddle one. A UTC day is read from the daily rollups when it lies inside the range
 * with no boundary strictly inside it; an hour from the hourly rollups likewise; an hour a boundary cuts (half-
 * and quarter-hour zones) is read from `usage_logs`, clipped to the range. The added spans never overlap; added
 * minus subtracted (`minus`, only for an uncut range with `months`) covers the range exactly once.
 */
export function planReads(
  boundaries: readonly number[],
  options: { rawOnly?: boolean; months?: boolean } = {},
): ReadPlan {
  const start = boundaries[0];
  const end = boundaries.at(-1);
  if (
    options.months &&
    !options.rawOnly &&
    boundaries.length === 2 &&
    start !== undefined &&
    end !== undefined
  ) {
    return planWithMonths(start, end);
  }
  return planAdditive(boundaries, options);
}

/** The cost of reading spans of each source (see COST). */
function costOf(plan: Omit<ReadPlan, "minus">): number {
  const length = (spans: Span[], unit: number) => spans.reduce((n, s) => n + (s.to - s.from) / unit, 0);
  return (
    length(plan.monthly, 30 * DAY_MS) * COST.month +
    length(plan.daily, DAY_MS) * COST.day +
    length(plan.hourly, HOUR_MS) * COST.hour +
    plan.raw.length * COST.rawSpan
  );
}

/** A plan that reads nothing. */
function emptyPlan(): ReadPlan {
  return { monthly: [], daily: [], hourly: [], raw: [], minus: { daily: [], hourly: [], raw: [] } };
}

/**
 * A range with no cut inside it (no grouping by day): whole UTC months from the monthly level; each partial
 * month at either end either read part by part, or read whole minus the rest of the month, whichever is
 * cheaper. Both are exact: every measure is a sum, so a month minus its outside equals its inside.
 */
function planWithMonths(start: number, end: number): ReadPlan {
  const plan = emptyPlan();
  const add = (part: ReadPlan, into: { daily: Span[]; hourly: Span[]; raw: Span[] }) => {
    for (const s of part.daily) push(into.daily, s.from, s.to);
    for (const s of part.hourly) push(into.hourly, s.from, s.to);
    for (const s of part.raw) push(into.raw, s.from, s.to);
  };
  let t = start;
  while (t < end) {
    const monthFrom = monthStartOf(t);
    const monthTo = nextMonth(monthFrom);
    const to = Math.min(end, monthTo);
    if (t === monthFrom && to === monthTo) {
      push(plan.monthly, monthFrom, monthTo);
    } else {
      const inside = planAdditive([t, to]);
      const before = planAdditive([monthFrom, t]);
      const after = planAdditive([to, monthTo]);
      const whole = { monthly: [{ from: monthFrom, to: monthTo }], daily: [], hourly: [], raw: [] };
      if (costOf(whole) + costOf(before) + costOf(after) < costOf(inside)) {
        push(plan.monthly, monthFrom, monthTo);
        add(before, plan.minus);
        add(after, plan.minus);
      } else {
        add(inside, plan);
      }
    }
    t = to;
  }
  return plan;
}

/** Every part read and added: whole UTC days, hours and raw rows (and with `months`, whole months). */
function planAdditive(
  boundaries: readonly number[],
  options: { rawOnly?: boolean; months?: boolean } = {},
): ReadPlan {
  const plan = emptyPlan();
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
