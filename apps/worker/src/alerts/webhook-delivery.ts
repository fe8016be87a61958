import {
  ALERT_SIGNATURE_HEADER,
  ALERT_WEBHOOK_QUEUE,
  type AlertEvent,
  signAlertBody,
} from "@tokenmeter/alerts";
import { type ConnectionOptions, Queue, UnrecoverableError, Worker } from "bullmq";
import type { Logger } from "pino";
import type { AlertMetrics } from "./metrics.js";
import type { AlertRecord } from "./reconcile.js";

/** Where and how alert events are delivered; without a URL nothing is queued. */
export interface WebhookOptions {
  url?: string;
  secret?: string;
  /** First retry delay; each further one doubles (BullMQ exponential backoff). */
  backoffMs: number;
  attempts: number;
  timeoutMs: number;
}

/** The JSON an alert event carries (ids as numbers, times as ISO strings). */
export function alertEvent(event: AlertEvent["event"], alert: AlertRecord): AlertEvent {
  return {
    event,
    alert: {
      id: Number(alert.id),
      kind: alert.kind,
      fingerprint: alert.fingerprint,
      state: alert.state,
      summary: alert.summary,
      evidence: alert.evidence,
      opened_at: alert.opened_at.toISOString(),
      resolved_at: alert.resolved_at?.toISOString() ?? null,
    },
  };
}

/**
 * Webhook deliveries on their own queue, so a slow or failing receiver never holds up metering or evaluation:
 * one job per alert event (job id = alert id + event, so an event is queued once), signed with an HMAC of the
 * exact body, retried with exponential backoff, then kept in the failed set.
 */
export function startWebhookDelivery(deps: {
  connection: ConnectionOptions;
  prefix: string;
  options: WebhookOptions;
  logger: Logger;
  metrics: AlertMetrics;
}) {
  const { options, logger, metrics } = deps;
  const queue = new Queue<AlertEvent>(ALERT_WEBHOOK_QUEUE, {
    connection: deps.connection,
    prefix: deps.prefix,
  });
  queue.on("error", (error) => logger.warn({ err: error.message }, "alert webhook queue error"));
  const url = options.url;
  const worker = url
    ? new Worker<AlertEvent>(
        ALERT_WEBHOOK_QUEUE,
        async (job) => {
          const body = JSON.stringify(job.data);
          const response = await fetch(url, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              [ALERT_SIGNATURE_HEADER]: signAlertBody(body, options.secret ?? ""),
              "x-tokenmeter-event": job.data.event,
              "x-tokenmeter-delivery": String(job.id),
            },
            body,
            redirect: "manual",
            signal: AbortSignal.timeout(options.timeoutMs),
          }).catch((error: unknown) => {
            metrics.webhookDeliveries.inc({ result: "error" });
            throw error;
          });
          // The body is not needed; reading it releases the connection.
          await response.arrayBuffer().catch(() => undefined);
          if (response.ok) {
            metrics.webhookDeliveries.inc({ result: "delivered" });
            return;
          }
          metrics.webhookDeliveries.inc({ result: `http_${Math.floor(response.status / 100)}xx` });
          // A 4xx other than 408/429 will not change on retry.
          if (
            response.status >= 400 &&
            response.status < 500 &&
            response.status !== 408 &&
            response.status !== 429
          ) {
            throw new UnrecoverableError(`webhook answered ${response.status}`);
          }
          throw new Error(`webhook answered ${response.status}`);
        },
        { connection: deps.connection, prefix: deps.prefix, concurrency: 4 },
      )
    : undefined;
  worker?.on("error", (error) => logger.warn({ err: error.message }, "alert webhook worker error"));
  worker?.on("failed", (job, error) =>
    logger.warn(
      { delivery: job?.id, attempts: job?.attemptsMade, err: error.message },
      "alert webhook failed",
    ),
  );

  return {
    /** Queues one delivery per event; a no-op without ALERT_WEBHOOK_URL. */
    async enqueue(events: AlertEvent[]): Promise<void> {
      if (!url || events.length === 0) return;
      await queue.addBulk(
        events.map((event) => ({
          name: event.event,
          data: event,
          opts: {
            jobId: `alert-${event.alert.id}-${event.event}`,
            attempts: options.attempts,
            backoff: { type: "exponential", delay: options.backoffMs },
            removeOnComplete: { age: 7 * 86_400 },
            removeOnFail: { age: 30 * 86_400 },
          },
        })),
      );
    },
    async close(): Promise<void> {
      await worker?.close();
      await queue.close();
    },
  };
}
