import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { openCaptureBatch, parseSigningKeys, signCaptureBatch } from "./capture-signing.js";

const [current, previous] = parseSigningKeys(`${"a".repeat(40)}, ${"b".repeat(40)}`);

describe("capture batch signing", () => {
  it("opens what it signed, with the current or a previous key", () => {
    const payload = JSON.stringify([{ requestId: "x" }]);
    for (const key of [current!, previous!]) {
      const opened = openCaptureBatch(signCaptureBatch(randomUUID(), payload, key), [current!, previous!]);
      expect(opened).toMatchObject({ ok: true, captures: [{ requestId: "x" }] });
    }
  });

  it("refuses unsigned, tampered, re-labelled and unknown-key batches", () => {
    const payload = JSON.stringify([{ requestId: "x", inputTokens: 1 }]);
    const signed = signCaptureBatch(randomUUID(), payload, current!);
    const keys = [current!];
    expect(
      openCaptureBatch({ v: 1, kind: "batch", batchId: signed.batchId, captures: [{}] }, keys),
    ).toMatchObject({
      ok: false,
      reason: "unsigned",
    });
    expect(openCaptureBatch({ ...signed, payload: payload.replace("1", "2000000") }, keys)).toMatchObject({
      ok: false,
      reason: "bad_signature",
    });
    expect(openCaptureBatch({ ...signed, batchId: randomUUID() }, keys)).toMatchObject({
      reason: "bad_signature",
    });
    expect(openCaptureBatch(signCaptureBatch(randomUUID(), payload, previous!), keys)).toMatchObject({
      reason: "unknown_key",
    });
    expect(openCaptureBatch(null, keys)).toMatchObject({ ok: false, reason: "unsigned" });
  });

  it("refuses short or missing keys", () => {
    expect(() => parseSigningKeys("")).toThrow();
    expect(() => parseSigningKeys("short")).toThrow(/at least 32/);
  });
});
