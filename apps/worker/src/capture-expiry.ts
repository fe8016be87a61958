import { type DbClient, deleteExpiredCaptures } from "@tokenmeter/db";
import type { Logger } from "pino";

const DAY_MS = 86_400_000;
const DELETE_BATCH = 5000;

/** Deletes captures kept longer than the retention, now and then every `intervalMs`, in small batches. */
export class CaptureExpiry {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;

  constructor(
    private readonly db: DbClient,
    private readonly retentionDays: number,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    const tick = () => {
      this.run().catch((error) => this.logger.warn({ err: error }, "expired captures could not be deleted"));
    };
    tick();
    this.timer = setInterval(tick, this.intervalMs);
    this.timer.unref();
  }

  /** Deletes what has expired; one run at a time (several workers may run it too: deletes do not conflict). */
  run(now = new Date()): Promise<number> {
    if (this.running) return this.running;
    this.running = this.deleteAll(new Date(now.getTime() - this.retentionDays * DAY_MS)).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async deleteAll(before: Date): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await deleteExpiredCaptures(this.db, before, DELETE_BATCH);
      total += n;
      if (n < DELETE_BATCH) break;
    }
    if (total > 0)
      this.logger.info({ deleted: total, before: before.toISOString() }, "expired captures deleted");
    return total;
  }
}
