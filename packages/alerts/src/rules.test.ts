import { describe, expect, it } from "vitest";
import { parseAlertParams, resolveAlertRules } from "./rules.js";
import { signAlertBody, verifyAlertSignature } from "./webhook.js";

describe("alert rules", () => {
  it("fills defaults, keeps money as decimal text and refuses unknown or bad parameters", () => {
    expect(parseAlertParams("cost_spike", {})).toEqual({ factor: 5, floor_usd: "1", baseline_days: 7 });
    expect(parseAlertParams("large_call", { max_cost_usd: 0.5 }).max_cost_usd).toBe("0.5");
    expect(() => parseAlertParams("large_call", { max_cost_usd: "1e3" })).toThrow();
    expect(() => parseAlertParams("unpriced_model", { window: 5 })).toThrow();
    expect(() => parseAlertParams("parse_failure_rate", { max_percent: 101 })).toThrow();
  });

  it("gives every kind a rule, enabled by default; a stored row wins and a corrupt one falls back", () => {
    const rules = resolveAlertRules([
      { kind: "unpriced_model", enabled: false, params: { window_minutes: 5 } },
      { kind: "large_call", enabled: true, params: { max_tokens: "lots" } },
    ]);
    expect(rules.map((r) => r.kind)).toEqual([
      "large_call",
      "cost_spike",
      "parse_failure_rate",
      "unpriced_model",
      "metering_lag",
    ]);
    expect(rules.find((r) => r.kind === "unpriced_model")).toEqual({
      kind: "unpriced_model",
      enabled: false,
      params: { window_minutes: 5 },
    });
    expect(rules.find((r) => r.kind === "large_call")?.params).toMatchObject({ max_tokens: 100_000 });
  });
});

describe("webhook signature", () => {
  it("verifies the body it signed and nothing else", () => {
    const body = JSON.stringify({ event: "alert.opened" });
    const signature = signAlertBody(body, "s3cret");
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifyAlertSignature(body, signature, "s3cret")).toBe(true);
    expect(verifyAlertSignature(`${body} `, signature, "s3cret")).toBe(false);
    expect(verifyAlertSignature(body, signature, "other")).toBe(false);
    expect(verifyAlertSignature(body, undefined, "s3cret")).toBe(false);
  });
});
