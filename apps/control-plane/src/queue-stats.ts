import { withTimeout } from "@tokenmeter/runtime";
import type { Queue } from "bullmq";

/** The job states the dashboard and `/metrics` report. */
export const QUEUE_STATES = ["waiting", "active", "delayed", "failed", "completed"] as const;
/** Job counts by state. */
export type QueueCounts = Record<(typeof QUEUE_STATES)[number], number>;

/** The captures queue's job counts, or null when there is no queue or Redis does not answer in time. */
export async function readQueueCounts(
  queue: Queue | undefined,
  timeoutMs = 1000,
): Promise<QueueCounts | null> {
  if (!queue) return null;
  try {
    const counts = await withTimeout(queue.getJobCounts(...QUEUE_STATES), timeoutMs, "queue counts");
    return Object.fromEntries(QUEUE_STATES.map((state) => [state, counts[state] ?? 0])) as QueueCounts;
  } catch {
    return null;
  }
}

/** Whether Redis behind the queue answers in time (a job-count round trip is the probe). */
export async function redisUp(queue: Queue | undefined, timeoutMs = 1000): Promise<boolean> {
  return (await readQueueCounts(queue, timeoutMs)) !== null;
}
