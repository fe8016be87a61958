import type { CaptureQueueKeys } from "@tokenmeter/capture";
import type { Redis } from "ioredis";
import type { Segment } from "./journal.js";

/** A batch job made from lines `[from, to)` of a journal segment. */
export interface Batch {
  id: string;
  segment: Segment;
  from: number;
  to: number;
  /** unsent: on disk only; sending: an addBulk is in flight; sent: Redis accepted it. */
  state: "unsent" | "sending" | "sent";
  sentAt: number;
  /** When to ask Redis whether it still holds the job, if it has not settled by then. */
  checkAt: number;
}

/** How a batch left the journal: recorded by the worker, or failed for good (kept in BullMQ's failed set). */
export type Settlement = "recorded" | "failed";

const CHUNK = 2000;

/**
 * Knows every batch this process has made and not yet seen settled. `poll()` asks Redis, with one `ZMSCORE`
 * per set, which sent batches are completed (the worker completes a job only after committing its rows) or
 * failed for good; a batch unsettled after `resendMs`, or sent before the Redis connection last came back, is
 * checked with `EXISTS` and marked unsent when Redis no longer has it.
 */
export class AckTracker {
  private readonly batches = new Map<string, Batch>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: CaptureQueueKeys,
    private readonly resendMs: number,
    private readonly onSettled: (batch: Batch, how: Settlement) => void,
  ) {}

  add(batch: Batch): void {
    this.batches.set(batch.id, batch);
  }

  get size(): number {
    return this.batches.size;
  }

  /** Batches waiting to be (re-)sent, oldest segment first. */
  unsent(): Batch[] {
    const out: Batch[] = [];
    for (const b of this.batches.values()) if (b.state === "unsent") out.push(b);
    return out.sort((a, b) =>
      a.segment.name < b.segment.name ? -1 : a.segment.name > b.segment.name ? 1 : 0,
    );
  }

  /** Captures not yet recorded, and when the oldest of them was appended. */
  backlog(): { captures: number; oldest: number | null } {
    let captures = 0;
    let oldest: number | null = null;
    for (const b of this.batches.values()) {
      captures += b.to - b.from;
      if (oldest === null || b.segment.createdAt < oldest) oldest = b.segment.createdAt;
    }
    return { captures, oldest };
  }

  /** The connection came back: Redis may have restarted empty, so every sent batch is checked now. */
  redisReconnected(): void {
    for (const b of this.batches.values()) if (b.state === "sent") b.checkAt = 0;
  }

  markSent(batch: Batch, now = Date.now()): void {
    batch.state = "sent";
    batch.sentAt = now;
    batch.checkAt = now + this.resendMs;
  }

  /** One round of acknowledgement; throws when Redis does not answer (the caller retries next round). */
  async poll(now = Date.now()): Promise<void> {
    const sent = [...this.batches.values()].filter((b) => b.state === "sent");
    for (let i = 0; i < sent.length; i += CHUNK) {
      const chunk = sent.slice(i, i + CHUNK);
      const ids = chunk.map((b) => b.id);
      const [completed, failed] = await Promise.all([
        this.redis.zmscore(this.keys.completed, ...ids),
        this.redis.zmscore(this.keys.failed, ...ids),
      ]);
      const due: Batch[] = [];
      chunk.forEach((b, j) => {
        if (b.state !== "sent") return;
        if (completed[j] != null) this.settle(b, "recorded");
        else if (failed[j] != null) this.settle(b, "failed");
        else if (b.checkAt <= now) due.push(b);
      });
      if (due.length === 0) continue;
      const pipeline = this.redis.pipeline();
      for (const b of due) pipeline.exists(this.keys.job(b.id));
      const exists = (await pipeline.exec()) ?? [];
      due.forEach((b, j) => {
        const [error, n] = exists[j] ?? [new Error("no reply"), 0];
        if (error || b.state !== "sent") return;
        if (n === 0) b.state = "unsent";
        else b.checkAt = now + this.resendMs;
      });
    }
  }

  private settle(batch: Batch, how: Settlement): void {
    this.batches.delete(batch.id);
    batch.segment.pending -= 1;
    this.onSettled(batch, how);
  }
}
