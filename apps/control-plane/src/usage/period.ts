import { addDays } from "@tokenmeter/db";
import { ApiError } from "../errors.js";
import { localDay, parseTimeZone } from "./zone.js";

/** How a reporting range was chosen. */
type PeriodName = "daily" | "monthly" | "custom";

/** An inclusive range of calendar days in a time zone, as YYYY-MM-DD strings and an IANA zone name. */
export interface DayRange {
  period: PeriodName;
  from: string;
  to: string;
  tz: string;
}

const DAY_MS = 86_400_000;
// Guards the per-day breakdown and the dashboard against unbounded ranges (about ten years).
const MAX_RANGE_DAYS = 3700;

/** The UTC calendar day of an instant as YYYY-MM-DD. */
export function utcDay(instant: Date): string {
  return instant.toISOString().slice(0, 10);
}

export { addDays };

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
 * Resolves `period`, `from`, `to` and `tz` query parameters to a range of calendar days in the zone `tz`
 * (IANA, default UTC). `period` defaults to monthly (the current calendar month there); `from`/`to`
 * (inclusive) make a custom range, `to` defaulting to today there. A bad `period` is a 400 `invalid_period`
 * even when `from`/`to` are given.
 */
export function resolvePeriod(
  query: { period?: unknown; from?: unknown; to?: unknown; tz?: unknown },
  now = new Date(),
): DayRange {
  const period = query.period ?? "monthly";
  if (period !== "daily" && period !== "monthly") {
    throw new ApiError("invalid_period", 'period must be "daily" or "monthly"');
  }
  const tz = parseTimeZone(query.tz);
  const today = localDay(now, tz);
  if (query.from !== undefined || query.to !== undefined) {
    if (query.from === undefined) throw new ApiError("invalid_range", "from is required when to is given");
    const from = parseDay(query.from, "from");
    const to = query.to === undefined ? today : parseDay(query.to, "to");
    if (from > to) throw new ApiError("invalid_range", "from must not be after to");
    const days = (Date.parse(to) - Date.parse(from)) / DAY_MS + 1;
    if (days > MAX_RANGE_DAYS)
      throw new ApiError("invalid_range", `a range spans at most ${MAX_RANGE_DAYS} days`);
    return { period: "custom", from, to, tz };
  }
  if (period === "daily") return { period, from: today, to: today, tz };
  const first = `${today.slice(0, 8)}01`;
  const [year, month] = [Number(today.slice(0, 4)), Number(today.slice(5, 7))];
  // Day 0 of the next month is the last day of this one.
  return { period, from: first, to: utcDay(new Date(Date.UTC(year, month, 0))), tz };
}
