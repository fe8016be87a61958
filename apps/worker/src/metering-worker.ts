import {
  CAPTURE_BATCH_JOB_NAME,
  type Capture,
  type CaptureSigningKey,
  captureSchema,
  createCaptureConsumer,
  openCaptureBatch,
} from "@tokenmeter/capture";
import {
  type ConfigListener,
  type DbClient,
  isRowDataError,
  listenForConfigChanges,
  type PgPool,
  recordUsage,
  type UsageRow,
} from "@tokenmeter/db";
import {
  decodeCaptureBodies,
  meterCapture,
  packCapture,
  repriceMetered,
  shouldRetainCapture,
} from "@tokenmeter/metering";
import { type ConnectionOptions, type Job, UnrecoverableError, type Worker } from "bullmq";
import type { Logger } from "pino";
import type { z } from "zod";
import { CaptureExpiry } from "./capture-expiry.js";
import { MeteringConfig } from "./metering-config.js";
import type { WorkerMetrics } from "./metrics.js";
import { UsageBatcher } from "./usage-batcher.js";
import { VanishedJobs } from "./vanished-jobs.js";

/** What the metering worker needs. */
export interface MeteringWorkerOptions {
  db: DbClient;
  /** Where usage rows are written: a node-postgres pool (the worker's, see createPgPool) or `db`. */
  ledger?: PgPool;
  /**
   * Where the change counters are read before each batch: a pool of its own (one connection is plenty), so
   * the read never queues behind the ledger's inserts. Default: `db`.
   */
  counters?: PgPool;
  connection: ConnectionOptions;
  prefix: string;
  concurrency: number;
  batchMaxRows: number;
  batchMaxWaitMs: number;
  priceRefreshMs: number;
  /** Shortest time between two price re-reads for one model found without a price (default 1 s). */
  priceMissRecheckMs?: number;
  /** LISTEN for announced price, rule and service changes on a dedicated connection to this database. */
  listenDatabaseUrl?: string;
  /** Days a capture whose usage could not be read is kept for re-metering; 0 keeps none (default 7). */
  captureRetentionDays?: number;
  /** How often expired captures are deleted (default 1 h). */
  captureExpiryIntervalMs?: number;
  /** Job lock duration (and stalled-job check interval). */
  lockMs?: number;
  /** Keys whose signatures are accepted: a batch signed with none of them is rejected, never metered. */
  signingKeys: readonly CaptureSigningKey[];
  logger: Logger;
  metrics: WorkerMetrics;
}

/** A capture's row, and what the metrics count of it once the row is committed. */
interface Metered {
  row: UsageRow;
  source: string;
  parser: string | null;
  parseFailed: boolean;
}

/** A running metering worker. */
export interface MeteringWorker {
  worker: Worker;
  config: MeteringConfig;
  prices: MeteringConfig["prices"];
  rules: MeteringConfig["rules"];
  /** Resolves once announced changes are being listened for (at once without `listenDatabaseUrl`). */
  listening: Promise<void>;
  expiry: CaptureExpiry;
  close(): Promise<void>;
}

/**
 * Consumes captures: validate (a payload that can never succeed fails unrecoverably and stays in the failed
 * set), meter, then record in a shared batch. A job completes only once its row is committed; a failed batch
 * fails its jobs, which BullMQ retries — the unique request id makes the retry harmless.
 */
export async function startMeteringWorker(options: MeteringWorkerOptions): Promise<MeteringWorker> {
  const { db, logger, metrics } = options;
  const config = new MeteringConfig(db, {
    refreshMs: options.priceRefreshMs,
    missRecheckMs: options.priceMissRecheckMs ?? 1000,
    onError: (what, error) => logger.warn({ err: error }, `${what} reload failed; keeping the previous ones`),
    counters: options.counters,
    onCaughtUp: (topic) => metrics.configCaughtUp.inc({ topic }),
    onMissReread: (table) => metrics.missRereads.inc({ table }),
  });
  await config.start();
  let listener: ConfigListener | null = null;
  if (options.listenDatabaseUrl) {
    listener = listenForConfigChanges({
      databaseUrl: options.listenDatabaseUrl,
      onChange: (topic, version) => {
        metrics.configChanges.inc({ topic });
        config.invalidate(topic, version);
      },
      onError: (error) => logger.warn({ err: error.message }, "configuration listener lost; reconnecting"),
    });
  }
  const retentionDays = options.captureRetentionDays ?? 7;
  const expiry = new CaptureExpiry(db, retentionDays, options.captureExpiryIntervalMs ?? 3_600_000, logger);
  expiry.start();

  const batcher = new UsageBatcher(
    async (rows) => {
      const result = await recordUsage(options.ledger ?? db, rows);
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

  // Keeping a capture must never cost its row: a failure to compress it is logged and the row written.
  const retained = async (capture: Capture): Promise<Buffer | null> => {
    try {
      return await packCapture(capture);
    } catch (error) {
      logger.warn({ err: error, requestId: capture.requestId }, "capture could not be kept for re-metering");
      return null;
    }
  };

  // A capture is metered to its row first, and only the row (and what the metrics need) waits for its batch's
  // commit: the decoded bodies and parsed documents are garbage as soon as the row exists, instead of living
  // (thousands of captures in flight, promoted by every scavenge) until the batch is committed.
  const meter = async (captured: Capture, caughtUp: Promise<void>): Promise<Metered> => {
    const capture = await decodeCaptureBodies(captured);
    await caughtUp;
    const context = await config.contextFor(capture);
    let metered = meterCapture(capture, context);
    if (metered.unpricedModel) {
      // A price added since the last load (and its notification missed): read the table once more.
      const book = await config.recheckPrice(metered.unpricedModel);
      if (book) metered = repriceMetered(metered, book, context.service);
    }
    const { usage, row } = metered;
    const keep = retentionDays > 0 && shouldRetainCapture(usage, capture.response.status);
    // The capture is kept as received (bodies still compressed: smaller, and remeter decodes them the same way).
    return {
      row: { ...row, retainedCapture: keep ? await retained(captured) : null },
      source: usage.source,
      parser: usage.parser,
      parseFailed: Boolean(usage.parseError),
    };
  };

  // Counted once the row is committed, so a batch that fails and is retried counts its captures once.
  const record = async ({ row, source, parser, parseFailed }: Metered): Promise<void> => {
    await batcher.add(row);
    metrics.usage.inc({ source, parser: parser ?? "none" });
    if (parseFailed) metrics.parseFailures.inc();
    if (row.tokenCost === null) metrics.unpriced.inc({ model: metrics.unpricedModelLabel(row.modelName) });
    metrics.tokens.inc({ kind: "input" }, row.inputTokens);
    metrics.tokens.inc({ kind: "output" }, row.outputTokens);
    metrics.lagSeconds.observe((Date.now() - row.requestTimestamp.getTime()) / 1000);
  };

  const unrecoverable = (job: Job, detail: string, count = 1): never => {
    metrics.captures.inc({ result: "invalid" }, count);
    logger.error({ jobId: job.id, detail }, "invalid capture payload");
    throw new UnrecoverableError(`invalid capture payload: ${detail}`);
  };

  // A signed batch (the only job the proxy sends): a job from anything else that can write to Redis is rejected
  // and kept in the failed set. Valid captures of a batch are recorded even when others in it are invalid; the
  // job then fails unrecoverably so the invalid ones stay visible.
  const meterBatch = async (job: Job): Promise<void> => {
    // A change committed before this batch's calls were made applies to them, even if its NOTIFY is late: the
    // counters are read while the batch is opened and its bodies decoded, and pricing waits for them.
    const caughtUp = config.catchUp(performance.now());
    const { pending, invalid } = startBatch(job, caughtUp);
    await settleAll(job, pending);
    vanished.remember(job.id);
    if (invalid.length > 0) unrecoverable(job, invalid.slice(0, 5).join(" | "), invalid.length);
  };

  // Opens and validates a batch and starts metering its valid captures. Synchronous, so nothing of the parsed
  // batch is held while its rows wait for their commit (each pending row holds only its own capture, until
  // it is metered).
  const startBatch = (job: Job, caughtUp: Promise<void>): { pending: Promise<void>[]; invalid: string[] } => {
    const batch = openCaptureBatch(job.data, options.signingKeys);
    if (!batch.ok) {
      metrics.batchesRejected.inc({ reason: batch.reason });
      logger.warn({ jobId: job.id, reason: batch.reason }, "capture batch rejected");
      throw new UnrecoverableError(`capture batch rejected (${batch.reason}): ${batch.detail}`);
    }
    const pending: Promise<void>[] = [];
    const invalid: string[] = [];
    batch.captures.forEach((raw, i) => {
      const parsed = captureSchema.safeParse(raw);
      if (parsed.success) pending.push(meter(parsed.data, caughtUp).then(record));
      else invalid.push(`captures[${i}]: ${describe(parsed.error)}`);
    });
    return { pending, invalid };
  };

  // Jobs whose rows were committed lately: if Redis then loses the job (it restarted), BullMQ's failure to
  // finish it is the benign race it is, not an error.
  const vanished = new VanishedJobs(logger, metrics);

  // Any failure that may pass (the database away) fails the job for a retry; rows the database can never
  // store fail it unrecoverably, after every other row of the job has been recorded.
  const settleAll = async (job: Job, pending: readonly Promise<void>[]): Promise<void> => {
    const results = await Promise.allSettled(pending);
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

  // The capture queue's job catalogue, one handler per job name.
  const worker = createCaptureConsumer({
    connection: options.connection,
    prefix: options.prefix,
    concurrency: options.concurrency,
    lockMs: options.lockMs,
    handlers: { [CAPTURE_BATCH_JOB_NAME]: meterBatch },
    logger,
    onError: vanished.onError,
  });
  worker.on("failed", (job, error) => {
    if (!(error instanceof UnrecoverableError)) metrics.captures.inc({ result: "failed" });
    logger.warn({ jobId: job?.id, attempts: job?.attemptsMade, err: error.message }, "capture job failed");
  });

  return {
    worker,
    config,
    prices: config.prices,
    rules: config.rules,
    listening: listener ? listener.ready : Promise.resolve(),
    expiry,
    async close() {
      await worker.close();
      await batcher.drain();
      config.stop();
      expiry.stop();
      await listener?.close();
    },
  };
}
