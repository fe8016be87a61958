import type { Logger } from "pino";
import type { WorkerMetrics } from "./metrics.js";

/**
 * BullMQ's errors when a job it was finishing is no longer in Redis as it left it (Redis restarted without it, or
 * restored it from its AOF with another lock).
 */
const VANISHED_JOB = /^(?:Missing (?:key|lock) for job|Lock mismatch for job) (\S+)\. (?:Cmd )?(\w+)/;

/**
 * Tells a job Redis lost after its rows were committed (a benign race: logged as info) from one lost before
 * (the proxy's journal re-sends it: a warning) and from any other worker error. Remembers the last 20,000
 * recorded job ids.
 */
export class VanishedJobs {
  private readonly recorded = new Set<string>();

  constructor(
    private readonly logger: Logger,
    private readonly metrics: Pick<WorkerMetrics, "jobsVanished">,
  ) {}

  /** The job's rows are committed. */
  remember(id: string | undefined): void {
    if (id === undefined) return;
    this.recorded.add(id);
    if (this.recorded.size > 20_000) this.recorded.delete(this.recorded.values().next().value as string);
  }

  /** The worker's error handler. */
  readonly onError = (error: Error): void => {
    const vanished = VANISHED_JOB.exec(error.message);
    if (!vanished) {
      this.logger.error({ err: error }, "worker error");
      return;
    }
    const [, jobId = "", command] = vanished;
    this.metrics.jobsVanished.inc();
    if (this.recorded.has(jobId))
      this.logger.info(
        { jobId, command },
        "job left Redis or this worker after its rows were recorded (Redis restarted or the lock expired)",
      );
    else
      this.logger.warn(
        { jobId, command },
        "job left Redis before it was recorded (Redis restarted); the proxy's journal re-sends it",
      );
  };
}
