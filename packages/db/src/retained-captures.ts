import type { LedgerTx } from "./ledger-corrections.js";

/** A kept capture: the gzip of its JSON, and the row it belongs to. */
export interface RetainedCapture {
  requestId: string;
  apiServiceId: bigint;
  requestTimestamp: Date;
  gzip: Buffer;
}

/** Kept captures with request_timestamp in [from, to), after `afterRequestId` in request id order (keyset). */
export async function readRetainedCaptures(
  db: LedgerTx,
  q: { from: Date; to: Date; afterRequestId: string | null; limit: number },
): Promise<RetainedCapture[]> {
  const rows = await db.$queryRawUnsafe<
    { request_id: string; api_service_id: bigint; request_timestamp: Date; capture: Uint8Array }[]
  >(
    `SELECT request_id::text AS request_id, api_service_id, request_timestamp, capture FROM usage_captures
     WHERE request_timestamp >= $1 AND request_timestamp < $2 AND request_id > $3::uuid
     ORDER BY request_id LIMIT $4`,
    q.from,
    q.to,
    q.afterRequestId ?? "00000000-0000-0000-0000-000000000000",
    q.limit,
  );
  return rows.map((r) => ({
    requestId: r.request_id,
    apiServiceId: BigInt(r.api_service_id),
    requestTimestamp: r.request_timestamp,
    gzip: Buffer.from(r.capture),
  }));
}

/**
 * Deletes captures kept before `before`, at most `limit` per statement so a large backlog never holds long
 * locks; returns how many went. Call until it returns less than `limit`.
 */
export async function deleteExpiredCaptures(db: LedgerTx, before: Date, limit = 5000): Promise<number> {
  return db.$executeRawUnsafe(
    `DELETE FROM usage_captures WHERE request_id IN (
       SELECT request_id FROM usage_captures WHERE created_at < $1 ORDER BY created_at LIMIT $2)`,
    before,
    limit,
  );
}
