import type { UsageTotals } from "@tokenmeter/db";
import type { QueueCounts } from "../queue-stats.js";
import type { DayRange } from "../usage/period.js";
import { type Bar, barChart } from "./chart.js";
import { html, type SafeHtml } from "./html.js";
import { type OperationsView, renderOperations } from "./operations.js";
import { STYLE } from "./style.js";

/** A labelled row of one of the dashboard's tables. */
export type LabelledTotals = UsageTotals & { label: string };

/** Everything the dashboard page shows; gathered by the route, rendered here. */
export interface DashboardView {
  range: DayRange;
  today: string;
  total: UsageTotals;
  tables: Array<{ title: string; keyHeading: string; rows: LabelledTotals[]; omitted: number }>;
  last30: Array<{ day: string; totals: UsageTotals }>;
  queue: QueueCounts | null;
  operations: OperationsView;
  generatedAt: Date;
}

const fmt = (n: number) => n.toLocaleString("en-US");

function totalsRow(label: string, t: UsageTotals): SafeHtml {
  return html`<tr><td>${label}</td><td>${fmt(t.calls)}</td><td>${fmt(t.error_calls)}</td><td>${fmt(t.unpriced_calls)}</td>
<td>${fmt(t.input_tokens)}</td><td>${fmt(t.output_tokens)}</td><td>${fmt(t.total_tokens)}</td><td>$${t.token_cost_exact}</td></tr>`;
}

function table(t: DashboardView["tables"][number]): SafeHtml {
  const body = t.rows.length
    ? t.rows.map((row) => totalsRow(row.label, row))
    : html`<tr><td colspan="8" class="empty">no usage in this period</td></tr>`;
  const more = t.omitted > 0 ? html`<p class="note">${t.omitted} more not shown (lowest cost).</p>` : "";
  return html`<section><h2>${t.title}</h2><table><thead><tr><th>${t.keyHeading}</th><th>Calls</th><th>Errors</th>
<th>Unpriced</th><th>Input tokens</th><th>Output tokens</th><th>Total tokens</th><th>Cost (USD)</th></tr></thead>
<tbody>${body}</tbody></table>${more}</section>`;
}

function periodForm(view: DashboardView): SafeHtml {
  const custom = view.range.period === "custom";
  const option = (value: string, text: string) =>
    html`<option value="${value}"${view.range.period === value ? html` selected` : ""}>${text}</option>`;
  return html`<form method="get" action="/dashboard">
<label>Period <select name="period">${option("monthly", "This month")}${option("daily", "Today")}</select></label>
<label>or from <input type="date" name="from" value="${custom ? view.range.from : ""}"></label>
<label>to <input type="date" name="to" value="${custom ? view.range.to : ""}"></label>
<button type="submit">Show</button>
<a href="/dashboard?period=daily">Today</a> · <a href="/dashboard?period=monthly">This month</a> ·
<a href="/dashboard?from=${view.last30[0]?.day ?? view.today}&amp;to=${view.today}">Last 30 days</a>
</form>`;
}

function queueSection(queue: QueueCounts | null): SafeHtml {
  const body = queue
    ? html`<table class="narrow"><tbody>${Object.entries(queue).map(
        ([state, count]) => html`<tr><td>${state}</td><td>${fmt(count)}</td></tr>`,
      )}</tbody></table>`
    : html`<p class="warn">Redis is unavailable: queue counts cannot be read.</p>`;
  return html`<section><h2>Captures queue</h2>${body}<p><a href="/admin/queues">Open Bull Board</a></p></section>`;
}

function charts(last30: DashboardView["last30"]): SafeHtml {
  const bars = (pick: (t: UsageTotals) => number, text: (t: UsageTotals) => string): Bar[] =>
    last30.map(({ day, totals }) => ({ value: pick(totals), label: day, title: `${day}: ${text(totals)}` }));
  return html`<section class="charts">
${barChart(
  "Cost per day, last 30 days (USD)",
  bars(
    (t) => t.token_cost,
    (t) => `$${t.token_cost_exact}`,
  ),
)}
${barChart(
  "Tokens per day, last 30 days",
  bars(
    (t) => t.total_tokens,
    (t) => `${fmt(t.total_tokens)} tokens, ${fmt(t.calls)} calls`,
  ),
)}
</section>`;
}

/** The whole dashboard page: every value from the database goes through `html`'s escaping. */
export function renderDashboard(view: DashboardView): string {
  const { range, total } = view;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>tokenmeter dashboard</title><style>${STYLE}</style></head>
<body><header><h1>tokenmeter</h1><span>usage ${range.from} → ${range.to} (${range.period}, UTC)</span></header>
<main>${periodForm(view)}
<section class="cards">
<div><b>$${total.token_cost_exact}</b><span>indicative cost</span></div>
<div><b>${fmt(total.calls)}</b><span>calls (${fmt(total.error_calls)} errors)</span></div>
<div><b>${fmt(total.total_tokens)}</b><span>tokens (${fmt(total.input_tokens)} in / ${fmt(total.output_tokens)} out)</span></div>
<div><b>${fmt(total.unpriced_calls)}</b><span>unpriced calls (not in cost)</span></div>
</section>
${renderOperations(view.operations)}
${charts(view.last30)}
${view.tables.map(table)}
${queueSection(view.queue)}
<p class="note">Generated ${view.generatedAt.toISOString()} from daily rollups.</p>
</main></body></html>`.value;
}
