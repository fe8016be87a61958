import { randomUUID } from "node:crypto";
import {
  type CaptureJob,
  type CaptureProducer,
  type CaptureSigningKey,
  captureBatchJob,
  splitSerialisedCaptures,
} from "@tokenmeter/capture";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { AckTracker, type Batch, type Settlement } from "./ack-tracker.js";
import type { Journal, JournalPosition, Segment } from "./journal.js";
import { JournalReplay } from "./journal-replay.js";
import type { ProxyMetrics } from "./metrics.js";

/** Whether Redis can take jobs now. */
export type RedisReady = () => boolean;

/** Knobs of the sink. */
export interface CaptureSinkOptions {
  intervalMs: number;
  ackPollMs: number;
  resendMs: number;
  replayConcurrency: number;
  maxBufferedBytes?: number;
  /** Sends in flight at once; past it, new batches wait on disk for the replay. */
  maxSendsInFlight?: number;
}

/** What the sink works with. */
export interface CaptureSinkDeps {
  producer: CaptureProducer;
  /** The queue's connection (acknowledgement polls). */
  redis: Redis;
  redisReady: RedisReady;
  journal: Journal;
  /** Segments an earlier process left, to re-send. */
  inherited: Segment[];
  logger: Logger;
  metrics: ProxyMetrics;
  /** Signs every batch job: the worker meters only batches signed with a key it knows. */
  signingKey: CaptureSigningKey;
}

interface Pending {
  /** The capture as JSON: the journal line and the job payload are the same string (serialised once). */
  line: string;
  at: JournalPosition | null;
  /** Why the journal did not take it. */
  skipped?: "journal_full" | "journal_error";
}

/**
 * Takes captures off the response path. `push` appends the capture to the journal (a synchronous write) and
 * buffers it; every `intervalMs` the buffer becomes batch jobs sent in one `addBulk`, or left on disk while Redis
 * is down. The journal keeps every capture until the ack tracker has seen its batch recorded; the replay sends
 * what is on disk only (unsent, lost by Redis, or left by an earlier process).
 */
export class CaptureSink {
  private buffer: Pending[] = [];
  private bufferedBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private ackTimer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private closed = false;
  private readonly sends = new Set<Promise<void>>();
  private readonly pending = new Set<Promise<unknown>>();
  readonly tracker: AckTracker;
  private readonly replay: JournalReplay;
  private lastJournalError = "";

  private readonly producer: CaptureProducer;
  private readonly redisReady: RedisReady;
  private readonly journal: Journal;
  private readonly logger: Logger;
  private readonly metrics: ProxyMetrics;
  private readonly signingKey: CaptureSigningKey;

  constructor(
    deps: CaptureSinkDeps,
    private readonly options: CaptureSinkOptions,
  ) {
    this.producer = deps.producer;
    this.redisReady = deps.redisReady;
    this.journal = deps.journal;
    this.logger = deps.logger;
    this.metrics = deps.metrics;
    this.signingKey = deps.signingKey;
    this.tracker = new AckTracker(deps.redis, deps.producer.keys, options.resendMs, (b, how) =>
      this.settled(b, how),
    );
    this.replay = new JournalReplay({
      journal: deps.journal,
      tracker: this.tracker,
      inherited: deps.inherited,
      concurrency: options.replayConcurrency,
      job: (id, lines) => this.job(id, lines),
      send: (jobs) => this.producer.enqueueCaptures(jobs),
      ready: () => this.redisReady() && !this.closed,
      logger: deps.logger,
      metrics: deps.metrics,
    });
  }

  /**
   * The one place a batch job's payload is built, for fresh batches and re-sent ones alike (anything every job
   * must carry, such as a signature, is added here).
   */
  private job(batchId: string, lines: readonly string[]): CaptureJob {
    return captureBatchJob(batchId, lines, this.signingKey);
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), this.options.intervalMs);
    this.timer.unref();
    this.ackTimer = setInterval(() => this.poll(), this.options.ackPollMs);
    this.ackTimer.unref();
  }

  /**
   * Journals and buffers a capture, given in its wire form (one JSON line, serialised once when the call
   * ended); never blocks on the network and never throws.
   */
  push(line: string): void {
    const item: Pending = { line, at: null };
    try {
      item.at = this.journal.append(item.line);
      if (!item.at) item.skipped = "journal_full";
    } catch (error) {
      item.skipped = "journal_error";
      const message = (error as Error).message;
      if (message !== this.lastJournalError) this.logger.error({ err: message }, "journal write failed");
      this.lastJournalError = message;
    }
    if (item.skipped) this.metrics.journalSkipped.inc({ reason: item.skipped });
    this.buffer.push(item);
    this.bufferedBytes += item.line.length;
    // Far more than one interval's worth: batch it now rather than hold it in memory.
    if (this.bufferedBytes > (this.options.maxBufferedBytes ?? 64 * 1024 * 1024)) this.flush();
  }

  /** Tells the tracker that Redis is back (it may have restarted empty). */
  redisReconnected(): void {
    this.tracker.redisReconnected();
    this.poll();
  }

  private tick(): void {
    this.flush();
    this.replay.kick();
  }

  /** Turns the buffer into batches: sent now when Redis is up and not saturated, else left for the replay. */
  private flush(): void {
    const items = this.buffer;
    if (items.length === 0) {
      this.journal.sealIfDue();
      return;
    }
    this.buffer = [];
    this.bufferedBytes = 0;
    const jobs: CaptureJob[] = [];
    const batches: Batch[] = [];
    const loose: Pending[] = [];
    // Journaled captures of one flush are consecutive lines, in one segment unless a write error sealed one.
    let run: Pending[] = [];
    const closeRun = () => {
      const first = run[0]?.at;
      if (!first) return;
      let from = first.index;
      for (const lines of splitSerialisedCaptures(run.map((p) => p.line))) {
        const job = this.job(randomUUID(), lines);
        const batch: Batch = {
          id: job.opts.jobId,
          segment: first.segment,
          from,
          to: from + lines.length,
          state: "unsent",
          sentAt: 0,
          checkAt: 0,
        };
        from = batch.to;
        first.segment.pending += 1;
        first.segment.assigned = batch.to;
        this.tracker.add(batch);
        jobs.push(job);
        batches.push(batch);
      }
      run = [];
    };
    for (const item of items) {
      if (!item.at) loose.push(item);
      else {
        if (run.length > 0 && run[0]?.at?.segment !== item.at.segment) closeRun();
        run.push(item);
      }
    }
    closeRun();
    this.journal.sealIfDue();
    const canSend = this.redisReady() && this.sends.size < (this.options.maxSendsInFlight ?? 4);
    if (canSend && jobs.length > 0) this.send(jobs, batches);
    if (loose.length > 0) this.sendLoose(loose, canSend);
  }

  private send(jobs: CaptureJob[], batches: Batch[]): void {
    for (const b of batches) b.state = "sending";
    const started = performance.now();
    const sending = this.producer.enqueueCaptures(jobs).then(
      () => {
        this.metrics.enqueueSeconds.observe((performance.now() - started) / 1000);
        const now = Date.now();
        let n = 0;
        for (const b of batches) {
          if (b.state === "sending") this.tracker.markSent(b, now);
          n += b.to - b.from;
        }
        this.metrics.capturesEnqueued.inc(n);
      },
      (error) => {
        // Still on disk: the replay sends them once Redis answers.
        for (const b of batches) if (b.state === "sending") b.state = "unsent";
        this.logger.warn({ err: (error as Error).message, batches: batches.length }, "enqueue failed");
      },
    );
    this.sends.add(sending);
    void sending.finally(() => this.sends.delete(sending));
  }

  /** Captures the journal could not take: sent from memory when Redis is up, dropped (and counted) when not. */
  private sendLoose(items: Pending[], canSend: boolean): void {
    const captures = items.map((i) => i.line);
    const reason = items[0]?.skipped ?? "journal_full";
    if (!canSend) {
      this.metrics.capturesDropped.inc({ reason }, captures.length);
      this.logger.error(
        { captures: captures.length, reason },
        "captures dropped: the journal could not take them and Redis is down",
      );
      return;
    }
    const jobs = splitSerialisedCaptures(captures).map((c) => this.job(randomUUID(), c));
    const sending = this.producer.enqueueCaptures(jobs).then(
      () => this.metrics.capturesEnqueued.inc(captures.length),
      (error) => {
        this.metrics.capturesDropped.inc({ reason }, captures.length);
        this.logger.error({ err: (error as Error).message, captures: captures.length }, "captures dropped");
      },
    );
    this.sends.add(sending);
    void sending.finally(() => this.sends.delete(sending));
  }

  private poll(): void {
    if (this.polling || !this.redisReady() || this.tracker.size === 0) return;
    this.polling = this.tracker
      .poll()
      .then(() => this.replay.kick())
      .catch((error) => this.logger.debug({ err: (error as Error).message }, "ack poll failed"))
      .finally(() => {
        this.polling = null;
      });
  }

  private settled(batch: Batch, how: Settlement): void {
    const n = batch.to - batch.from;
    if (how === "recorded") this.metrics.journalAcked.inc(n);
    else {
      this.metrics.journalFailed.inc(n);
      this.logger.warn({ batchId: batch.id, captures: n }, "batch failed for good: kept in the failed set");
    }
    this.journal
      .release(batch.segment)
      .catch((error) =>
        this.logger.warn(
          { err: (error as Error).message, segment: batch.segment.name },
          "segment delete failed",
        ),
      );
  }

  /** Journal figures for /healthz and the metrics. */
  stats(now = Date.now()) {
    const backlog = this.tracker.backlog();
    const buffered = this.buffer.length;
    return {
      segments: this.journal.segments,
      bytes: this.journal.bytes,
      unackedCaptures: backlog.captures + buffered + this.replay.unscannedSegments,
      oldestUnackedSeconds:
        this.replay.oldestUnscanned !== null || backlog.oldest !== null
          ? Math.max(0, now - Math.min(backlog.oldest ?? now, this.replay.oldestUnscanned ?? now)) / 1000
          : 0,
      buffered,
    };
  }

  /** Remembers a capture still being finished (e.g. a decoder flushing), so close() waits for it. */
  track(finishing: Promise<unknown>): void {
    this.pending.add(finishing);
    finishing.finally(() => this.pending.delete(finishing)).catch(() => undefined);
  }

  /**
   * On shutdown: captures still being finished are journaled, the buffer is sent (or left on disk), and for up to
   * `ackWaitMs` the sink waits for the worker to record what is in flight, so a restart re-sends little.
   */
  async close(ackWaitMs = 0): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([...this.pending]);
    this.flush();
    await Promise.allSettled([...this.sends]);
    this.closed = true;
    if (this.ackTimer) clearInterval(this.ackTimer);
    const until = Date.now() + ackWaitMs;
    while (this.tracker.size > 0 && this.redisReady() && Date.now() < until) {
      await this.tracker.poll().catch(() => undefined);
      if (this.tracker.size > 0) await new Promise((r) => setTimeout(r, 50));
    }
    await this.polling;
    await this.replay.stop();
  }
}
