// EXPERIMENT (not part of `npm run bench`): preload for the proxy child that makes BullMQ's Queue.addBulk add ONE
// job holding the whole batch (data = array of captures) instead of one job per capture, to measure what
// per-capture jobs cost the proxy. The worker does not understand such jobs: use it for run (c) only.
import { Queue } from "bullmq";

const original = Queue.prototype.addBulk;
Queue.prototype.addBulk = async function oneJobPerBatch(jobs) {
  if (jobs.length === 0) return [];
  const first = jobs[0];
  return original.call(this, [
    {
      name: `${first.name}-batch`,
      data: { captures: jobs.map((j) => j.data) },
      opts: { ...first.opts, jobId: `batch-${first.opts?.jobId ?? Date.now()}` },
    },
  ]);
};
