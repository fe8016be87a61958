import { type DbClient, type LedgerRow, ledgerIdRange, readLedgerChunk } from "@tokenmeter/db";
import { Decimal, type ModelPrice, PriceBook } from "@tokenmeter/pricing";
import { priceUsage } from "./price-usage.js";
import { DEFAULT_REPAIR_CHUNK, type RepairResult, runRepair } from "./repair-run.js";
import { DEFAULT_SERVICE_SETTINGS, pricedModelName, type ServiceSettings } from "./service-settings.js";

/** Which rows to reprice: request_timestamp in [from, to), optionally one model (as a price name) and service. */
export interface RepriceRequest {
  from: Date;
  to: Date;
  /** Rows a price under this name would apply to (dated snapshots included, as the price book matches). */
  model?: string;
  apiServiceId?: bigint;
  dryRun: boolean;
  actor: string;
  chunkSize?: number;
}

/** Prices and service settings as they are now (loaded once per run: one consistent snapshot). */
export interface RepriceInputs {
  prices: PriceBook;
  services: ReadonlyMap<number, ServiceSettings>;
}

// A one-entry book answers "would a price named M apply to this row's model?" with the same matching rules.
function modelMatcher(model: string | undefined): ((name: string) => boolean) | null {
  if (model === undefined) return null;
  const probe: ModelPrice = {
    id: null,
    model,
    source: "custom",
    origin: null,
    usdPer1kInputTokens: new Decimal(0),
    usdPer1kOutputTokens: new Decimal(0),
    usdPer1kCachedInputTokens: null,
    usdPer1kCacheWriteTokens: null,
    usdPer1kCacheWrite1hTokens: null,
    tiers: [],
    effectiveFrom: new Date(0),
  };
  const book = new PriceBook([probe]);
  const at = new Date(0);
  return (name) => book.find(name, at) !== null;
}

/**
 * Recomputes the cost of stored rows from their token columns with the price effective at each row's
 * request_timestamp (`priceUsage`, the rule metering uses). Dry run: the diff only. Applied: rows and
 * rollups per chunk in one transaction each, audited; idempotent.
 */
export async function reprice(
  db: DbClient,
  req: RepriceRequest,
  inputs: RepriceInputs,
): Promise<RepairResult> {
  const matches = modelMatcher(req.model);
  const settingsOf = (row: LedgerRow) =>
    inputs.services.get(Number(row.apiServiceId)) ?? DEFAULT_SERVICE_SETTINGS;
  const range = await ledgerIdRange(db, { from: req.from, to: req.to });
  let afterId = range ? range.first - 1n : 0n;
  return runRepair(
    db,
    {
      dryRun: req.dryRun,
      audit: {
        kind: "reprice",
        actor: req.actor,
        params: {
          from: req.from.toISOString(),
          to: req.to.toISOString(),
          model: req.model ?? null,
          api_service_id: req.apiServiceId === undefined ? null : Number(req.apiServiceId),
        },
      },
    },
    async (tx, lock) => {
      if (!range) return null;
      const rows = await readLedgerChunk(tx, {
        from: req.from,
        to: req.to,
        afterId,
        lastId: range.last,
        apiServiceId: req.apiServiceId,
        limit: req.chunkSize ?? DEFAULT_REPAIR_CHUNK,
        forUpdate: lock,
      });
      const last = rows.at(-1);
      if (!last) return null;
      afterId = last.id;
      return rows
        .filter((row) => {
          if (!matches) return true;
          return row.modelName !== null && matches(pricedModelName(row.modelName, settingsOf(row)));
        })
        .map((row) => {
          const price = priceUsage(row, row.modelName, row.requestTimestamp, inputs.prices, settingsOf(row));
          return {
            before: row,
            after: { ...row, tokenCost: price.tokenCost, modelPriceId: price.modelPriceId },
          };
        });
    },
  );
}
