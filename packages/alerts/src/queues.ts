/** The queue whose job scheduler runs one evaluation at a time across the worker fleet. */
export const ALERT_EVALUATION_QUEUE = "alert-evaluations";
/** The queue of webhook deliveries (one job per alert event, retried with backoff). */
export const ALERT_WEBHOOK_QUEUE = "alert-webhooks";
/** The job scheduler's id: upserting it from every worker keeps exactly one schedule. */
export const ALERT_SCHEDULER_ID = "evaluate-alert-rules";
