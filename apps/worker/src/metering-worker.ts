import {
  CAPTURE_QUEUE_NAME,
  type Capture,
  type CaptureSigningKey,
  captureSchema,
  openCaptureBatch,
} from "@tokenmeter/capture";
import { type DbClient, isRowDataError, recordUsage } from "@tokenmeter/db";
import { PriceBook } from "@tokenmeter/pricing";
import { type ConnectionOptions, type Job, UnrecoverableError, Worker } from "bullmq";
import type { Logger } from "pino";
import type { z } from "zod";
import { decodeCaptureBodies } from "./decode-capture.js";
import { meterCapture } from "./meter-capture.js";
import type { WorkerMetrics } from "./metrics.js";
import { loadPriceBook } from "./price-table.js";
import { RefreshingValue } from "./refreshing-value.js";
import { UsageBatcher } from "./usage-batcher.js";
import { loadUsageRules, rulesFor, type ScopedUsageRule } from "./usage-rules.js";

/** What the metering worker needs. */
export interface MeteringWorkerOptions {
  db: DbClient;
  connection: ConnectionOptions;
  prefix: string;
  concurrency: number;
  batchMaxRows: number;
  batchMaxWaitMs: number;
  priceRefreshMs: number;
  /** Job lock duration (and stalled-job check interval). */
  lockMs?: number;
  /** Keys whose signatures are accepted: a batch signed with none of them is rejected, never metered. */
  signingKeys: readonly CaptureSigningKey[];
  logger: Logger;
  metrics: WorkerMetrics;
}

/** A running metering worker. */
export interface MeteringWorker {
  worker: Worker;
  prices: RefreshingValue<PriceBook>;
  rules: RefreshingValue<ScopedUsageRule[]>;
  close(): Promise<void>;
}

/**
 * Consumes captures: validate (a payload that can never succeed fails unrecoverably and stays in the failed
 * set), meter, then record in a shared batch. A job completes only once its row is committed; a failed batch
 * fails its jobs, which BullMQ retries — the unique request id makes the retry harmless.
 */
export async function startMeteringWorker(options: MeteringWorkerOptions): Promise<MeteringWorker> {
  const { db, logger, metrics } = options;
  const prices = new RefreshingValue(
    () => loadPriceBook(db),
    new PriceBook([]),
    options.priceRefreshMs,
    (error) => logger.warn({ err: error }, "price table reload failed; keeping the previous one"),
  );
  const rules = new RefreshingValue<ScopedUsageRule[]>(
    () => loadUsageRules(db),
    [],
    options.priceRefreshMs,
    (error) => logger.warn({ err: error }, "usage rules reload failed; keeping the previous ones"),
  );
  await Promise.all([prices.start(), rules.start()]);

  const batcher = new UsageBatcher(
    async (rows) => {
      const result = await recordUsage(db, rows);
      if (result.duplicates > 0) metrics.captures.inc({ result: "duplicate" }, result.duplicates);
      metrics.captures.inc({ result: "recorded" }, result.inserted);
      return result;
    },
    options.batchMaxRows,
    options.batchMaxWaitMs,
    (size, result, ms) => {
      metrics.batchSize.observe(size);
      metrics.batchSeconds.observe({ outcome: result ? "ok" : "error" }, ms / 1000);
      logger.debug({ size, inserted: result?.inserted ?? null, ms: Math.round(ms) }, "batch written");
    },
    isRowDataError,
  );

  const describe = (error: z.ZodError) =>
    error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join(".")}: ${i.message}`)
      .join("; ");

  const meterAndRecord = async (captured: Capture): Promise<void> => {
    const capture = await decodeCaptureBodies(captured);
    const metered = meterCapture(capture, prices.current(), rulesFor(rules.current(), capture.serviceId));
    await batcher.add(metered.row);
    const { usage, row } = metered;
    metrics.usage.inc({ source: usage.source, parser: usage.parser ?? "none" });
    if (usage.parseError) metrics.parseFailures.inc();
    if (!metered.priced && row.totalTokens > 0)
      metrics.unpriced.inc({ model: (row.modelName ?? "").slice(0, 64) });
    metrics.tokens.inc({ kind: "input" }, row.inputTokens);
    metrics.tokens.inc({ kind: "output" }, row.outputTokens);
    metrics.lagSeconds.observe((Date.now() - row.requestTimestamp.getTime()) / 1000);
  };

  const unrecoverable = (job: Job, detail: string, count = 1): never => {
    metrics.captures.inc({ result: "invalid" }, count);
    logger.error({ jobId: job.id, detail }, "invalid capture payload");
    throw new UnrecoverableError(`invalid capture payload: ${detail}`);
  };

  // Only signed batches are metered: a job from anything else that can write to Redis is rejected and kept
  // in the failed set. Valid captures of a batch are recorded even when others in it are invalid; the job then
  // fails unrecoverably so the invalid ones stay visible.
  const process = async (job: Job): Promise<void> => {
    const batch = openCaptureBatch(job.data, options.signingKeys);
    if (!batch.ok) {
      metrics.batchesRejected.inc({ reason: batch.reason });
      logger.warn({ jobId: job.id, reason: batch.reason }, "capture batch rejected");
      throw new UnrecoverableError(`capture batch rejected (${batch.reason}): ${batch.detail}`);
    }
    const valid: Capture[] = [];
    const invalid: string[] = [];
    batch.captures.forEach((raw, i) => {
      const parsed = captureSchema.safeParse(raw);
      if (parsed.success) valid.push(parsed.data);
      else invalid.push(`captures[${i}]: ${describe(parsed.error)}`);
    });
    await recordAll(job, valid);
    if (invalid.length > 0) unrecoverable(job, invalid.slice(0, 5).join(" | "), invalid.length);
  };

  // Any failure that may pass (the database away) fails the job for a retry; rows the database can never
  // store fail it unrecoverably, after every other row of the job has been recorded.
  const recordAll = async (job: Job, captures: readonly Capture[]): Promise<void> => {
    const results = await Promise.allSettled(captures.map(meterAndRecord));
    const errors = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
    const transient = errors.find((e) => !isRowDataError(e));
    if (transient !== undefined) throw transient;
    if (errors.length > 0) {
      metrics.captures.inc({ result: "unstorable" }, errors.length);
      logger.error(
        { jobId: job.id, rows: errors.length, err: String(errors[0]) },
        "rows the database cannot store",
      );
      throw new UnrecoverableError(
        `${errors.length} row(s) cannot be stored: ${String(errors[0]).slice(0, 300)}`,
      );
    }
  };

  const worker = new Worker(CAPTURE_QUEUE_NAME, process, {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: options.concurrency,
    autorun: true,
    // A crashed worker's active jobs become "stalled" and are taken over by another worker; the unique
    // request id makes the second attempt harmless if the first had already committed its row.
    lockDuration: options.lockMs ?? 30_000,
    stalledInterval: options.lockMs ?? 30_000,
    maxStalledCount: 5,
  });
  worker.on("error", (error) => logger.error({ err: error }, "worker error"));
  worker.on("failed", (job, error) => {
    if (!(error instanceof UnrecoverableError)) metrics.captures.inc({ result: "failed" });
    logger.warn({ jobId: job?.id, attempts: job?.attemptsMade, err: error.message }, "capture job failed");
  });

  return {
    worker,
    prices,
    rules,
    async close() {
      await worker.close();
      await batcher.drain();
      prices.stop();
      rules.stop();
    },
  };
}
