import { CAPTURE_JOB_NAME, CAPTURE_JOB_OPTIONS, type Capture, captureSchema } from "@tokenmeter/capture";
import type { Queue } from "bullmq";
import type { Logger } from "pino";
import type { DiskSpool } from "./disk-spool.js";
import type { ProxyMetrics } from "./metrics.js";

/** Whether Redis can take jobs now. */
export type RedisReady = () => boolean;

/**
 * Takes captures off the response path: `push` is synchronous and O(1). Every `intervalMs` the buffer goes to
 * Redis in one `addBulk` (job id = request id, so a replay is the same job). When Redis is unreachable the
 * batch goes to the disk spool, which is replayed, oldest first, once Redis answers again.
 */
export class CaptureSink {
  private buffer: Capture[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private replaying = false;
  private closed = false;

  constructor(
    private readonly queue: Queue,
    private readonly redisReady: RedisReady,
    private readonly spool: DiskSpool,
    private readonly intervalMs: number,
    private readonly logger: Logger,
    private readonly metrics: ProxyMetrics,
    private readonly maxBatch = 1000,
    private readonly maxBuffered = 50_000,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  /** Hands a capture over; never blocks and never throws. */
  push(capture: Capture): void {
    this.buffer.push(capture);
    // Redis answering slowly must not grow memory without bound: past the limit, the oldest go to disk.
    if (this.buffer.length > this.maxBuffered) {
      this.toSpool(this.buffer.splice(0, this.maxBatch)).catch(() => undefined);
    }
    this.metrics.capturesBuffered.set(this.buffer.length);
  }

  private tick(): void {
    if (this.flushing) return;
    this.flushing = this.flush().finally(() => {
      this.flushing = null;
    });
  }

  private async flush(): Promise<void> {
    while (this.buffer.length > 0) {
      const batch = this.buffer.splice(0, this.maxBatch);
      this.metrics.capturesBuffered.set(this.buffer.length);
      await this.deliver(batch);
    }
    if (!this.replaying && this.spool.depthFiles > 0 && this.redisReady()) {
      this.replaying = true;
      this.replay()
        .catch((error) => this.logger.warn({ err: (error as Error).message }, "spool replay paused"))
        .finally(() => {
          this.replaying = false;
        });
    }
  }

  private async deliver(batch: Capture[]): Promise<void> {
    if (this.redisReady()) {
      try {
        await this.enqueue(batch);
        this.metrics.capturesEnqueued.inc(batch.length);
        return;
      } catch (error) {
        this.logger.warn(
          { err: (error as Error).message, captures: batch.length },
          "enqueue failed; spooling",
        );
      }
    }
    await this.toSpool(batch);
  }

  private async enqueue(batch: readonly Capture[]): Promise<void> {
    const started = performance.now();
    await this.queue.addBulk(
      batch.map((c) => ({
        name: CAPTURE_JOB_NAME,
        data: c,
        opts: { ...CAPTURE_JOB_OPTIONS, jobId: c.requestId },
      })),
    );
    this.metrics.enqueueSeconds.observe((performance.now() - started) / 1000);
  }

  private async toSpool(batch: Capture[]): Promise<void> {
    try {
      if (await this.spool.write(batch)) {
        this.metrics.capturesSpooled.inc(batch.length);
      } else {
        this.metrics.capturesDropped.inc({ reason: "spool_full" }, batch.length);
        this.logger.error(
          { captures: batch.length, spoolBytes: this.spool.depthBytes },
          "spool full: captures dropped",
        );
      }
    } catch (error) {
      this.metrics.capturesDropped.inc({ reason: "spool_error" }, batch.length);
      this.logger.error(
        { err: (error as Error).message, captures: batch.length },
        "spool write failed: captures dropped",
      );
    }
    this.updateSpoolGauges();
  }

  private async replay(): Promise<void> {
    for (const name of await this.spool.list()) {
      if (!this.redisReady() || this.closed) return;
      const { captures, badLines } = await this.spool.read(name);
      const valid: Capture[] = [];
      for (const c of captures) {
        const parsed = captureSchema.safeParse(c);
        if (parsed.success) valid.push(parsed.data);
        else this.metrics.capturesDropped.inc({ reason: "spool_corrupt" });
      }
      if (badLines > 0) this.metrics.capturesDropped.inc({ reason: "spool_corrupt" }, badLines);
      for (let i = 0; i < valid.length; i += this.maxBatch)
        await this.enqueue(valid.slice(i, i + this.maxBatch));
      await this.spool.remove(name);
      this.metrics.capturesReplayed.inc(valid.length);
      this.updateSpoolGauges();
      this.logger.info({ file: name, captures: valid.length }, "spool file replayed");
    }
  }

  private updateSpoolGauges(): void {
    this.metrics.spoolBytes.set(this.spool.depthBytes);
    this.metrics.spoolFiles.set(this.spool.depthFiles);
  }

  /** Sends (or spools) everything buffered; called on shutdown. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.flushing;
    await this.flush();
  }
}
