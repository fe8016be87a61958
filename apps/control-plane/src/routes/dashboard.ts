import { type BreakdownKey, type DbClient, dashboardTotals, type UsageTotals } from "@tokenmeter/db";
import type { Queue } from "bullmq";
import { Decimal } from "decimal.js";
import express, { type Router } from "express";
import { LRUCache } from "lru-cache";
import { readOperations } from "../dashboard/operations.js";
import { type DashboardView, type LabelledTotals, renderDashboard } from "../dashboard/page.js";
import { readQueueCounts } from "../queue-stats.js";
import { addDays, type DayRange, resolvePeriod, utcDay } from "../usage/period.js";

const MAX_TABLE_ROWS = 50;

// The page is self-contained: inline styles and SVG only, no scripts, no third-party requests.
const CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'";

function label(key: BreakdownKey): string {
  if ("buyer_id" in key) return `${key.buyer_name ?? "(unknown buyer)"} #${key.buyer_id}`;
  if ("api_service_id" in key) return `${key.api_service_name ?? "(unknown service)"} #${key.api_service_id}`;
  if ("model_name" in key) return key.model_name ?? "(unknown model)";
  if ("api_key_id" in key) return `${key.api_key_prefix ?? "(unknown key)"} #${key.api_key_id}`;
  return key.day;
}

// Biggest spenders first, compared exactly on the decimal cost, then by calls.
function byCostDesc(a: UsageTotals, b: UsageTotals): number {
  return new Decimal(b.token_cost_exact).comparedTo(a.token_cost_exact) || b.calls - a.calls;
}

// A browser form sends empty inputs as `from=`; treat them as absent.
function formQuery(query: Record<string, unknown>) {
  const value = (v: unknown) => (v === "" ? undefined : v);
  return { period: value(query.period), from: value(query.from), to: value(query.to) };
}

/**
 * `GET /dashboard`: totals by buyer, service, model and day for a chosen period, plus queue counts. The ledger
 * part is one statement; a page is reused for `cacheMs` (concurrent requests for the same period share one
 * read), so a room of operators refreshing costs the database one read per period every few seconds.
 */
export function dashboardRouter(deps: { db: DbClient; queue?: Queue; cacheMs?: number }): Router {
  const router = express.Router();
  const cacheMs = deps.cacheMs ?? 0;
  const build = async (range: DayRange, now: Date): Promise<DashboardView> => {
    const today = utcDay(now);
    const window = { from: addDays(today, -29), to: today };
    const [ledger, queue, operations] = await Promise.all([
      dashboardTotals(deps.db, { from: range.from, to: range.to }, window),
      readQueueCounts(deps.queue),
      readOperations(deps.db),
    ]);
    const ranked = (title: string, keyHeading: string, rows: Array<BreakdownKey & UsageTotals>) => {
      const sorted: LabelledTotals[] = rows.map((row) => ({ ...row, label: label(row) })).sort(byCostDesc);
      return {
        title,
        keyHeading,
        rows: sorted.slice(0, MAX_TABLE_ROWS),
        omitted: Math.max(0, sorted.length - MAX_TABLE_ROWS),
      };
    };
    const recentByDay = new Map(ledger.recent.map((row) => [label(row), row]));
    const empty = (day: string) => ({ day, totals: zeroTotals() });
    return {
      range,
      today,
      total: ledger.total,
      tables: [
        ranked("By buyer", "Buyer", ledger.byBuyer),
        ranked("By API service", "Service", ledger.byService),
        ranked("By model", "Model", ledger.byModel),
        {
          title: "By day",
          keyHeading: "Day (UTC)",
          rows: ledger.byDay.map((row) => ({ ...row, label: label(row) })).slice(-366),
          omitted: Math.max(0, ledger.byDay.length - 366),
        },
      ],
      // Days without usage still get a (zero) bar so the chart's x-axis is evenly spaced.
      last30: Array.from({ length: 30 }, (_, i) => addDays(window.from, i)).map((day) => {
        const row = recentByDay.get(day);
        return row ? { day, totals: row } : empty(day);
      }),
      queue,
      operations,
      generatedAt: now,
    };
  };
  const cache =
    cacheMs > 0
      ? new LRUCache<string, DashboardView, DayRange>({
          max: 100,
          ttl: cacheMs,
          fetchMethod: (_key, _stale, { context }) => build(context, new Date()),
        })
      : undefined;

  router.get("/", async (req, res) => {
    const now = new Date();
    const range = resolvePeriod(formQuery(req.query), now);
    const key = `${range.period}|${range.from}|${range.to}|${utcDay(now)}`;
    const view = cache ? await cache.fetch(key, { context: range }) : await build(range, now);
    res
      .status(200)
      .set("Content-Security-Policy", CSP)
      .set("X-Content-Type-Options", "nosniff")
      .set("Cache-Control", "no-store")
      .type("html")
      .send(renderDashboard(view as DashboardView));
  });
  return router;
}

function zeroTotals(): UsageTotals {
  return {
    calls: 0,
    error_calls: 0,
    unpriced_calls: 0,
    input_tokens: 0,
    output_tokens: 0,
    total_tokens: 0,
    cached_input_tokens: 0,
    cache_write_tokens: 0,
    reasoning_tokens: 0,
    token_cost: 0,
    token_cost_exact: "0",
  };
}
