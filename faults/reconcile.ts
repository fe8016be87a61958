import type pg from "pg";

/** What a scenario's rows say about its answered calls. */
export interface Reconciliation {
  scenario: string;
  answered: number;
  rows: number;
  missing: number;
  duplicates: number;
  /** Rows for calls the load never saw answered (cut by a kill or an outage): metered, not expected. */
  unanswered: number;
  tokens: number;
  expectedTokens: number;
  rollupCalls: number;
  rollupTokens: number;
  rowTokens: number;
  drainMs: number | null;
  missingIds: string[];
}

/** Waits until every answered call has its row (or `timeoutMs`); returns how long that took, or null. */
export async function waitForRows(db: pg.Client, ids: string[], timeoutMs: number): Promise<number | null> {
  const started = Date.now();
  for (;;) {
    const { rows } = await db.query<{ n: string }>(
      "SELECT count(*) AS n FROM usage_logs WHERE request_id = ANY($1::uuid[])",
      [ids],
    );
    if (Number(rows[0]?.n) >= ids.length) return Date.now() - started;
    if (Date.now() - started > timeoutMs) return null;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Reconciles answered calls (each expected to report `tokensPerCall`) against the buyer's rows and rollups. */
export async function reconcile(
  db: pg.Client,
  scenario: string,
  buyerId: number,
  answered: string[],
  tokensPerCall: number,
  drainMs: number | null,
): Promise<Reconciliation> {
  const rows = await db.query<{ request_id: string; total_tokens: string }>(
    "SELECT request_id::text, total_tokens FROM usage_logs WHERE buyer_user_id = $1",
    [buyerId],
  );
  const seen = new Map<string, number>();
  for (const r of rows.rows) seen.set(r.request_id, (seen.get(r.request_id) ?? 0) + 1);
  const answeredSet = new Set(answered);
  const missingIds = answered.filter((id) => !seen.has(id));
  let duplicates = answered.length - answeredSet.size;
  for (const n of seen.values()) if (n > 1) duplicates += n - 1;
  let tokens = 0;
  let rowTokens = 0;
  for (const r of rows.rows) {
    rowTokens += Number(r.total_tokens);
    if (answeredSet.has(r.request_id)) tokens += Number(r.total_tokens);
  }
  const rollup = await db.query<{ calls: string | null; tokens: string | null }>(
    "SELECT sum(calls) AS calls, sum(total_tokens) AS tokens FROM usage_daily_rollups WHERE buyer_user_id = $1",
    [buyerId],
  );
  return {
    scenario,
    answered: answered.length,
    rows: rows.rows.length,
    missing: missingIds.length,
    duplicates,
    unanswered: rows.rows.filter((r) => !answeredSet.has(r.request_id)).length,
    tokens,
    expectedTokens: answered.length * tokensPerCall,
    rollupCalls: Number(rollup.rows[0]?.calls ?? 0),
    rollupTokens: Number(rollup.rows[0]?.tokens ?? 0),
    rowTokens,
    drainMs,
    missingIds: missingIds.slice(0, 5),
  };
}

/** The reconciliation as a plain-text table, one line per scenario. */
export function formatTable(results: readonly Reconciliation[]): string {
  const head = [
    "scenario",
    "answered",
    "rows",
    "missing",
    "dup",
    "unanswered rows",
    "tokens / expected",
    "rollups calls / rows",
    "rollup tokens / rows",
    "drain",
  ];
  const body = results.map((r) => [
    r.scenario,
    String(r.answered),
    String(r.rows),
    String(r.missing),
    String(r.duplicates),
    String(r.unanswered),
    `${r.tokens} / ${r.expectedTokens}`,
    `${r.rollupCalls} / ${r.rows}`,
    `${r.rollupTokens} / ${r.rowTokens}`,
    r.drainMs === null ? "timeout" : `${(r.drainMs / 1000).toFixed(1)} s`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? "").length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(head), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...body.map(line)].join("\n");
}
