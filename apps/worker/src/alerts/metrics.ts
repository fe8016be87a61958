import { Counter, Gauge, type Registry } from "prom-client";

/** The alerting metrics, registered on the worker's registry. */
export function createAlertMetrics(registry: Registry) {
  return {
    opened: new Counter({
      name: "tokenmeter_alerts_opened_total",
      help: "Alerts opened, by rule kind",
      labelNames: ["kind"] as const,
      registers: [registry],
    }),
    resolved: new Counter({
      name: "tokenmeter_alerts_resolved_total",
      help: "Alerts resolved, by rule kind",
      labelNames: ["kind"] as const,
      registers: [registry],
    }),
    open: new Gauge({
      name: "tokenmeter_alerts_open",
      help: "Alerts open after the last evaluation, by rule kind",
      labelNames: ["kind"] as const,
      registers: [registry],
    }),
    evaluations: new Counter({
      name: "tokenmeter_alert_evaluations_total",
      help: "Alert evaluations, by result (done, skipped while another evaluator held the lock, failed)",
      labelNames: ["result"] as const,
      registers: [registry],
    }),
    webhookDeliveries: new Counter({
      name: "tokenmeter_alert_webhook_deliveries_total",
      help: "Alert webhook delivery attempts, by result",
      labelNames: ["result"] as const,
      registers: [registry],
    }),
  };
}

/** The alerting metrics. */
export type AlertMetrics = ReturnType<typeof createAlertMetrics>;
