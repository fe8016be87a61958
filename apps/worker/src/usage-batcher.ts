import type { RecordUsageResult, UsageRow } from "@tokenmeter/db";

interface Pending {
  row: UsageRow;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Writes a batch of rows; resolves when they are durable. */
export type BatchWriter = (rows: UsageRow[]) => Promise<RecordUsageResult>;

/**
 * Gathers rows from concurrently processed jobs into one INSERT: a job's promise settles when the batch holding
 * its row is committed (or failed, so BullMQ retries it). At most one write is in flight; rows arriving during
 * it form the next batch.
 */
export class UsageBatcher {
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;

  constructor(
    private readonly write: BatchWriter,
    private readonly maxRows: number,
    private readonly maxWaitMs: number,
    private readonly onBatch: (size: number, result: RecordUsageResult | null, ms: number) => void = () => {},
    private readonly isRowError: (error: unknown) => boolean = () => false,
  ) {}

  /** Queues a row; resolves once it is recorded. */
  add(row: UsageRow): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      if (this.queue.length >= this.maxRows) this.kick();
      else if (!this.timer) this.timer = setTimeout(() => this.kick(), this.maxWaitMs);
    });
  }

  private kick(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.writing || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.maxRows);
    this.writing = this.flush(batch).finally(() => {
      this.writing = null;
      if (this.queue.length >= this.maxRows) this.kick();
      else if (this.queue.length > 0 && !this.timer)
        this.timer = setTimeout(() => this.kick(), this.maxWaitMs);
    });
  }

  private async flush(batch: Pending[]): Promise<void> {
    const started = performance.now();
    try {
      const result = await this.write(batch.map((p) => p.row));
      this.onBatch(batch.length, result, performance.now() - started);
      for (const p of batch) p.resolve();
    } catch (error) {
      this.onBatch(batch.length, null, performance.now() - started);
      // One unstorable row must not hold back the rest of its batch: halve until it stands alone.
      if (batch.length > 1 && this.isRowError(error)) {
        const mid = batch.length >> 1;
        await this.flush(batch.slice(0, mid));
        await this.flush(batch.slice(mid));
        return;
      }
      for (const p of batch) p.reject(error);
    }
  }

  /** Writes whatever is queued and waits for in-flight writes. */
  async drain(): Promise<void> {
    while (this.writing || this.queue.length > 0) {
      this.kick();
      await this.writing;
    }
  }
}
