import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { extractUsage, MAX_TOKEN_COUNT, MISSING_USAGE_POLICIES, type TokenUsage } from "../src/index.js";
import { capture, exchange, fixture } from "./helpers.js";
import { WIRE_CASES } from "./wire-cases.js";

const PATHS = [...new Set(WIRE_CASES.map((c) => c.path)), "/custom", "/v1/messages/count_tokens"];
const TYPES = [undefined, "text/event-stream", "application/json", "application/vnd.amazon.eventstream"];
const FIXTURES = WIRE_CASES.map((c) => fixture(c.fixture));

/** The invariants every result keeps, whatever the body: no internal error, safe and consistent counts. */
function expectSound(usage: TokenUsage): void {
  expect(usage.parseError ?? "").not.toMatch(/^internal error/);
  const all = [
    usage.inputTokens,
    usage.cachedInputTokens,
    usage.cacheWriteTokens,
    usage.cacheWrite1hTokens,
    usage.outputTokens,
    usage.reasoningTokens,
    usage.totalTokens,
  ];
  for (const n of all) expect(Number.isSafeInteger(n) && n >= 0 && n <= MAX_TOKEN_COUNT).toBe(true);
  expect(usage.cachedInputTokens + usage.cacheWriteTokens).toBeLessThanOrEqual(usage.inputTokens);
  expect(usage.cacheWrite1hTokens).toBeLessThanOrEqual(usage.cacheWriteTokens);
  expect(usage.reasoningTokens).toBeLessThanOrEqual(usage.outputTokens);
  expect(usage.totalTokens).toBeGreaterThanOrEqual(usage.inputTokens + usage.outputTokens);
  if (usage.source === "none") expect(usage.totalTokens).toBe(0);
  expect(usage.model === null || usage.model.length <= 200).toBe(true);
}

// JSON-ish and SSE-ish text assembled from the tokens that parsers look for.
const pieces = fc.constantFrom(
  "{",
  "}",
  "[",
  "]",
  ",",
  ":",
  '"',
  "\\",
  "\n",
  "\r\n",
  "data: ",
  "event: ",
  ": keep-alive\n",
  "[DONE]",
  '"usage":',
  '"usageMetadata":',
  '"model":"m"',
  '"prompt_tokens":',
  '"input_tokens":',
  '"cache_creation":{"ephemeral_1h_input_tokens":',
  '"billed_units":',
  '"done":true',
  '"type":"message_start"',
  '"type":"message_delta"',
  '"finishReason":"STOP"',
  "12",
  "-1",
  "1e309",
  "2147483648",
  "null",
  "é",
  "\u{1F600}",
);
const tokenSoup = fc.array(pieces, { maxLength: 200 }).map((p) => Buffer.from(p.join("")));
const mutatedFixture = fc
  .record({
    index: fc.nat(FIXTURES.length - 1),
    cut: fc.nat(),
    flips: fc.array(fc.record({ at: fc.nat(), byte: fc.nat(255) }), { maxLength: 8 }),
  })
  .map(({ index, cut, flips }) => {
    const original = FIXTURES[index]!;
    const body = Buffer.from(original.subarray(0, cut % (original.length + 1)));
    for (const { at, byte } of flips) if (body.length > 0) body[at % body.length] = byte;
    return body;
  });
const bodies = fc.oneof(
  fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.from(b)),
  tokenSoup,
  mutatedFixture,
);

describe("property: no body makes extraction throw or produce unsound counts", () => {
  it("holds for random, token-soup and mutated-fixture bodies, whole or truncated", () => {
    fc.assert(
      fc.property(
        bodies,
        fc.constantFrom(...PATHS),
        fc.constantFrom(...TYPES),
        fc.option(
          fc.record({ head: fc.integer({ min: 1, max: 512 }), tail: fc.integer({ min: 0, max: 512 }) }),
        ),
        fc.constantFrom(...MISSING_USAGE_POLICIES),
        (body, path, responseType, caps, policy) => {
          const response = caps ? capture(body, { headMax: caps.head, tailMax: caps.tail }) : capture(body);
          const usage = extractUsage(
            exchange({ path, response, ...(responseType ? { responseType } : {}) }),
            { missingUsage: policy },
          );
          expectSound(usage);
        },
      ),
      { numRuns: 600, seed: 20261130 },
    );
  });

  it("holds for hostile request bodies as well", () => {
    fc.assert(
      fc.property(bodies, fc.constantFrom(...FIXTURES), (request, response) => {
        expectSound(extractUsage(exchange({ path: "/v1/chat/completions", request, response })));
      }),
      { numRuns: 200, seed: 7 },
    );
  });
});
