import { type DbClient, Prisma } from "@tokenmeter/db";
import { ApiError } from "../errors.js";
import { addDays } from "./period.js";
import { isUtc } from "./zone.js";

/**
 * The instants (epoch ms) where the local days `from`..`to` of zone `tz` start, plus the end of `to`: every
 * midnight with `everyDay`, else only the range's two ends. PostgreSQL's time zone database decides, so the
 * bounds agree exactly with `AT TIME ZONE` in the queries (DST days are 23 or 25 hours long).
 */
export async function dayBoundaries(
  db: DbClient,
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
    // The runtime knew the zone but PostgreSQL does not (older tzdata): still the client's input.
    if (/time zone/i.test(String((error as Error)?.message))) {
      throw new ApiError("invalid_tz", `unknown time zone: ${range.tz}`);
    }
    throw error;
  }
}
