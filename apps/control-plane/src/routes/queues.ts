import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { ExpressAdapter } from "@bull-board/express";
import type { Queue } from "bullmq";
import type { RequestHandler } from "express";
import { ApiError } from "../errors.js";

/** Where Bull Board is mounted; its UI builds links and API calls from this. */
export const QUEUES_BASE_PATH = "/admin/queues";

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
