// EXPERIMENT (not part of `npm run bench`): preload for the proxy child that turns BullMQ's Queue.addBulk into a
// no-op, to measure what the enqueue path (job JSON, msgpack options, one Lua script call per job) costs the
// proxy's event loop. Captures are still built and pushed to the sink, then dropped.
import { Queue } from "bullmq";

Queue.prototype.addBulk = async function noOpAddBulk() {
  return [];
};
