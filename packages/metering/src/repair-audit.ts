import type { DbClient, LedgerTx } from "@tokenmeter/db";
import type { RepairSummary, RepairTally } from "./repair-tally.js";

/** Which repair, who asked for it, and with what parameters (stored as given, JSON). */
export interface RepairAuditStart {
  kind: "reprice" | "remeter";
  actor: string;
  params: Record<string, unknown>;
}

/** Opens the audit row of an applied repair (status "running"); returns its id. */
export async function openRepairAudit(db: DbClient, start: RepairAuditStart): Promise<bigint> {
  const row = await db.ledgerAdjustment.create({
    data: { kind: start.kind, actor: start.actor.slice(0, 200), params: start.params as object },
    select: { id: true },
  });
  return row.id;
}

/**
 * Adds one committed chunk to the audit row, inside the chunk's transaction: the audit never claims a
 * change that was rolled back, nor misses one that was committed.
 */
export async function recordRepairChunk(
  tx: LedgerTx,
  id: bigint,
  before: ReturnType<RepairTally["mark"]>,
  after: ReturnType<RepairTally["mark"]>,
): Promise<void> {
  await tx.ledgerAdjustment.update({
    where: { id },
    data: {
      rowsScanned: { increment: after.rows - before.rows },
      rowsChanged: { increment: after.rowsChanged - before.rowsChanged },
      oldTotal: { increment: after.oldTotal.minus(before.oldTotal).toFixed() },
      newTotal: { increment: after.newTotal.minus(before.newTotal).toFixed() },
    },
  });
}

/** Closes the audit row: "done" with the per-model breakdown, or "failed" with the reason. */
export async function closeRepairAudit(
  db: DbClient,
  id: bigint,
  outcome: { summary: RepairSummary } | { error: string },
): Promise<void> {
  await db.ledgerAdjustment.update({
    where: { id },
    data:
      "summary" in outcome
        ? { status: "done", byModel: outcome.summary.byModel as object[], finishedAt: new Date() }
        : { status: "failed", error: outcome.error.slice(0, 1000), finishedAt: new Date() },
  });
}
