import { type ConnectionOptions, type Job, Queue, UnrecoverableError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { CaptureJob } from "./capture-batch.js";
import {
  CAPTURE_JOB_OPTIONS,
  CAPTURE_QUEUE_NAME,
  type CaptureJobName,
  DEFAULT_QUEUE_PREFIX,
  isCaptureJobName,
} from "./queue.js";

/** The two log levels the queue's listeners use (a pino logger fits). */
export interface QueueLogger {
  warn(fields: object, message: string): void;
  debug(fields: object, message: string): void;
}

/** Redis keys of the capture queue that tell a batch's fate. */
export interface CaptureQueueKeys {
  completed: string;
  failed: string;
  job(id: string): string;
}

/** The sending side of the capture queue. */
export interface CaptureProducer {
  /** The BullMQ queue, for reads (counts, dashboards); send with `enqueueCaptures`. */
  queue: Queue;
  keys: CaptureQueueKeys;
  /** Adds signed batch jobs in one round trip; rejects when Redis does not take them. */
  enqueueCaptures(jobs: readonly CaptureJob[]): Promise<void>;
  close(): Promise<void>;
}

/** Where the capture queue lives. */
export interface CaptureQueueOptions {
  connection: Redis;
  /** Queue prefix (default `{tokenmeter}`). */
  prefix?: string;
  logger: QueueLogger;
}

/**
 * The capture queue as a producer (the proxy, and anything that reads the queue's state): the connection and
 * prefix it lives on, the default job options, and its error listener. The connection is the caller's: its
 * retry policy is the caller's choice (the proxy fails fast and journals instead of waiting).
 */
export function createCaptureProducer(options: CaptureQueueOptions): CaptureProducer {
  const queue = new Queue(CAPTURE_QUEUE_NAME, {
    connection: options.connection,
    prefix: options.prefix ?? DEFAULT_QUEUE_PREFIX,
    defaultJobOptions: CAPTURE_JOB_OPTIONS,
  });
  // The connection reports its own errors; the queue repeats them.
  queue.on("error", (error) => options.logger.debug({ err: error.message }, "capture queue error"));
  return {
    queue,
    keys: {
      completed: queue.keys.completed as string,
      failed: queue.keys.failed as string,
      job: (id) => queue.toKey(id),
    },
    async enqueueCaptures(jobs) {
      await queue.addBulk(jobs as CaptureJob[]);
    },
    close: () => queue.close(),
  };
}

/** One handler per job name of the catalogue. */
export type CaptureJobHandlers = { [N in CaptureJobName]: (job: Job<unknown, void, N>) => Promise<void> };

/** The consuming side's settings. */
export interface CaptureConsumerOptions {
  /** BullMQ workers need `maxRetriesPerRequest: null` on this connection. */
  connection: ConnectionOptions;
  prefix?: string;
  concurrency: number;
  handlers: CaptureJobHandlers;
  /** Job lock duration and stalled-job check interval (default 30 s). */
  lockMs?: number;
  logger: QueueLogger;
  /** Worker errors other than a lost Redis connection or a lost job lock (both handled here). */
  onError(error: Error): void;
}

const LOST_LOCK = /^could not renew lock for job /;
const CONNECTION_ERROR =
  /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTCONN|EHOSTUNREACH)$|^Connection is closed/;

/**
 * The capture queue's worker: dispatches each job to the handler of its name (a name outside the catalogue
 * fails unrecoverably and stays in the failed set), with the lock, stall and retry settings metering relies on.
 */
export function createCaptureConsumer(options: CaptureConsumerOptions): Worker {
  const { handlers, logger } = options;
  const dispatch = (job: Job): Promise<void> => {
    if (!isCaptureJobName(job.name))
      throw new UnrecoverableError(`unknown job "${job.name.slice(0, 64)}" on the capture queue`);
    return handlers[job.name](job as Job<unknown, void, CaptureJobName>);
  };
  const worker = new Worker(CAPTURE_QUEUE_NAME, dispatch, {
    connection: options.connection,
    prefix: options.prefix ?? DEFAULT_QUEUE_PREFIX,
    concurrency: options.concurrency,
    autorun: true,
    // A crashed worker's active jobs become "stalled" and are taken over by another worker; the unique
    // request id makes the second attempt harmless if the first had already committed its row.
    lockDuration: options.lockMs ?? 30_000,
    stalledInterval: options.lockMs ?? 30_000,
    maxStalledCount: 5,
    // After a Redis outage BullMQ waits this long before fetching again (15 s by default): the backlog the
    // proxies' journals re-send must start draining at once.
    runRetryDelay: 1000,
  });
  let lastConnectionWarning = 0;
  worker.on("error", (error) => {
    // Redis away: BullMQ reports every reconnect attempt; the outage is an operator's alert, not an error per try.
    if (CONNECTION_ERROR.test((error as NodeJS.ErrnoException).code ?? error.message)) {
      if (Date.now() - lastConnectionWarning > 10_000)
        logger.warn({ err: error.message }, "worker lost its Redis connection; retrying");
      lastConnectionWarning = Date.now();
      return;
    }
    // A job whose lock this worker lost (its event loop starved past the lock time) may run again elsewhere:
    // harmless, its rows are unique by request id. Worth a warning, not an error.
    if (LOST_LOCK.test(error.message)) {
      logger.warn({ err: error.message }, "job lock lost; the job may run again (rows are deduplicated)");
      return;
    }
    options.onError(error);
  });
  return worker;
}
