import { describe, expect, it } from "vitest";
import { exchange } from "../test/helpers.js";
import { extractUsage, type UsageRule } from "./index.js";
import { applyRules, checkUsageRule, ruleText } from "./rules.js";

const custom: UsageRule = {
  name: "acme",
  inputTokens: "in=(\\d+)",
  outputTokens: "out=(\\d+)",
  model: "engine=(\\w+)",
};

describe("regex rules", () => {
  it("applies an operator rule to a body no parser understands", () => {
    const usage = extractUsage(
      exchange({ path: "/acme", response: "engine=turbo in=5 out=1\nengine=slow in=12 out=30" }),
      [custom],
    );
    expect(usage).toMatchObject({
      model: "turbo",
      inputTokens: 12,
      outputTokens: 30,
      totalTokens: 42,
      source: "rule",
      parser: "rule:acme",
      parseError: null,
    });
  });

  it("falls back to the default rules for a broken JSON body", () => {
    const body = '{"model":"x-1","usage":{"input_tokens":14,"output_tokens":3 ,,}';
    const usage = extractUsage(exchange({ path: "/v1/thing", response: body }));
    expect(usage).toMatchObject({
      model: "x-1",
      inputTokens: 14,
      outputTokens: 3,
      source: "rule",
      parser: "rule:input-output-tokens",
    });
  });

  it("reports an invalid rule pattern without throwing", () => {
    const bad: UsageRule = { name: "bad", inputTokens: "(unclosed" };
    const usage = extractUsage(exchange({ path: "/acme", response: "nothing here" }), [bad]);
    expect(usage.source).toBe("none");
    expect(usage.parseError).toMatch(/rule "bad" inputTokens: invalid pattern/);
  });

  it("requires a capture group", () => {
    const { outcome, invalid } = applyRules("in=5", [{ name: "nogroup", inputTokens: "in=\\d+" }]);
    expect(outcome).toBeNull();
    expect(invalid).toBe('rule "nogroup" inputTokens: pattern has no capture group');
  });

  it("rejects a matched count beyond the INTEGER range", () => {
    const { outcome } = applyRules("in=99999999999", [custom]);
    expect(outcome).toMatchObject({ counts: null, error: "invalid token count inputTokens=99999999999" });
  });

  it("runs in linear time on a pathological input", () => {
    const started = performance.now();
    applyRules("a".repeat(200_000), [{ name: "redos", inputTokens: "(a+)+b" }]);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it("drops digits cut at the head boundary so a split number is not read short", () => {
    expect(ruleText('{"prompt_tokens": 12', '34, "x": 1}')).toBe('{"prompt_tokens": \n34, "x": 1}');
  });
});

describe("checkUsageRule", () => {
  it("accepts a rule whose patterns compile and capture", () => {
    expect(checkUsageRule({ name: "x", inputTokens: '"in":(\\d+)', model: '"m":"([^"]+)"' })).toBeNull();
  });

  it("explains what is wrong with an unusable rule", () => {
    expect(checkUsageRule({ name: "x" })).toContain("at least one token pattern");
    expect(checkUsageRule({ name: "x", inputTokens: "(" })).toContain("inputTokens: invalid pattern");
    expect(checkUsageRule({ name: "x", outputTokens: "\\d+" })).toContain("no capture group");
    expect(checkUsageRule({ name: "x", outputTokens: '"(out|output)_tokens":(\\d+)' })).toContain(
      "2 capture groups",
    );
    expect(checkUsageRule({ name: "x", outputTokens: '"(?:out|output)_tokens":(\\d+)' })).toBeNull();
    // Backreferences are not RE2: patterns with catastrophic backtracking cannot be stored.
    expect(checkUsageRule({ name: "x", totalTokens: "(a+)\\1" })).toContain("invalid pattern");
  });
});
