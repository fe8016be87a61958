import {
  approxCaptureBytes,
  type Capture,
  type CaptureSigningKey,
  captureSchema,
  packCaptureJobs,
} from "@tokenmeter/capture";
import type { Queue } from "bullmq";
import type { Logger } from "pino";
import type { DiskSpool } from "./disk-spool.js";
import type { ProxyMetrics } from "./metrics.js";

/** Whether Redis can take jobs now. */
export type RedisReady = () => boolean;

/**
 * Takes captures off the response path: `push` is synchronous and O(1). Every `intervalMs` the buffer goes to
 * Redis as batch jobs (one job per ≤ 250 captures / ≤ 1 MiB) in one `addBulk`. When Redis is unreachable the
 * batch goes to the disk spool, which is replayed, oldest first, once Redis answers again. A capture enqueued
 * twice (a replay after a partly failed enqueue) is harmless: its request id is unique in `usage_logs`.
 */
export class CaptureSink {
  private buffer: Capture[] = [];
  private bufferedBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private replaying = false;
  private closed = false;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly queue: Queue,
    private readonly redisReady: RedisReady,
    private readonly spool: DiskSpool,
    private readonly intervalMs: number,
    private readonly logger: Logger,
    private readonly metrics: ProxyMetrics,
    /** Signs every batch job: the worker meters only batches signed with a key it knows. */
    private readonly signingKey: CaptureSigningKey,
    private readonly maxBatch = 1000,
    private readonly maxBufferedBytes = 256 * 1024 * 1024,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  /** Hands a capture over; never blocks and never throws. */
  push(capture: Capture): void {
    this.buffer.push(capture);
    this.bufferedBytes += approxCaptureBytes(capture);
    // Redis answering slowly must not grow memory without bound: past the limit, the oldest go to disk.
    if (this.bufferedBytes > this.maxBufferedBytes) {
      this.toSpool(this.take()).catch(() => undefined);
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
      const batch = this.take();
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

  private take(): Capture[] {
    const batch = this.buffer.splice(0, this.maxBatch);
    for (const c of batch) this.bufferedBytes -= approxCaptureBytes(c);
    if (this.buffer.length === 0) this.bufferedBytes = 0;
    return batch;
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
    await this.queue.addBulk(packCaptureJobs(batch, this.signingKey));
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

  /** Remembers a capture still being finished (e.g. a decoder flushing), so close() waits for it. */
  track(finishing: Promise<unknown>): void {
    this.pending.add(finishing);
    finishing.finally(() => this.pending.delete(finishing)).catch(() => undefined);
  }

  /** Sends (or spools) everything buffered, after captures still being finished; called on shutdown. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([...this.pending]);
    await this.flushing;
    await this.flush();
  }
}
