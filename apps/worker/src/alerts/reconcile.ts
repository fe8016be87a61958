import type { DbClient } from "@tokenmeter/db";
import type { Finding } from "./findings.js";

/** An alert row as the evaluator reports and delivers it. */
export interface AlertRecord {
  id: bigint;
  kind: string;
  fingerprint: string;
  state: "open" | "resolved";
  summary: string;
  evidence: Record<string, unknown>;
  opened_at: Date;
  resolved_at: Date | null;
}

/**
 * Brings stored alerts in line with what holds now, for the kinds evaluated: a new fingerprint opens an alert
 * (the unique `open_key` makes a second open alert for it impossible, even from a concurrent evaluator), a
 * known one refreshes its evidence, and an open alert of those kinds whose condition no longer holds resolves.
 */
export async function reconcileAlerts(
  db: DbClient,
  kinds: readonly string[],
  findings: readonly Finding[],
): Promise<{ opened: AlertRecord[]; resolved: AlertRecord[] }> {
  const opened: AlertRecord[] = [];
  for (const f of findings) {
    const rows = await db.$queryRaw<Array<AlertRecord & { inserted: boolean }>>`
      INSERT INTO alerts (kind, fingerprint, open_key, state, summary, evidence)
      VALUES (${f.kind}, ${f.fingerprint}, ${f.fingerprint}, 'open', ${f.summary}, ${JSON.stringify(f.evidence)}::jsonb)
      ON CONFLICT (open_key) DO UPDATE SET last_seen_at = now(), summary = excluded.summary,
        evidence = excluded.evidence
      RETURNING id, kind, fingerprint, state, summary, evidence, opened_at, resolved_at, (xmax = 0) AS inserted`;
    const row = rows[0];
    if (row?.inserted) opened.push(strip(row));
  }
  const resolved = await db.$queryRaw<AlertRecord[]>`
    UPDATE alerts SET state = 'resolved', resolved_at = now(), open_key = NULL
    WHERE state = 'open' AND kind = ANY(${[...kinds]}::text[])
      AND NOT (fingerprint = ANY(${findings.map((f) => f.fingerprint)}::text[]))
    RETURNING id, kind, fingerprint, state, summary, evidence, opened_at, resolved_at`;
  return { opened, resolved };
}

function strip(row: AlertRecord & { inserted: boolean }): AlertRecord {
  const { inserted: _inserted, ...rest } = row;
  return rest;
}
