import { Prisma, type PrismaClient } from "../generated/prisma/client.js";

/** The zone a filter without one uses. */
export const DEFAULT_TIME_ZONE = "UTC";

/** PostgreSQL does not know a time zone the caller's runtime accepted (older tzdata): the caller's input. */
export class UnknownTimeZoneError extends Error {
  override readonly name = "UnknownTimeZoneError";
  constructor(readonly timeZone: string) {
    super(`unknown time zone: ${timeZone}`);
  }
}

const DAY_MS = 86_400_000;

/** Adds whole days to a YYYY-MM-DD day. */
export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Whether a zone is UTC itself, so day bounds are UTC midnights without asking the database. */
export function isUtc(tz: string): boolean {
  return /^(Etc\/)?(UTC|UCT|Zulu|Universal|GMT)$/i.test(tz);
}

/**
 * The instants (epoch ms) where the local days `from`..`to` of zone `tz` start, plus the end of `to`: every
 * midnight with `everyDay`, else only the range's two ends. PostgreSQL's time zone database decides, so the
 * bounds agree exactly with `AT TIME ZONE` in the queries (DST days are 23 or 25 hours long).
 */
export async function dayBoundaries(
  db: PrismaClient,
  range: { from: string; to: string; tz: string },
  everyDay: boolean,
): Promise<number[]> {
  const end = addDays(range.to, 1);
  if (isUtc(range.tz)) {
    if (!everyDay) return [Date.parse(`${range.from}T00:00:00Z`), Date.parse(`${end}T00:00:00Z`)];
    const days: number[] = [];
    for (let day = range.from; day <= end; day = addDays(day, 1)) days.push(Date.parse(`${day}T00:00:00Z`));
    return days;
  }
  const days = everyDay
    ? Prisma.sql`generate_series(${range.from}::date, ${end}::date, interval '1 day')`
    : Prisma.sql`unnest(ARRAY[${range.from}::date, ${end}::date])`;
  try {
    const rows = await db.$queryRaw<Array<{ t: string }>>`
      SELECT (extract(epoch FROM (d::timestamp AT TIME ZONE ${range.tz})) * 1000)::bigint::text AS t
      FROM ${days} AS d ORDER BY 1`;
    return rows.map((row) => Number(row.t));
  } catch (error) {
    if (/time zone/i.test(String((error as Error)?.message))) throw new UnknownTimeZoneError(range.tz);
    throw error;
  }
}
