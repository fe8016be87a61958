import {
  applyLedgerCorrections,
  type DbClient,
  type LedgerCorrection,
  type LedgerTx,
  meteredValuesDiffer,
} from "@tokenmeter/db";
import {
  closeRepairAudit,
  openRepairAudit,
  type RepairAuditStart,
  recordRepairChunk,
} from "./repair-audit.js";
import { type RepairSummary, RepairTally } from "./repair-tally.js";

/** Rows per chunk: one short transaction each, so ingestion (which shares the rollup rows) never waits long. */
export const DEFAULT_REPAIR_CHUNK = 500;

/** The result of a repair: the diff, and the audit row when it was applied. */
export interface RepairResult extends RepairSummary {
  dryRun: boolean;
  adjustmentId: bigint | null;
}

/**
 * Reads the next chunk's corrections (in `tx`, locking the rows when `lock`), or null when the window is
 * exhausted. Corrections may include unchanged rows: they are counted, not written.
 */
export type ChunkReader = (tx: LedgerTx, lock: boolean) => Promise<LedgerCorrection[] | null>;

/**
 * Runs a repair chunk by chunk. A dry run only reads. Applying opens an audit row, then per chunk, in one
 * transaction: lock and read the rows, write what changed, move the rollups, add the chunk to the audit row.
 * Re-running changes nothing: every correction is computed from what is stored at that moment.
 */
export async function runRepair(
  db: DbClient,
  options: { dryRun: boolean; audit: RepairAuditStart },
  readChunk: ChunkReader,
): Promise<RepairResult> {
  const tally = new RepairTally();
  const count = (corrections: readonly LedgerCorrection[]) => {
    for (const c of corrections) tally.add(c.before, c.after, meteredValuesDiffer(c.before, c.after));
  };
  if (options.dryRun) {
    for (;;) {
      const corrections = await readChunk(db, false);
      if (corrections === null) break;
      count(corrections);
    }
    return { ...tally.summary(), dryRun: true, adjustmentId: null };
  }
  const auditId = await openRepairAudit(db, options.audit);
  try {
    for (;;) {
      const done = await db.$transaction(
        async (tx) => {
          const corrections = await readChunk(tx, true);
          if (corrections === null) return true;
          const before = tally.mark();
          await applyLedgerCorrections(tx, corrections);
          count(corrections);
          await recordRepairChunk(tx, auditId, before, tally.mark());
          return false;
        },
        { maxWait: 10_000, timeout: 120_000 },
      );
      if (done) break;
    }
  } catch (error) {
    await closeRepairAudit(db, auditId, {
      error: error instanceof Error ? error.message : String(error),
    }).catch(() => {});
    throw error;
  }
  const summary = tally.summary();
  await closeRepairAudit(db, auditId, { summary });
  return { ...summary, dryRun: false, adjustmentId: auditId };
}
