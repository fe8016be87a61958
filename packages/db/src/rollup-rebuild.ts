import type { PrismaClient } from "./generated/prisma/client.js";
import { aggregateSql, insertColumns, ROLLUP_LEVELS, type RollupGrain } from "./rollup-levels.js";

/** What a rebuild covered, per level: the widened range and how many rollup rows it wrote. */
export interface RebuildResult {
  levels: Array<{ table: string; from: Date; to: Date; rows: number }>;
}

const HOUR_MS = 3_600_000;

/** `instant` rounded down to its UTC unit. */
function floorTo(grain: RollupGrain, instant: Date): Date {
  if (grain === "hour") return new Date(Math.floor(instant.getTime() / HOUR_MS) * HOUR_MS);
  const day = new Date(Date.UTC(instant.getUTCFullYear(), instant.getUTCMonth(), instant.getUTCDate()));
  return grain === "day" ? day : new Date(Date.UTC(instant.getUTCFullYear(), instant.getUTCMonth(), 1));
}

/** `instant` rounded up to its UTC unit. */
function ceilTo(grain: RollupGrain, instant: Date): Date {
  const floor = floorTo(grain, instant);
  if (floor.getTime() === instant.getTime()) return floor;
  if (grain === "hour") return new Date(floor.getTime() + HOUR_MS);
  if (grain === "day") return new Date(floor.getTime() + 24 * HOUR_MS);
  return new Date(Date.UTC(floor.getUTCFullYear(), floor.getUTCMonth() + 1, 1));
}

const timeParam = (grain: RollupGrain, n: number) =>
  grain === "hour" ? `$${n}::timestamptz` : `$${n}::date`;
const timeValue = (grain: RollupGrain, t: Date) =>
  grain === "hour" ? t.toISOString() : t.toISOString().slice(0, 10);

/**
 * Recomputes every rollup level from `usage_logs` for the rows in [from, to), each level widened to the whole
 * UTC hours, days or months that touch the range (a monthly row is only right when its whole month is summed).
 * It deletes the levels' rows in those units and writes the sums anew, in one transaction that holds a SHARE
 * lock on usage_logs: ingestion and reprice wait for it (they would otherwise add to rows being replaced),
 * readers do not. Used to repair rollups and to build them after a bulk load (COPY) that bypassed the
 * ingest statement. Rows that retention has dropped cannot be summed again: rebuild only ranges whose rows
 * are still kept.
 */
export async function rebuildRollups(
  db: PrismaClient,
  range: { from: Date; to: Date },
  options: { timeoutMs?: number } = {},
): Promise<RebuildResult> {
  if (!(range.from.getTime() < range.to.getTime())) return { levels: [] };
  const timeoutMs = options.timeoutMs ?? 600_000;
  return db.$transaction(
    async (tx) => {
      await tx.$executeRawUnsafe("LOCK TABLE usage_logs IN SHARE MODE");
      const levels: RebuildResult["levels"] = [];
      for (const level of ROLLUP_LEVELS) {
        const from = floorTo(level.grain, range.from);
        const to = ceilTo(level.grain, range.to);
        const t = level.grain;
        await tx.$executeRawUnsafe(
          `DELETE FROM ${level.table} WHERE ${t} >= ${timeParam(t, 1)} AND ${t} < ${timeParam(t, 2)}`,
          timeValue(t, from),
          timeValue(t, to),
        );
        const rows = await tx.$executeRawUnsafe(
          `INSERT INTO ${level.table} (${insertColumns(level)})
          ${aggregateSql(level, "usage_logs", "request_timestamp >= $1::timestamptz AND request_timestamp < $2::timestamptz")}`,
          from.toISOString(),
          to.toISOString(),
        );
        levels.push({ table: level.table, from, to, rows });
      }
      return { levels };
    },
    { timeout: timeoutMs, maxWait: 10_000 },
  );
}
