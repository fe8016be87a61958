import type { Capture } from "@tokenmeter/capture";
import { type DbClient, type LedgerCorrection, readLedgerRows, readRetainedCaptures } from "@tokenmeter/db";
import type { PriceBook } from "@tokenmeter/pricing";
import { unpackCapture } from "./capture-retention.js";
import { decodeCaptureBodies } from "./decode-capture.js";
import { meterCapture } from "./meter-capture.js";
import { DEFAULT_REPAIR_CHUNK, type RepairResult, runRepair } from "./repair-run.js";
import { DEFAULT_SERVICE_SETTINGS, type ServiceSettings } from "./service-settings.js";
import { rulesFor, type ScopedUsageRule } from "./usage-rules.js";

/** Which retained captures to parse again: request_timestamp in [from, to). */
export interface RemeterRequest {
  from: Date;
  to: Date;
  dryRun: boolean;
  actor: string;
  chunkSize?: number;
}

/** Parsers' inputs as they are now: prices, operators' rules and service settings. */
export interface RemeterInputs {
  prices: PriceBook;
  rules: readonly ScopedUsageRule[];
  services: ReadonlyMap<number, ServiceSettings>;
}

/** A remeter's result, plus the captures that could not be read back (counted, never fatal). */
export interface RemeterResult extends RepairResult {
  unreadableCaptures: number;
}

/**
 * Parses the retained captures of a window again with the current parsers, rules, service settings and
 * prices, and corrects their rows (tokens, model, source, cost) the way `reprice` corrects costs: dry run
 * first, chunks in one transaction each, audited, idempotent.
 */
export async function remeter(
  db: DbClient,
  req: RemeterRequest,
  inputs: RemeterInputs,
): Promise<RemeterResult> {
  let afterRequestId: string | null = null;
  let unreadable = 0;
  const result = await runRepair(
    db,
    {
      dryRun: req.dryRun,
      audit: {
        kind: "remeter",
        actor: req.actor,
        params: { from: req.from.toISOString(), to: req.to.toISOString() },
      },
    },
    async (tx, lock) => {
      const kept = await readRetainedCaptures(tx, {
        from: req.from,
        to: req.to,
        afterRequestId,
        limit: req.chunkSize ?? DEFAULT_REPAIR_CHUNK,
      });
      const last = kept.at(-1);
      if (!last) return null;
      afterRequestId = last.requestId;
      const captures: Capture[] = [];
      for (const k of kept) {
        try {
          // Kept as the proxy sent it: compressed bodies are decoded off the event loop, as the worker does.
          captures.push(await decodeCaptureBodies(await unpackCapture(k.gzip)));
        } catch {
          unreadable += 1;
        }
      }
      const rows = await readLedgerRows(
        tx,
        captures.map((c) => c.requestId),
        { forUpdate: lock },
      );
      const byRequest = new Map(rows.map((r) => [r.requestId, r]));
      const corrections: LedgerCorrection[] = [];
      for (const capture of captures) {
        const before = byRequest.get(capture.requestId);
        if (!before) continue;
        const { row } = meterCapture(capture, {
          prices: inputs.prices,
          rules: rulesFor(inputs.rules, capture.serviceId),
          service: inputs.services.get(capture.serviceId) ?? DEFAULT_SERVICE_SETTINGS,
        });
        corrections.push({ before, after: row });
      }
      return corrections;
    },
  );
  return { ...result, unreadableCaptures: unreadable };
}
