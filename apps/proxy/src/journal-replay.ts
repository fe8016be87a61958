import { randomUUID } from "node:crypto";
import type { CaptureJob } from "@tokenmeter/capture";
import type { Logger } from "pino";
import type { AckTracker, Batch } from "./ack-tracker.js";
import type { Journal, Segment } from "./journal.js";
import { recordsIn } from "./journal-records.js";
import type { ProxyMetrics } from "./metrics.js";

/** What the replay needs from the sink. */
export interface JournalReplayDeps {
  journal: Journal;
  tracker: AckTracker;
  inherited: Segment[];
  concurrency: number;
  job(batchId: string, lines: readonly string[]): CaptureJob;
  send(jobs: CaptureJob[]): Promise<void>;
  ready(): boolean;
  logger: Logger;
  metrics: ProxyMetrics;
}

/** Lines per re-batched job and jobs per addBulk: big enough to amortise, small enough for one Redis reply. */
const LINES_PER_BATCH = 250;
const BYTES_PER_BATCH = 1024 * 1024;
const JOBS_PER_SEND = 32;

/**
 * Sends what is only on disk: segments an earlier process left (read, validated, re-batched under new ids) and
 * batches of this process that Redis never got or lost (read back and re-sent under their own ids). Several
 * segments go at once; a failed send leaves the rest for the next round.
 */
export class JournalReplay {
  private running: Promise<void> | null = null;
  private readonly unscanned: Segment[];

  constructor(private readonly deps: JournalReplayDeps) {
    this.unscanned = [...deps.inherited];
  }

  /** Segments left by an earlier process and not yet read. */
  get unscannedSegments(): number {
    return this.unscanned.length;
  }

  /** When the oldest unread inherited segment was written. */
  get oldestUnscanned(): number | null {
    return this.unscanned[0]?.createdAt ?? null;
  }

  /** Starts a round if there is anything to send and Redis is up. */
  kick(): void {
    if (this.running || !this.deps.ready()) return;
    if (this.unscanned.length === 0 && this.deps.tracker.unsent().length === 0) return;
    this.running = this.run()
      .catch((error) => this.deps.logger.warn({ err: (error as Error).message }, "journal replay paused"))
      .finally(() => {
        this.running = null;
      });
  }

  /** Waits for the round in progress. */
  async stop(): Promise<void> {
    await this.running;
  }

  private async run(): Promise<void> {
    for (;;) {
      const work: Array<() => Promise<void>> = this.unscanned.map((s) => () => this.scan(s));
      const bySegment = new Map<Segment, Batch[]>();
      for (const b of this.deps.tracker.unsent()) {
        const list = bySegment.get(b.segment) ?? [];
        list.push(b);
        bySegment.set(b.segment, list);
      }
      for (const [segment, batches] of bySegment) work.push(() => this.resend(segment, batches));
      if (work.length === 0 || !this.deps.ready()) return;
      let next = 0;
      const lane = async () => {
        while (next < work.length && this.deps.ready()) await (work[next++] as () => Promise<void>)();
      };
      await Promise.all(Array.from({ length: Math.min(this.deps.concurrency, work.length) }, lane));
    }
  }

  /** Reads an inherited segment once: counts torn and corrupt lines, re-batches the rest and sends it. */
  private async scan(segment: Segment): Promise<void> {
    const { journal, tracker, metrics, logger } = this.deps;
    const { lines, tornTail } = await journal.read(segment);
    const index = this.unscanned.indexOf(segment);
    if (index === -1) return; // another lane took it
    this.unscanned.splice(index, 1);
    segment.records = lines.length;
    segment.assigned = lines.length;
    segment.scanned = true;
    if (tornTail) {
      metrics.journalTorn.inc({ kind: "torn" });
      logger.warn(
        { segment: segment.name },
        "journal segment ends with a torn record (a process died mid-write)",
      );
    }
    const batches: Batch[] = [];
    const jobs: CaptureJob[] = [];
    let corrupt = 0;
    for (let from = 0; from < lines.length; ) {
      let to = from;
      let bytes = 0;
      while (to < lines.length && to - from < LINES_PER_BATCH && (to === from || bytes < BYTES_PER_BATCH))
        bytes += (lines[to++] as string).length;
      const parsed = recordsIn(lines, from, to, true);
      corrupt += parsed.corrupt;
      if (parsed.records.length > 0) {
        const id = randomUUID();
        const batch: Batch = { id, segment, from, to, state: "unsent", sentAt: 0, checkAt: 0 };
        segment.pending += 1;
        tracker.add(batch);
        batches.push(batch);
        jobs.push(this.deps.job(id, parsed.records));
      }
      from = to;
    }
    if (corrupt > 0) {
      metrics.journalTorn.inc({ kind: "corrupt" }, corrupt);
      logger.warn({ segment: segment.name, lines: corrupt }, "journal lines that are not captures skipped");
    }
    logger.info(
      { segment: segment.name, captures: lines.length - corrupt },
      "replaying an earlier journal segment",
    );
    if (batches.length === 0) await journal.release(segment);
    else await this.sendAll(batches, jobs);
  }

  /** Reads this process's own batches back from their segment and re-sends them under their own ids. */
  private async resend(segment: Segment, batches: Batch[]): Promise<void> {
    const { lines } = await this.deps.journal.read(segment);
    const ready: Batch[] = [];
    const jobs: CaptureJob[] = [];
    for (const b of batches) {
      if (b.state !== "unsent") continue;
      const { records } = recordsIn(lines, b.from, b.to, segment.inherited);
      ready.push(b);
      jobs.push(this.deps.job(b.id, records));
    }
    await this.sendAll(ready, jobs);
  }

  private async sendAll(batches: Batch[], jobs: CaptureJob[]): Promise<void> {
    for (let i = 0; i < jobs.length; i += JOBS_PER_SEND) {
      const part = batches.slice(i, i + JOBS_PER_SEND);
      for (const b of part) b.state = "sending";
      try {
        await this.deps.send(jobs.slice(i, i + JOBS_PER_SEND));
      } catch (error) {
        for (const b of batches.slice(i))
          if (b.state === "sending" || b.state === "unsent") b.state = "unsent";
        throw error;
      }
      const now = Date.now();
      let n = 0;
      for (const b of part) {
        this.deps.tracker.markSent(b, now);
        n += b.to - b.from;
      }
      this.deps.metrics.capturesReplayed.inc(n);
    }
  }
}
