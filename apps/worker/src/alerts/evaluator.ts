import { randomUUID } from "node:crypto";
import {
  ALERT_EVALUATION_QUEUE,
  ALERT_SCHEDULER_ID,
  type AlertKind,
  type AlertRuleConfig,
  resolveAlertRules,
} from "@tokenmeter/alerts";
import type { DbClient } from "@tokenmeter/db";
import { Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import {
  type CaptureQueueState,
  costSpikes,
  type Finding,
  largeCalls,
  meteringLag,
  parseFailureRates,
  unpricedModels,
} from "./findings.js";
import type { AlertMetrics } from "./metrics.js";
import { type AlertRecord, reconcileAlerts } from "./reconcile.js";
import { alertEvent } from "./webhook-delivery.js";

/** What one evaluation needs. */
export interface EvaluationDeps {
  db: DbClient;
  redis: Redis;
  /** The queue prefix; the lock key lives under it (same hash slot in Redis Cluster). */
  prefix: string;
  captureQueueState: () => Promise<CaptureQueueState>;
  logger: Logger;
  metrics: AlertMetrics;
  deliver: (events: ReturnType<typeof alertEvent>[]) => Promise<void>;
  /** How long the evaluation lock lasts at most (a crashed evaluator's lock expires). */
  lockMs: number;
}

const RELEASE_LOCK = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

async function findingsFor(rule: AlertRuleConfig, deps: EvaluationDeps): Promise<Finding[]> {
  const { db } = deps;
  switch (rule.kind) {
    case "large_call":
      return largeCalls(db, (rule as AlertRuleConfig<"large_call">).params);
    case "cost_spike":
      return costSpikes(db, (rule as AlertRuleConfig<"cost_spike">).params);
    case "parse_failure_rate":
      return parseFailureRates(db, (rule as AlertRuleConfig<"parse_failure_rate">).params);
    case "unpriced_model":
      return unpricedModels(db, (rule as AlertRuleConfig<"unpriced_model">).params);
    case "metering_lag":
      return meteringLag(await deps.captureQueueState(), (rule as AlertRuleConfig<"metering_lag">).params);
  }
}

/**
 * Evaluates every rule once and reconciles the stored alerts. A Redis lock makes it exclusive across the fleet
 * (the job scheduler already runs one job at a time; the lock also covers a slow run overlapping the next):
 * without the lock it returns "skipped". A rule whose query fails keeps its open alerts as they are.
 */
export async function evaluateAlerts(
  deps: EvaluationDeps,
): Promise<"skipped" | { opened: AlertRecord[]; resolved: AlertRecord[] }> {
  const lockKey = `${deps.prefix}:alerts:evaluation-lock`;
  const token = randomUUID();
  if ((await deps.redis.set(lockKey, token, "PX", deps.lockMs, "NX")) !== "OK") {
    deps.metrics.evaluations.inc({ result: "skipped" });
    return "skipped";
  }
  try {
    const rules = resolveAlertRules(await deps.db.alertRule.findMany());
    const evaluated: AlertKind[] = [];
    const findings: Finding[] = [];
    for (const rule of rules) {
      // A disabled rule is evaluated as "nothing holds": its open alerts resolve.
      if (!rule.enabled) {
        evaluated.push(rule.kind);
        continue;
      }
      try {
        findings.push(...(await findingsFor(rule, deps)));
        evaluated.push(rule.kind);
      } catch (error) {
        deps.logger.error({ kind: rule.kind, err: (error as Error).message }, "alert rule evaluation failed");
      }
    }
    const { opened, resolved } = await reconcileAlerts(deps.db, evaluated, findings);
    for (const alert of opened) {
      deps.logger.warn(
        { alert: { id: Number(alert.id), kind: alert.kind, evidence: alert.evidence } },
        alert.summary,
      );
      deps.metrics.opened.inc({ kind: alert.kind });
    }
    for (const alert of resolved) {
      deps.logger.info({ alert: { id: Number(alert.id), kind: alert.kind } }, `resolved: ${alert.summary}`);
      deps.metrics.resolved.inc({ kind: alert.kind });
    }
    const open = await deps.db.alert.groupBy({
      by: ["kind"],
      where: { state: "open" },
      _count: { _all: true },
    });
    for (const rule of rules) {
      deps.metrics.open.set({ kind: rule.kind }, open.find((o) => o.kind === rule.kind)?._count._all ?? 0);
    }
    try {
      await deps.deliver([
        ...opened.map((a) => alertEvent("alert.opened", a)),
        ...resolved.map((a) => alertEvent("alert.resolved", a)),
      ]);
    } catch (error) {
      deps.logger.error({ err: (error as Error).message }, "could not queue alert webhooks");
    }
    deps.metrics.evaluations.inc({ result: "done" });
    return { opened, resolved };
  } catch (error) {
    deps.metrics.evaluations.inc({ result: "failed" });
    throw error;
  } finally {
    await deps.redis.eval(RELEASE_LOCK, 1, lockKey, token).catch(() => undefined);
  }
}

/**
 * Runs `evaluateAlerts` every `everyMs` on a BullMQ job scheduler: every worker upserts the same scheduler id,
 * so the fleet has one schedule, and each run is one job taken by exactly one worker. Its own queue, never the
 * captures queue, so evaluation never delays metering.
 */
export async function startAlertEvaluator(deps: EvaluationDeps & { everyMs: number }) {
  const connection = deps.redis;
  const queue = new Queue(ALERT_EVALUATION_QUEUE, { connection, prefix: deps.prefix });
  queue.on("error", (error) => deps.logger.warn({ err: error.message }, "alert evaluation queue error"));
  await queue.upsertJobScheduler(
    ALERT_SCHEDULER_ID,
    { every: deps.everyMs },
    { name: "evaluate", opts: { removeOnComplete: 50, removeOnFail: 50 } },
  );
  const worker = new Worker(ALERT_EVALUATION_QUEUE, async () => void (await evaluateAlerts(deps)), {
    connection,
    prefix: deps.prefix,
    concurrency: 1,
  });
  worker.on("error", (error) => deps.logger.warn({ err: error.message }, "alert evaluation worker error"));
  worker.on("failed", (_job, error) => deps.logger.error({ err: error.message }, "alert evaluation failed"));
  return {
    async close(): Promise<void> {
      await worker.close();
      await queue.close();
    },
  };
}
