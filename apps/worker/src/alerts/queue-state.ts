import type { Queue } from "bullmq";
import type { CaptureQueueState } from "./findings.js";

/** Waiting and failed capture jobs, and the age of the oldest waiting one. */
export async function captureQueueState(queue: Queue, now = Date.now()): Promise<CaptureQueueState> {
  const counts = await queue.getJobCounts("waiting", "failed");
  // asc = true: the oldest waiting job first.
  const [oldest] = await queue.getJobs(["waiting"], 0, 0, true);
  return {
    waiting: counts.waiting ?? 0,
    failed: counts.failed ?? 0,
    oldestWaitingSeconds: oldest ? Math.max(0, Math.floor((now - oldest.timestamp) / 1000)) : 0,
  };
}
