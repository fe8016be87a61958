import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { ExpressAdapter } from "@bull-board/express";
import type { Queue } from "bullmq";
import type { RequestHandler } from "express";
import { ApiError } from "../errors.js";

/** Where Bull Board is mounted; its UI builds links and API calls from this. */
export const QUEUES_BASE_PATH = "/admin/queues";

// Bull Board actions that could create or rewrite jobs, or throw away captures not yet metered. Adding a job
// would not create usage anyway (the worker meters only batches the proxy signed), but the board offers none.
const REFUSED_ACTIONS: ReadonlyArray<[string, RegExp]> = [
  ["POST", /^\/api\/queues\/[^/]+\/add\/?$/],
  ["PATCH", /^\/api\/queues\/[^/]+\/[^/]+\/update-data\/?$/],
  ["PATCH", /^\/api\/queues\/[^/]+\/job-schedulers\//],
  ["PUT", /^\/api\/queues\/[^/]+\/job-schedulers\//],
  ["PUT", /^\/api\/queues\/[^/]+\/(empty|obliterate)\/?$/],
];

/** Refuses the Bull Board actions above (403); everything else (retry, clean, pause …) stays available. */
export const refuseJobWrites: RequestHandler = (req, _res, next) => {
  if (REFUSED_ACTIONS.some(([method, path]) => req.method === method && path.test(req.path))) {
    next(new ApiError("read_only", "adding, editing or emptying capture jobs is disabled"));
    return;
  }
  next();
};

/** Bull Board for the captures queue, or a 503 handler when the app runs without a queue. */
export function queuesHandler(queue: Queue | undefined): RequestHandler {
  if (!queue) {
    return (_req, _res, next) => next(new ApiError("queue_unavailable", "no queue is configured"));
  }
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(QUEUES_BASE_PATH);
  createBullBoard({ queues: [new BullMQAdapter(queue)], serverAdapter });
  return serverAdapter.getRouter() as RequestHandler;
}
