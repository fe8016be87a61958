import { randomUUID } from "node:crypto";
import { uuidv7 } from "uuidv7";
import { describe, expect, it } from "vitest";
import { requestTimeOf } from "./request-time.js";

describe("requestTimeOf", () => {
  it("reads the millisecond a UUIDv7 carries", () => {
    const before = Date.now();
    const at = requestTimeOf(uuidv7())?.getTime();
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(Date.now());
    expect(requestTimeOf("0193a1b2-c3d4-7abc-8def-0123456789ab")?.toISOString()).toBe(
      new Date(0x0193a1b2c3d4).toISOString(),
    );
  });

  it("refuses what is not a version 7 UUID", () => {
    expect(requestTimeOf(randomUUID())).toBeNull();
    expect(requestTimeOf("zzzzzzzz-zzzz-7zzz-8zzz-zzzzzzzzzzzz")).toBeNull();
    expect(requestTimeOf("0193a1b2-c3d4-7abc-8def")).toBeNull();
  });
});
