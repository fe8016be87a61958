import { describe, expect, it } from "vitest";
import { z } from "zod";
import { envVar, parseEnv } from "./env.js";
import { TokenmeterError } from "./errors.js";
import { withTimeout } from "./timeout.js";

const schema = z.object({
  PORT: envVar.port(8080),
  REDIS_URL: envVar.url("redis://127.0.0.1:6379", ["redis:", "rediss:"]),
  LIMIT: envVar.int(10, 1),
  LOG_LEVEL: envVar.logLevel(),
});

describe("parseEnv", () => {
  it("applies defaults, treats empty as unset, and freezes the result", () => {
    const env = parseEnv("demo", schema, { PORT: "", LIMIT: "3" });
    expect(env).toEqual({ PORT: 8080, REDIS_URL: "redis://127.0.0.1:6379", LIMIT: 3, LOG_LEVEL: "info" });
    expect(Object.isFrozen(env)).toBe(true);
  });

  it("names every bad variable in one invalid_config error", () => {
    let error: unknown;
    try {
      parseEnv("demo", schema, { PORT: "70000", REDIS_URL: "http://x", LIMIT: "0", LOG_LEVEL: "loud" });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(TokenmeterError);
    expect((error as TokenmeterError).code).toBe("invalid_config");
    const lines = (error as Error).message.split("\n");
    expect(lines[0]).toBe("invalid demo configuration:");
    expect(lines.slice(1).map((line) => line.trim().split(":")[0])).toEqual([
      "PORT",
      "REDIS_URL",
      "LIMIT",
      "LOG_LEVEL",
    ]);
  });
});

describe("withTimeout", () => {
  it("passes the value through when it comes in time", async () => {
    await expect(withTimeout(Promise.resolve(7), 1000, "x")).resolves.toBe(7);
  });

  it("rejects with a retryable timeout error when it does not", async () => {
    const never = new Promise<never>(() => {});
    await expect(withTimeout(never, 5, "the ping")).rejects.toMatchObject({
      code: "timeout",
      retryable: true,
      message: "the ping: no answer in 5 ms",
    });
  });
});
