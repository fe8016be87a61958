import type { DbClient } from "@tokenmeter/db";
import {
  type BreakdownKey,
  type GroupBy,
  type UsageTotals,
  usageBreakdown,
  usageByService,
} from "@tokenmeter/db";
import type { Queue } from "bullmq";
import { Decimal } from "decimal.js";
import express, { type Router } from "express";
import { readOperations } from "../dashboard/operations.js";
import { type DashboardView, type LabelledTotals, renderDashboard } from "../dashboard/page.js";
import { readQueueCounts } from "../queue-stats.js";
import { addDays, resolvePeriod, utcDay } from "../usage/period.js";

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

/** `GET /dashboard`: totals by buyer, service, model and day for a chosen period, plus queue counts. */
export function dashboardRouter(deps: { db: DbClient; queue?: Queue }): Router {
  const router = express.Router();
  router.get("/", async (req, res) => {
    const now = new Date();
    const range = resolvePeriod(formQuery(req.query), now);
    const today = utcDay(now);
    const window = { from: addDays(today, -29), to: today };
    const filter = { from: range.from, to: range.to };
    const breakdown = (groupBy: GroupBy) => usageBreakdown(deps.db, groupBy, filter);
    const [summary, buyers, services, models, days, recent, queue, operations] = await Promise.all([
      usageByService(deps.db, filter),
      breakdown("buyer"),
      breakdown("service"),
      breakdown("model"),
      breakdown("day"),
      usageBreakdown(deps.db, "day", window),
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
    const recentByDay = new Map(recent.map((row) => [label(row), row]));
    const empty = (day: string) => ({ day, totals: zeroTotals() });
    const view: DashboardView = {
      range,
      today,
      total: summary.total,
      tables: [
        ranked("By buyer", "Buyer", buyers),
        ranked("By API service", "Service", services),
        ranked("By model", "Model", models),
        {
          title: "By day",
          keyHeading: "Day (UTC)",
          rows: days.map((row) => ({ ...row, label: label(row) })).slice(-366),
          omitted: Math.max(0, days.length - 366),
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
    res
      .status(200)
      .set("Content-Security-Policy", CSP)
      .set("X-Content-Type-Options", "nosniff")
      .set("Cache-Control", "no-store")
      .type("html")
      .send(renderDashboard(view));
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
