import type { PrismaClient } from "../generated/prisma/client.js";
import {
  type BreakdownKey,
  breakdownRow,
  type GroupBy,
  NONEMPTY,
  parts,
  SUMS,
  type TotalsRow,
  totals,
  type UsageFilter,
  type UsageTotals,
} from "./queries.js";

/** Everything the operator dashboard shows from the ledger, for a period and a recent window. */
export interface DashboardTotals {
  total: UsageTotals;
  byBuyer: Array<BreakdownKey & UsageTotals>;
  byService: Array<BreakdownKey & UsageTotals>;
  byModel: Array<BreakdownKey & UsageTotals>;
  byDay: Array<BreakdownKey & UsageTotals>;
  /** Per day over `recent` (the chart). */
  recent: Array<BreakdownKey & UsageTotals>;
}

type Kind = "total" | "buyer" | "service" | "model" | "day" | "recent";

/**
 * The dashboard's totals, by buyer, service, model and day for `period`, and by day for `recent`, in ONE
 * statement (one round trip, one snapshot): the period's all-buyer levels (with months) for the totals, by
 * service and by model; the same by local day for the day table; the key levels for buyers; each relation
 * read once. Ordered like the separate breakdowns.
 */
export async function dashboardTotals(
  db: PrismaClient,
  period: UsageFilter,
  recent: UsageFilter,
): Promise<DashboardTotals> {
  const [whole, days, buyers, window] = await Promise.all([
    parts(db, period, "summary"),
    parts(db, period, "day", { byDay: true }),
    parts(db, period, "buyer"),
    parts(db, recent, "day", { byDay: true }),
  ]);
  const rows = await db.$queryRaw<Array<TotalsRow & { kind: Kind; k: string | null; label: string | null }>>`
    WITH whole_p AS (${whole}), days_p AS (${days}), buyers_p AS (${buyers}), recent_p AS (${window})
    SELECT 'total' AS kind, NULL AS k, NULL AS label, ${SUMS} FROM whole_p p
    UNION ALL
    SELECT 'service', p.api_service_id::text, MAX(s.name), ${SUMS}
      FROM whole_p p LEFT JOIN api_services s ON s.id = p.api_service_id GROUP BY p.api_service_id ${NONEMPTY}
    UNION ALL
    SELECT 'model', p.model_name, NULL, ${SUMS} FROM whole_p p GROUP BY p.model_name ${NONEMPTY}
    UNION ALL
    SELECT 'day', to_char(p.day, 'YYYY-MM-DD'), NULL, ${SUMS} FROM days_p p GROUP BY p.day ${NONEMPTY}
    UNION ALL
    SELECT 'recent', to_char(p.day, 'YYYY-MM-DD'), NULL, ${SUMS} FROM recent_p p GROUP BY p.day ${NONEMPTY}
    UNION ALL
    SELECT 'buyer', p.buyer_user_id::text, MAX(b.name), ${SUMS}
      FROM buyers_p p LEFT JOIN buyers b ON b.id = p.buyer_user_id GROUP BY p.buyer_user_id ${NONEMPTY}`;
  const of = (kind: Kind, groupBy: GroupBy) =>
    rows
      .filter((row) => row.kind === kind && row.k !== null)
      .map((row) => breakdownRow(groupBy, row.k as string, row))
      .sort((a, b) => compareKeys(a, b));
  const total = rows.find((row) => row.kind === "total");
  return {
    total: totals(total ?? ({} as TotalsRow)),
    byBuyer: of("buyer", "buyer"),
    byService: of("service", "service"),
    byModel: of("model", "model"),
    byDay: of("day", "day"),
    recent: of("recent", "day"),
  };
}

// The separate breakdowns' order: ids numerically, model names and days as text.
function compareKeys(a: BreakdownKey, b: BreakdownKey): number {
  if ("buyer_id" in a && "buyer_id" in b) return a.buyer_id - b.buyer_id;
  if ("api_service_id" in a && "api_service_id" in b) return a.api_service_id - b.api_service_id;
  if ("model_name" in a && "model_name" in b) return (a.model_name ?? "").localeCompare(b.model_name ?? "");
  if ("day" in a && "day" in b) return a.day < b.day ? -1 : a.day > b.day ? 1 : 0;
  return 0;
}
