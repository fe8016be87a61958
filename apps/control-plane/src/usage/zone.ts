import { DEFAULT_TIME_ZONE } from "@tokenmeter/db";
import { ApiError } from "../errors.js";

// Names like "Asia/Kolkata", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "UTC": no spaces, quotes or SQL.
const ZONE_SHAPE = /^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/;
const formatters = new Map<string, Intl.DateTimeFormat>();
const MAX_CACHED_FORMATTERS = 1000;

function formatter(tz: string): Intl.DateTimeFormat {
  let format = formatters.get(tz);
  if (!format) {
    // en-CA formats dates as YYYY-MM-DD.
    format = new Intl.DateTimeFormat("en-CA", {
      timeZone: tz,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
    });
    if (formatters.size >= MAX_CACHED_FORMATTERS) formatters.clear();
    formatters.set(tz, format);
  }
  return format;
}

/**
 * The `tz` query parameter: an IANA zone name (default UTC). Anything the runtime's time zone database does
 * not know is a 400 `invalid_tz`; the database's own check runs again when the bounds are computed.
 */
export function parseTimeZone(value: unknown): string {
  if (value === undefined || value === "") return DEFAULT_TIME_ZONE;
  if (typeof value !== "string" || !ZONE_SHAPE.test(value)) {
    throw new ApiError("invalid_tz", "tz must be an IANA time zone name such as Asia/Kolkata");
  }
  try {
    formatter(value);
  } catch {
    throw new ApiError("invalid_tz", `unknown time zone: ${value}`);
  }
  return value;
}

/** The calendar day of an instant in a zone, as YYYY-MM-DD. */
export function localDay(instant: Date, tz: string): string {
  const parts = formatter(tz).formatToParts(instant);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return `${part("year")}-${part("month")}-${part("day")}`;
}
