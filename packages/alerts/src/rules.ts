import { z } from "zod";

// A USD amount as decimal text (or a number given by a person), kept as text: thresholds are compared in SQL.
const usd = z
  .union([z.string(), z.number()])
  .transform((v) => String(v))
  .refine(
    (v) => /^(0|[1-9][0-9]{0,9})(\.[0-9]{1,10})?$/.test(v),
    "must be a non-negative decimal, ≤ 10 places",
  );
const count = (max: number) => z.number().int().min(0).max(max);
const minutes = z
  .number()
  .int()
  .min(1)
  .max(7 * 24 * 60);

/** Every rule kind with its parameters and their defaults (the seed's monitoring advice, evaluated). */
export const ALERT_RULE_SCHEMAS = {
  /** One call above `max_tokens` tokens or `max_cost_usd` dollars, seen in the last `window_minutes`. */
  large_call: z.strictObject({
    max_tokens: count(100_000_000).default(100_000),
    max_cost_usd: usd.default("5"),
    window_minutes: minutes.default(15),
  }),
  /** A buyer's cost in the last hour above `factor` × their trailing hourly mean and above `floor_usd`. */
  cost_spike: z.strictObject({
    factor: z.number().min(1).max(1000).default(5),
    floor_usd: usd.default("1"),
    baseline_days: z.number().int().min(1).max(90).default(7),
  }),
  /** A service's share of calls whose usage could not be parsed, over a window, with a minimum of calls. */
  parse_failure_rate: z.strictObject({
    max_percent: z.number().min(0).max(100).default(20),
    window_minutes: minutes.default(15),
    min_calls: count(1_000_000).default(20),
  }),
  /** A model with tokens and no price, seen in the last `window_minutes`. */
  unpriced_model: z.strictObject({ window_minutes: minutes.default(60) }),
  /** Captures waiting too long or too many, or failed capture jobs (metering lag). */
  metering_lag: z.strictObject({
    max_waiting_jobs: count(100_000_000).default(1000),
    max_oldest_waiting_seconds: count(86_400).default(300),
    max_failed_jobs: count(100_000_000).default(0),
  }),
} as const;

/** The rule kinds. */
export type AlertKind = keyof typeof ALERT_RULE_SCHEMAS;
/** The kinds, in evaluation order. */
export const ALERT_KINDS = Object.keys(ALERT_RULE_SCHEMAS) as AlertKind[];
/** A kind's parameters after defaults. */
export type AlertParams<K extends AlertKind> = z.output<(typeof ALERT_RULE_SCHEMAS)[K]>;

/** Whether a string names a rule kind. */
export function isAlertKind(value: unknown): value is AlertKind {
  return typeof value === "string" && Object.hasOwn(ALERT_RULE_SCHEMAS, value);
}

/** A rule as evaluated: stored parameters over the kind's defaults. */
export interface AlertRuleConfig<K extends AlertKind = AlertKind> {
  kind: K;
  enabled: boolean;
  params: AlertParams<K>;
}

/**
 * Parses a kind's parameters (unknown keys refused, missing ones defaulted). Throws a ZodError on bad input;
 * stored rows are parsed with this too, so a rule edited by hand cannot crash the evaluator.
 */
export function parseAlertParams<K extends AlertKind>(kind: K, params: unknown): AlertParams<K> {
  return (ALERT_RULE_SCHEMAS[kind] as z.ZodType).parse(params ?? {}) as AlertParams<K>;
}

/** Every kind's rule: the stored rows where present (bad ones fall back to defaults), else enabled defaults. */
export function resolveAlertRules(
  stored: ReadonlyArray<{ kind: string; enabled: boolean; params: unknown }>,
): AlertRuleConfig[] {
  return ALERT_KINDS.map((kind) => {
    const row = stored.find((r) => r.kind === kind);
    let params: AlertParams<typeof kind>;
    try {
      params = parseAlertParams(kind, row?.params ?? {});
    } catch {
      params = parseAlertParams(kind, {});
    }
    return { kind, enabled: row?.enabled ?? true, params } as AlertRuleConfig;
  });
}
