import { ApiError } from "../errors.js";

/** How a reporting range was chosen. */
export type PeriodName = "daily" | "monthly" | "custom";

/** An inclusive range of UTC days, as YYYY-MM-DD strings. */
export interface DayRange {
  period: PeriodName;
  from: string;
  to: string;
}

const DAY_MS = 86_400_000;
// Guards the per-day breakdown and the dashboard against unbounded ranges (about ten years).
const MAX_RANGE_DAYS = 3700;

/** The UTC calendar day of an instant as YYYY-MM-DD. */
export function utcDay(instant: Date): string {
  return instant.toISOString().slice(0, 10);
}

/** Adds whole days to a YYYY-MM-DD day. */
export function addDays(day: string, days: number): string {
  return utcDay(new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS));
}

function parseDay(value: unknown, name: string): string {
  if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    throw new ApiError("invalid_date", `${name} must be a date as YYYY-MM-DD`);
  }
  const time = Date.parse(`${value}T00:00:00Z`);
  // Date.parse accepts 2025-02-30 by rolling over; a round trip rejects it.
  if (Number.isNaN(time) || utcDay(new Date(time)) !== value) {
    throw new ApiError("invalid_date", `${name} is not a calendar date: ${value}`);
  }
  return value;
}

/**
 * Resolves `period`, `from` and `to` query parameters to a range of UTC days. `period` defaults to
 * monthly (the current calendar month); `from`/`to` (inclusive) make a custom range, `to` defaulting to
 * today. A bad `period` is a 400 `invalid_period` even when `from`/`to` are given.
 */
export function resolvePeriod(
  query: { period?: unknown; from?: unknown; to?: unknown },
  now = new Date(),
): DayRange {
  const period = query.period ?? "monthly";
  if (period !== "daily" && period !== "monthly") {
    throw new ApiError("invalid_period", 'period must be "daily" or "monthly"');
  }
  const today = utcDay(now);
  if (query.from !== undefined || query.to !== undefined) {
    if (query.from === undefined) throw new ApiError("invalid_range", "from is required when to is given");
    const from = parseDay(query.from, "from");
    const to = query.to === undefined ? today : parseDay(query.to, "to");
    if (from > to) throw new ApiError("invalid_range", "from must not be after to");
    const days = (Date.parse(to) - Date.parse(from)) / DAY_MS + 1;
    if (days > MAX_RANGE_DAYS)
      throw new ApiError("invalid_range", `a range spans at most ${MAX_RANGE_DAYS} days`);
    return { period: "custom", from, to };
  }
  if (period === "daily") return { period, from: today, to: today };
  const first = `${today.slice(0, 8)}01`;
  const nextMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return { period, from: first, to: addDays(utcDay(nextMonth), -1) };
}
