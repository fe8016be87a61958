import type { DbClient } from "@tokenmeter/db";
import { html, type SafeHtml } from "./html.js";

/** The operator's live view: open alerts, latency per service, metering lag and unpriced models. */
export interface OperationsView {
  alerts: Array<{ id: bigint; kind: string; summary: string; openedAt: Date; lastSeenAt: Date }>;
  latency: Array<{
    id: string;
    name: string | null;
    calls: number;
    p50: number;
    p95: number;
    ttfb_p50: number | null;
  }>;
  lag: { p50: number | null; p95: number | null; rows: number };
  unpriced: Array<{ model: string; calls: number; tokens: string }>;
}

/** Reads the operations view; latency, lag and unpriced models cover the last hour of rows. */
export async function readOperations(db: DbClient): Promise<OperationsView> {
  const [alerts, latency, lag, unpriced] = await Promise.all([
    db.alert.findMany({
      where: { state: "open" },
      orderBy: { id: "desc" },
      take: 50,
      select: { id: true, kind: true, summary: true, openedAt: true, lastSeenAt: true },
    }),
    db.$queryRaw<OperationsView["latency"]>`
      SELECT l.api_service_id::text AS id, MAX(s.name) AS name, count(*)::int AS calls,
        percentile_disc(0.5) WITHIN GROUP (ORDER BY l.latency_ms) AS p50,
        percentile_disc(0.95) WITHIN GROUP (ORDER BY l.latency_ms) AS p95,
        percentile_disc(0.5) WITHIN GROUP (ORDER BY l.ttfb_ms) AS ttfb_p50
      FROM usage_logs l LEFT JOIN api_services s ON s.id = l.api_service_id
      WHERE l.request_timestamp >= now() - interval '1 hour'
      GROUP BY l.api_service_id ORDER BY l.api_service_id LIMIT 100`,
    // Metering lag: from the proxy receiving a call to its row being written.
    db.$queryRaw<Array<{ p50: number | null; p95: number | null; rows: number }>>`
      SELECT (percentile_cont(0.5) WITHIN GROUP (ORDER BY lag))::float8 AS p50,
        (percentile_cont(0.95) WITHIN GROUP (ORDER BY lag))::float8 AS p95, count(*)::int AS rows
      FROM (SELECT extract(epoch FROM created_at - request_timestamp) AS lag FROM usage_logs
        WHERE request_timestamp >= now() - interval '1 hour') t`,
    db.$queryRaw<OperationsView["unpriced"]>`
      SELECT model_name AS model, count(*)::int AS calls, sum(total_tokens)::text AS tokens
      FROM usage_logs
      WHERE request_timestamp >= now() - interval '1 hour' AND model_name IS NOT NULL AND total_tokens > 0
        AND (model_price_id IS NULL OR token_cost IS NULL)
      GROUP BY model_name ORDER BY count(*) DESC LIMIT 50`,
  ]);
  return { alerts, latency, lag: lag[0] ?? { p50: null, p95: null, rows: 0 }, unpriced };
}

const fmt = (n: number) => n.toLocaleString("en-US");
const seconds = (s: number | null) => (s === null ? "–" : `${s.toFixed(2)} s`);

/** The operations sections of the dashboard. */
export function renderOperations(ops: OperationsView): SafeHtml {
  const alerts = ops.alerts.length
    ? html`<table><thead><tr><th>#</th><th>Kind</th><th>What</th><th>Opened</th><th>Last seen</th></tr></thead><tbody>${ops.alerts.map(
        (a) =>
          html`<tr><td>${String(a.id)}</td><td>${a.kind}</td><td>${a.summary}</td><td>${a.openedAt.toISOString()}</td><td>${a.lastSeenAt.toISOString()}</td></tr>`,
      )}</tbody></table>`
    : html`<p class="note">No open alerts.</p>`;
  const latency = ops.latency.length
    ? html`<table><thead><tr><th>Service</th><th>Calls</th><th>p50 latency</th><th>p95 latency</th><th>p50 first byte</th></tr></thead><tbody>${ops.latency.map(
        (l) =>
          html`<tr><td>${l.name ?? "(unknown)"} #${l.id}</td><td>${fmt(l.calls)}</td><td>${fmt(l.p50)} ms</td><td>${fmt(l.p95)} ms</td><td>${l.ttfb_p50 === null ? "–" : `${fmt(l.ttfb_p50)} ms`}</td></tr>`,
      )}</tbody></table>`
    : html`<p class="note">No calls in the last hour.</p>`;
  const unpriced = ops.unpriced.length
    ? html`<table class="narrow"><thead><tr><th>Model</th><th>Calls</th><th>Tokens</th></tr></thead><tbody>${ops.unpriced.map(
        (u) => html`<tr><td>${u.model}</td><td>${fmt(u.calls)}</td><td>${u.tokens}</td></tr>`,
      )}</tbody></table><p class="note">Add a price with PUT /admin/model-prices/{model}.</p>`
    : html`<p class="note">Every model seen in the last hour has a price.</p>`;
  return html`<section><h2>Alerts (open)</h2>${alerts}<p class="note">All alerts: GET /admin/alerts · rules: GET /admin/alert-rules</p></section>
<section><h2>Latency per service (last hour)</h2>${latency}</section>
<section><h2>Metering lag (last hour)</h2><p>p50 ${seconds(ops.lag.p50)} · p95 ${seconds(ops.lag.p95)} over ${fmt(ops.lag.rows)} calls · <a href="/admin/queues">Bull Board</a></p></section>
<section><h2>Unpriced models (last hour)</h2>${unpriced}</section>`;
}
